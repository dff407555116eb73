/**
 * TLS on the way out, through delivery.smarthost and Haraka's queue: STARTTLS whenever the next
 * hop offers it, and, for a destination listed in tls.ini's [outbound] force_tls_hosts, never
 * in clear and only to a certificate that verifies. Real Haraka, real downstream servers with
 * and without STARTTLS, certificates made with openssl.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestCa, type TestCa } from '../support/certificates.js';
import { HarakaRelay } from '../support/haraka-relay.js';
import { crlf, sendRaw } from '../support/send.js';
import { SmtpSink } from '../support/smtp-sink.js';

const STAFF = 's.jones@example-trust.org.uk';
const PARTNER = 'r.patel@riverside.example.com';
const letter = (id: string): Buffer =>
  crlf(`From: ${STAFF}\nTo: ${PARTNER}\nSubject: Coach times\nMessage-ID: <${id}@example-trust.org.uk>\n\nThe coach leaves at 8.45.\n`);
const YAML = `mode: enforce
organisation:
  name: Test Academy Trust
  internal_domains: [example-trust.org.uk]
`;
const FORCE_TLS = 'minVersion=TLSv1.2\n[outbound]\nforce_tls_hosts[]=127.0.0.1\n';

describe('TLS to the smarthost (delivery.smarthost, Haraka\'s queue)', () => {
  let ca: TestCa;
  let caFile: string;
  let withTls: SmtpSink;
  let otherCaTls: SmtpSink;
  let inClear: SmtpSink;
  const relays: HarakaRelay[] = [];

  beforeAll(async () => {
    ca = makeTestCa();
    caFile = join(tmpdir(), `dlp-test-ca-${process.pid}.pem`);
    writeFileSync(caFile, ca.cert);
    withTls = await new SmtpSink(ca.issue('smarthost.example-trust.org.uk', { altNames: ['smarthost.example-trust.org.uk', 'IP:127.0.0.1', 'localhost'] })).start();
    otherCaTls = await new SmtpSink(makeTestCa('Another CA').issue('smarthost', { altNames: ['IP:127.0.0.1'] })).start();
    inClear = await new SmtpSink().start();
  });
  afterAll(async () => {
    for (const relay of relays) await relay.stop();
    for (const sink of [withTls, otherCaTls, inClear]) await sink?.stop();
  });

  async function relayTo(sink: SmtpSink, tlsIni?: string): Promise<HarakaRelay> {
    const relay = new HarakaRelay({
      dlpYaml: `${YAML}delivery:\n  smarthost: smtp://127.0.0.1:${sink.port}\n`,
      smarthostPort: sink.port,
      plugins: ['dlp'],
      // Haraka checks the smarthost's certificate against the CAs Node trusts: add the test's.
      env: { NODE_EXTRA_CA_CERTS: caFile },
      ...(tlsIni ? { configFiles: { 'tls.ini': tlsIni } } : {}),
    });
    relays.push(relay);
    return relay.start();
  }

  it('uses STARTTLS when the smarthost offers it, with no configuration', async () => {
    const relay = await relayTo(withTls);
    expect((await sendRaw(relay.port, { from: STAFF, to: [PARTNER] }, letter('opportunistic'))).code).toBe(250);
    const [received] = await withTls.waitFor(1, 15_000);
    expect(received).toMatchObject({ rcptTo: [PARTNER], secure: true });
  });

  it('delivers in clear to a smarthost without STARTTLS, unless told to require TLS', async () => {
    const relay = await relayTo(inClear);
    expect((await sendRaw(relay.port, { from: STAFF, to: [PARTNER] }, letter('clear'))).code).toBe(250);
    expect((await inClear.waitFor(1, 15_000))[0]).toMatchObject({ secure: false });
  });

  it('with force_tls_hosts: holds mail in the queue rather than send it in clear, or to a certificate that does not verify', async () => {
    const clearBefore = inClear.received.length;
    const noTls = await relayTo(inClear, FORCE_TLS);
    expect((await sendRaw(noTls.port, { from: STAFF, to: [PARTNER] }, letter('forced-clear'))).code).toBe(250);
    await noTls.waitForOutput(/No TLS available but required by configuration/, 15_000);
    const unverified = await relayTo(otherCaTls, FORCE_TLS);
    expect((await sendRaw(unverified.port, { from: STAFF, to: [PARTNER] }, letter('forced-unverified'))).code).toBe(250);
    await unverified.waitForOutput(/self[- ]signed|unable to (get|verify)|certificate/i, 15_000);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(inClear.received.length).toBe(clearBefore);
    expect(otherCaTls.received).toHaveLength(0);
  });

  it('with force_tls_hosts: delivers over TLS to a smarthost whose certificate verifies', async () => {
    const before = withTls.received.length;
    const relay = await relayTo(withTls, FORCE_TLS);
    expect((await sendRaw(relay.port, { from: STAFF, to: [PARTNER] }, letter('forced-verified'))).code).toBe(250);
    const received = await withTls.waitFor(before + 1, 15_000);
    expect(received.at(-1)).toMatchObject({ secure: true, rcptTo: [PARTNER] });
  });
});
