/**
 * Who may relay through us, end to end: a real Haraka with TLS, real SMTP clients connecting
 * from loopback addresses that stand for each kind of source (an on-premises server, Exchange
 * Online's and Gmail's sending hosts), a real DNS server publishing the trust's DKIM key, and
 * a real downstream server. Every source kind is accepted, and each look-alike refused.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeTestCa, type Pem, type TestCa } from '../support/certificates.js';
import { dkimSigned } from '../support/dkim.js';
import { TestDnsServer } from '../support/dns-server.js';
import { HarakaRelay } from '../support/haraka-relay.js';
import { crlf, sendRaw, type SendOptions } from '../support/send.js';
import { SmtpSink } from '../support/smtp-sink.js';

const STAFF = 's.jones@example-trust.org.uk';
const PARTNER = 'r.patel@riverside.example.com';
const TENANT = '6f1c2a3b-4d5e-4f60-8a9b-0c1d2e3f4a5b';
const OTHER_TENANT = '0a0b0c0d-1111-2222-3333-444455556666';
const RELAY_NAME = 'relay.example-trust.org.uk';

const SERVER_IP = '127.0.0.1';
const STRANGER_IP = '127.0.0.2';
const EXCHANGE_ONLINE_IP = '127.0.0.3';
const GMAIL_IP = '127.0.0.4';
const CERTIFIED_SERVER_IP = '127.0.0.5';

function letter(extraHeaders = '', from = STAFF): Buffer {
  return crlf(`${extraHeaders}From: Sarah Jones <${from}>
To: Mr Patel <${PARTNER}>
Subject: Year 7 trip to the science museum
Date: Mon, 23 Nov 2026 09:12:44 +0000
Message-ID: <${Math.random().toString(36).slice(2)}@example-trust.org.uk>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Dear Mr Patel,

Thank you for confirming the coach for Thursday; we leave at 8.45.

Sarah
`);
}

describe('sources: who may relay through us (real Haraka, TLS, DNS and SMTP)', () => {
  const sink = new SmtpSink();
  const dns = new TestDnsServer();
  let relay: HarakaRelay;
  let ca: TestCa;
  let otherCa: TestCa;
  const dkimKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
  let tls: NonNullable<SendOptions['tls']>;

  beforeAll(async () => {
    await sink.start();
    await dns.start();
    dns.setTxt('google._domainkey.example-trust.org.uk', `v=DKIM1; k=rsa; p=${dkimKey.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`);
    ca = makeTestCa();
    otherCa = makeTestCa('Another CA');
    const relayCert = ca.issue(RELAY_NAME);
    tls = { ca: ca.cert, servername: RELAY_NAME };
    relay = await new HarakaRelay({
      plugins: ['dlp', 'tls', 'queue/smtp_forward'],
      smarthostPort: sink.port,
      configFiles: {
        'tls_cert.pem': relayCert.cert,
        'tls_key.pem': relayCert.key,
        'client-ca.pem': ca.cert,
        'tls.ini': 'key=tls_key.pem\ncert=tls_cert.pem\nminVersion=TLSv1.2\ndhparam=dhparams.pem\nrequestCert=true\nrejectUnauthorized=false\nca=client-ca.pem\n',
      },
      dlpYaml: `mode: enforce
organisation:
  name: Test Academy Trust
  internal_domains: [example-trust.org.uk]
dns:
  servers: ['${dns.address}']
  timeout_ms: 500
sources:
  - { name: school-server, kind: server, addresses: ['${SERVER_IP}'] }
  - { name: hq-exchange, kind: server, addresses: ['${CERTIFIED_SERVER_IP}'], certificate_names: [mail.example-trust.org.uk] }
  - { name: m365, kind: microsoft365, tenant_id: '${TENANT}', addresses: ['${EXCHANGE_ONLINE_IP}'] }
  - { name: google, kind: google-workspace, addresses: ['${GMAIL_IP}'] }
`,
    }).start();
  });
  afterAll(async () => {
    await relay?.stop();
    await sink.stop();
    await dns.stop();
  });
  afterEach(() => {
    sink.received.length = 0;
    dns.silent = false;
  });

  async function nothingDelivered(): Promise<void> {
    await new Promise((r) => setTimeout(r, 300));
    expect(sink.received).toHaveLength(0);
  }

  it('logs at start-up which sources it accepts mail from', () => {
    expect(relay.output).toMatch(/accepting mail from mail server "school-server" \(addresses from dlp\.yaml\); .*Microsoft 365 tenant "m365" \(addresses from dlp\.yaml, TLS, the tenant id on each message\)/);
  });

  describe('an on-premises mail server', () => {
    it('is accepted from its address, without TLS when it is optional', async () => {
      const result = await sendRaw(relay.port, { from: STAFF, to: [PARTNER] }, letter());
      expect(result).toMatchObject({ accepted: true, code: 250 });
      expect((await sink.waitFor(1))[0]!.rcptTo).toEqual([PARTNER]);
    });

    it('refuses any other address at RCPT TO with 550 5.7.1 and the kinds of source there are, and logs it without content', async () => {
      const result = await sendRaw(relay.port, { from: STAFF, to: [PARTNER] }, letter(), { localAddress: STRANGER_IP });
      expect(result.code).toBe(550);
      expect(result.response).toBe(
        '550 5.7.1 Relaying denied: 127.0.0.2 is not a sender this relay accepts mail from. Its sources are: mail server "school-server", mail server "hq-exchange", Microsoft 365 tenant "m365", Google Workspace "google".',
      );
      await nothingDelivered();
      const line = relay.output.split('\n').find((l) => l.includes('"event":"dlp-relay-refused"') && l.includes(STRANGER_IP));
      expect(JSON.parse(line!.slice(line!.indexOf('{')))).toEqual({ event: 'dlp-relay-refused', ip: STRANGER_IP, reason: 'not-a-source', sender: STAFF });
      expect(line).not.toContain('science museum');
    });

    it('with certificate_names: accepts only a verified client certificate with that name, over TLS', async () => {
      const from = { localAddress: CERTIFIED_SERVER_IP };
      const plain = await sendRaw(relay.port, { from: STAFF, to: [PARTNER] }, letter(), from);
      expect(plain.response).toMatch(/^530 5\.7\.0 Must issue a STARTTLS command first: mail from mail server "hq-exchange" must be sent over TLS\.$/);
      const noCertificate = await sendRaw(relay.port, { from: STAFF, to: [PARTNER] }, letter(), { ...from, tls });
      expect(noCertificate.response).toMatch(/^550 5\.7\.1 Relaying denied: the TLS client certificate of 127\.0\.0\.5 is not one that mail server "hq-exchange" is configured to present\.$/);
      const wrongName = ca.issue('mail.other-school.org.uk');
      expect((await sendRaw(relay.port, { from: STAFF, to: [PARTNER] }, letter(), { ...from, tls: { ...tls, ...wrongName } })).code).toBe(550);
      const unverified = otherCa.issue('mail.example-trust.org.uk');
      expect((await sendRaw(relay.port, { from: STAFF, to: [PARTNER] }, letter(), { ...from, tls: { ...tls, ...unverified } })).code).toBe(550);
      await nothingDelivered();
      const right = ca.issue('mail.example-trust.org.uk');
      const accepted = await sendRaw(relay.port, { from: STAFF, to: [PARTNER] }, letter(), { ...from, tls: { ...tls, ...right } });
      expect(accepted).toMatchObject({ accepted: true, code: 250 });
      await sink.waitFor(1);
    });
  });

  describe('a Microsoft 365 tenant', () => {
    const fromExchangeOnline = (): SendOptions => ({ localAddress: EXCHANGE_ONLINE_IP, tls });
    const stamped = (...tenants: string[]): string => tenants.map((t) => `X-MS-Exchange-CrossTenant-Id: ${t}\nX-MS-Exchange-Transport-CrossTenantHeadersStamped: LO2P265MB1234\n`).join('');

    it("accepts mail stamped with the trust's tenant id, over TLS, and delivers it unchanged", async () => {
      const message = letter(stamped(TENANT.toUpperCase()));
      const result = await sendRaw(relay.port, { from: STAFF, to: [PARTNER] }, message, fromExchangeOnline());
      expect(result).toMatchObject({ accepted: true, code: 250 });
      const [received] = await sink.waitFor(1);
      expect(received!.raw.toString()).toContain(`X-MS-Exchange-CrossTenant-Id: ${TENANT.toUpperCase()}`);
      const line = relay.output.split('\n').reverse().find((l) => l.includes('"event":"dlp-verdict"'));
      expect(line).toContain('"source":"m365"');
    });

    it('still inspects what it accepts: a forward to a personal address is refused by policy', async () => {
      const forward = crlf(letter(stamped(TENANT)).toString('latin1').replace('Subject: Year 7', 'Subject: Fwd: Year 7'));
      const result = await sendRaw(relay.port, { from: STAFF, to: ['sarah.jones1984@gmail.com'] }, forward, fromExchangeOnline());
      expect(result.response).toMatch(/^550-5\.7\.1 Not sent: \[forward-to-personal-address\]/);
    });

    it("refuses another tenant's mail from the same servers with 550 5.7.1 at the end of DATA", async () => {
      const result = await sendRaw(relay.port, { from: 'someone@another-company.example', to: [PARTNER] }, letter(stamped(OTHER_TENANT), 'someone@another-company.example'), fromExchangeOnline());
      expect(result.code).toBe(550);
      expect(result.response).toMatch(
        /^550 5\.7\.1 Not relayed: this relay takes mail only from the trust's own sources, and this message does not show it comes from Microsoft 365 tenant "m365": .*another Microsoft 365 tenant \(X-MS-Exchange-CrossTenant-Id 0a0b0c0d-1111-2222-3333-444455556666\)\. Ref DLP-/,
      );
      await nothingDelivered();
      const line = relay.output.split('\n').reverse().find((l) => l.includes('"outcome":"refuse-source"'));
      expect(line).toContain('"source_refusal"');
      expect(line).not.toContain('science museum');
    });

    it('refuses mail with no tenant id, or with a second one written in beside ours', async () => {
      for (const headers of ['', stamped(OTHER_TENANT, TENANT), stamped(TENANT, OTHER_TENANT)]) {
        const result = await sendRaw(relay.port, { from: STAFF, to: [PARTNER] }, letter(headers), fromExchangeOnline());
        expect(result.code, headers).toBe(550);
      }
      await nothingDelivered();
    });

    it("refuses another tenant's stamp pushed past the 1,000 header lines Haraka reads behind a forged one of ours, or folded", async () => {
      // Haraka keeps only the first headers.max_lines lines, for checking and delivery alike: such a message is refused whole.
      const filler = Array.from({ length: 1_100 }, (_, i) => `X-Filler-${i}: ${i}\n`).join('');
      const pushed = letter(`${stamped(TENANT)}${filler}${stamped(OTHER_TENANT)}`);
      const result = await sendRaw(relay.port, { from: STAFF, to: [PARTNER] }, pushed, fromExchangeOnline());
      expect(result.response).toMatch(/^554 5\.3\.4 The message cannot be checked for personal data: its header has 1000 lines or more/);
      const folded = letter(`X-MS-Exchange-CrossTenant-Id:\n ${OTHER_TENANT}\n${stamped(TENANT)}`);
      expect((await sendRaw(relay.port, { from: STAFF, to: [PARTNER] }, folded, fromExchangeOnline())).code).toBe(550);
      await nothingDelivered();
    });

    it('requires TLS from Exchange Online: 530 5.7.0 without STARTTLS', async () => {
      const result = await sendRaw(relay.port, { from: STAFF, to: [PARTNER] }, letter(stamped(TENANT)), { localAddress: EXCHANGE_ONLINE_IP });
      expect(result.response).toMatch(/^530 5\.7\.0 Must issue a STARTTLS command first/);
      await nothingDelivered();
    });

    it("does not take a tenant id from a server that is not Exchange Online's", async () => {
      const result = await sendRaw(relay.port, { from: STAFF, to: [PARTNER] }, letter(stamped(TENANT)), { localAddress: STRANGER_IP, tls });
      expect(result.code).toBe(550);
      expect(result.response).toMatch(/Relaying denied: 127\.0\.0\.2/);
    });
  });

  describe('a Google Workspace tenant', () => {
    const fromGmail = (): SendOptions => ({ localAddress: GMAIL_IP, tls });
    const signed = (message: Buffer, options: { domain?: string; signTime?: Date; key?: typeof dkimKey } = {}): Promise<Buffer> =>
      dkimSigned(message, { domain: options.domain ?? 'example-trust.org.uk', selector: 'google', privateKey: (options.key ?? dkimKey).privateKey }, options.signTime ? { signTime: options.signTime } : {});

    it("accepts mail with a fresh DKIM signature of the trust's domain, and refuses the same signed message sent again", async () => {
      const message = await signed(letter());
      const first = await sendRaw(relay.port, { from: STAFF, to: [PARTNER] }, message, fromGmail());
      expect(first).toMatchObject({ accepted: true, code: 250 });
      const [received] = await sink.waitFor(1);
      expect(received!.raw.toString()).toContain('DKIM-Signature:');
      expect(dns.queries).toContain('TXT google._domainkey.example-trust.org.uk');
      const again = await sendRaw(relay.port, { from: STAFF, to: ['someone.else@riverside.example.com'] }, message, fromGmail());
      expect(again.response).toMatch(/^550 5\.7\.1 Not relayed: .*has been used for an earlier message/);
      // The same signature written out differently (b= is not signed; base64 decoders forgive padding and stray characters).
      const rewritten = Buffer.from(message.toString('latin1').replace(/\bb=/, 'b=.'), 'latin1');
      expect((await sendRaw(relay.port, { from: STAFF, to: [PARTNER] }, rewritten, fromGmail())).response).toMatch(/has been used for an earlier message/);
      // The quarantine store remembers it: a restarted relay (or another one on the same database) refuses it too.
      await relay.kill();
      await relay.start();
      const afterRestart = await sendRaw(relay.port, { from: STAFF, to: ['someone.else@riverside.example.com'] }, message, fromGmail());
      expect(afterRestart.response).toMatch(/^550 5\.7\.1 Not relayed: .*has been used for an earlier message/);
    });

    it('refuses another domain\'s signature, a stale one, an unsigned message and a From outside the trust', async () => {
      const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
      dns.setTxt('google._domainkey.another-company.example', `v=DKIM1; k=rsa; p=${otherKey.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`);
      const cases: Array<[string, Buffer, string, RegExp]> = [
        ['another domain', await signed(letter('', 'a@another-company.example'), { domain: 'another-company.example', key: otherKey }), 'a@another-company.example', /envelope sender is not at one of the trust's domains/],
        ['another domain, our envelope', await signed(letter(), { domain: 'another-company.example', key: otherKey }), STAFF, /no DKIM signature of the trust's domains/],
        ['signed 25 hours ago', await signed(letter(), { signTime: new Date(Date.now() - 25 * 3_600_000) }), STAFF, /made 25 hours ago, longer than the 24 hours allowed/],
        ['unsigned', letter(), STAFF, /no DKIM signature of the trust's domains/],
        ['a forged signature', await signed(letter(), { key: otherKey }), STAFF, /does not verify/],
      ];
      for (const [what, message, from, why] of cases) {
        const result = await sendRaw(relay.port, { from, to: [PARTNER] }, message, fromGmail());
        expect(result.code, what).toBe(550);
        expect(result.response, what).toMatch(why);
      }
      await nothingDelivered();
    });

    it('answers 451 4.7.0 when the DKIM key cannot be looked up, so the mail is retried, not bounced', async () => {
      dns.silent = true;
      const result = await sendRaw(relay.port, { from: STAFF, to: [PARTNER] }, await signed(letter()), fromGmail());
      expect(result.response).toMatch(/^451 4\.7\.0 Not relayed yet: .*could not be looked up just now.* It will be retried\. Ref DLP-/);
      await nothingDelivered();
    });
  });

  describe('TLS', () => {
    const opensslClient = (args: string[]): string => {
      try {
        return execFileSync('openssl', ['s_client', '-connect', `127.0.0.1:${relay.port}`, '-starttls', 'smtp', '-servername', RELAY_NAME, ...args], {
          input: 'QUIT\r\n',
          timeout: 10_000,
          stdio: ['pipe', 'pipe', 'pipe'],
        }).toString();
      } catch (error) {
        return String((error as { stdout?: Buffer }).stdout ?? '') + String((error as { stderr?: Buffer }).stderr ?? '');
      }
    };

    it('offers STARTTLS with its certificate, TLS 1.2 and 1.3, and refuses TLS 1.1 and 1.0', () => {
      const modern = opensslClient([]);
      expect(modern).toMatch(/subject=CN ?= ?relay\.example-trust\.org\.uk/);
      expect(modern).toMatch(/Protocol *: TLSv1\.3|New, TLSv1\.3/);
      expect(opensslClient(['-tls1_2'])).toMatch(/Protocol *: TLSv1\.2|New, TLSv1\.2/);
      for (const old of ['-tls1_1', '-tls1']) {
        const output = opensslClient([old, '-cipher', 'DEFAULT:@SECLEVEL=0']);
        expect(output, old).toMatch(/Cipher is \(NONE\)/);
        expect(output, old).toMatch(/alert protocol version|no protocols available|unsupported protocol/i);
      }
    });
  });
});

// Certificates for the start-up checks below come from one authority.
let startupCa: TestCa | undefined;
const startupCert = (options: Parameters<TestCa['issue']>[1]): Pem => (startupCa ??= makeTestCa()).issue(RELAY_NAME, options);

describe('start-up checks of TLS and sources (real Haraka)', () => {
  const YAML = `mode: enforce
organisation:
  name: Test Academy Trust
  internal_domains: [example-trust.org.uk]
`;
  const CLOUD = `${YAML}sources:\n  - { name: m365, kind: microsoft365, tenant_id: '${TENANT}', addresses: ['127.0.0.3'] }\n`;

  async function startFails(configFiles: Record<string, string>, dlpYaml = YAML, plugins = ['dlp', 'tls', 'queue/smtp_forward']): Promise<string> {
    const relay = new HarakaRelay({ dlpYaml, smarthostPort: 9, plugins, configFiles });
    try {
      await relay.start();
    } catch (error) {
      return String((error as Error).message);
    } finally {
      await relay.stop();
    }
    throw new Error('the relay started');
  }

  it('refuses an expired certificate, a key that is not its own, and a certificate file that is missing', async () => {
    const expired = startupCert({ notBefore: new Date(Date.now() - 60 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
    expect(await startFails({ 'tls_cert.pem': expired.cert, 'tls_key.pem': expired.key })).toMatch(/the TLS certificate .*tls_cert\.pem expired on \d{4}-\d\d-\d\d: renew it/);
    const one = startupCert({});
    const two = startupCert({});
    expect(await startFails({ 'tls_cert.pem': one.cert, 'tls_key.pem': two.key })).toMatch(/the TLS key .*tls_key\.pem does not belong to the certificate/);
    expect(await startFails({ 'tls.ini': 'key=relay.key\ncert=relay.pem\n', 'relay.key': one.key })).toMatch(/the TLS certificate .*relay\.pem is missing/);
  });

  it('refuses sources that require TLS when there is no certificate, and Haraka\'s relay plugin beside sources:', async () => {
    expect(await startFails({}, CLOUD)).toMatch(/Microsoft 365 tenant "m365" must send over TLS, and the relay has no certificate: put it in .*tls_cert\.pem/);
    expect(await startFails({}, YAML, ['relay', 'dlp', 'queue/smtp_forward'])).toMatch(/lists "relay": who may send through the relay is set by sources: in dlp\.yaml/);
  });

  it('starts with a certificate that expires within 14 days, and says so', async () => {
    const soon = startupCert({ days: 5 });
    const relay = await new HarakaRelay({ dlpYaml: YAML, smarthostPort: 9, plugins: ['dlp', 'tls'], configFiles: { 'tls_cert.pem': soon.cert, 'tls_key.pem': soon.key } }).start();
    try {
      expect(relay.output).toMatch(/\[WARN\].*the TLS certificate .*tls_cert\.pem expires in 4 days \(\d{4}-\d\d-\d\d\): renew it/);
    } finally {
      await relay.stop();
    }
  });
});
