import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HarakaRelay, RelayExitedError } from '../support/haraka-relay.js';
import { FIXTURES } from '../support/paths.js';
import { referenceIn, relayQueue } from '../support/relay-queue.js';
import { crlf, sendRaw } from '../support/send.js';
import { SmtpSink } from '../support/smtp-sink.js';

const DLP_YAML = `mode: enforce
organisation:
  name: Test Academy Trust
  internal_domains: [example-trust.org.uk]
rules:
  forward-to-personal-address: { action: reject }
`;

const STAFF = 's.jones@example-trust.org.uk';
const fixture = (name: string): Buffer => crlf(readFileSync(join(FIXTURES, name)));

const ORDINARY = crlf(`From: Sarah Jones <${STAFF}>
To: Mr Patel <r.patel@riverside.example.com>
Subject: Year 7 trip to the science museum
Date: Mon, 23 Nov 2026 09:12:44 +0000
Message-ID: <ordinary-1@example-trust.org.uk>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Dear Mr Patel,

Thank you for confirming the coach for Thursday — we leave at 8.45.
A line with trailing spaces   
.A line that starts with a dot

Kind regards,
Sarah
`);

describe('relay end to end (real Haraka, real SMTP)', () => {
  const sink = new SmtpSink();
  let relay: HarakaRelay;

  beforeAll(async () => {
    await sink.start();
    relay = await new HarakaRelay({ dlpYaml: DLP_YAML, smarthostPort: sink.port }).start();
  });
  afterAll(async () => {
    await relay?.stop();
    await sink.stop();
  });
  afterEach(() => {
    sink.received.length = 0;
  });

  it('refuses a forward to a gmail address with 550 5.7.1, the rule id, the reason and a reference', async () => {
    const result = await sendRaw(relay.port, { from: STAFF, to: ['sarah.jones1984@gmail.com'] }, fixture('forwarding/gmail-forward.eml'));
    expect(result.accepted).toBe(false);
    expect(result.code).toBe(550);
    expect(result.response).toMatch(/5\.7\.1 Not sent: \[forward-to-personal-address\] School email must not be forwarded/);
    expect(result.response).toMatch(/Ref DLP-[0-9A-Z]{5}-[0-9A-Z]{5}/);
    expect(result.response).toMatch(/Policy: The trust's data protection policy: under no circumstance should school email be forwarded/);
    await new Promise((r) => setTimeout(r, 300));
    expect(sink.received).toHaveLength(0);
  });

  it('delivers an ordinary message byte for byte, with only the trace and verdict headers added', async () => {
    const result = await sendRaw(relay.port, { from: STAFF, to: ['r.patel@riverside.example.com'] }, ORDINARY);
    expect(result).toMatchObject({ accepted: true, code: 250 });
    const [received] = await sink.waitFor(1);
    expect(received!.rcptTo).toEqual(['r.patel@riverside.example.com']);
    expect(received!.mailFrom).toBe(STAFF);
    // Haraka adds its Received trace header on top and our verdict header at the end of the
    // header block; every other byte, headers and body, is the original.
    const [headers, body] = splitMessage(received!.raw);
    const [originalHeaders, originalBody] = splitMessage(ORDINARY);
    expect(body.equals(originalBody)).toBe(true);
    const fields = headerFields(headers);
    expect(fields[0]).toMatch(/^Received: from mail\.example-trust\.org\.uk .*by relay\.test \(Haraka/s);
    expect(fields.at(-1)).toMatch(/^X-DLP-Verdict: pass; ref=DLP-[0-9A-Z]{5}-[0-9A-Z]{5}$/);
    expect(fields.slice(1, -1)).toEqual(headerFields(originalHeaders));
  });

  it('delivers a reply to someone who took part in the quoted thread', async () => {
    const result = await sendRaw(relay.port, { from: STAFF, to: ['emma.clarke82@gmail.com'] }, fixture('forwarding/outlook-reply.eml'));
    expect(result).toMatchObject({ accepted: true, code: 250 });
    await sink.waitFor(1);
  });

  it('refuses an automatic forward made by an Exchange inbox rule', async () => {
    const result = await sendRaw(relay.port, { from: STAFF, to: ['sarah.jones1984@gmail.com'] }, fixture('forwarding/exchange-inbox-rule-forward.eml'));
    expect(result.code).toBe(550);
    expect(result.response).toContain('[forward-to-personal-address]');
  });

  it('keeps answering other connections while a large message is being inspected', async () => {
    // About 14 MB of HTML: converting it to text takes the engine several seconds. Were
    // inspection on Haraka's event loop, the small message would wait for it.
    const html = '<p><b>Year 7</b> trip letter.</p>\n'.repeat(400_000);
    const large = crlf(`From: ${STAFF}\nTo: r.patel@riverside.example.com\nSubject: Newsletter\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n${html}\n`);
    let largeAnswered = false;
    const largeSend = sendRaw(relay.port, { from: STAFF, to: ['r.patel@riverside.example.com'] }, large).then((r) => {
      largeAnswered = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 1_500)); // the large message is sent and being inspected
    const small = await sendRaw(relay.port, { from: STAFF, to: ['r.patel@riverside.example.com'] }, ORDINARY);
    expect(small.code).toBe(250);
    expect(largeAnswered).toBe(false);
    expect((await largeSend).code).toBe(250);
    await sink.waitFor(2);
  });

  it('replaces a verdict header forged by the sender', async () => {
    const forged = Buffer.concat([crlf('X-DLP-Verdict: pass; ref=FORGED\n'), ORDINARY]);
    await sendRaw(relay.port, { from: STAFF, to: ['r.patel@riverside.example.com'] }, forged);
    const [received] = await sink.waitFor(1);
    expect(received!.raw.toString()).not.toContain('FORGED');
    expect(received!.raw.toString()).toMatch(/X-DLP-Verdict: pass; ref=DLP-/);
  });

  it('refuses to relay for a client that is not one of its sources', async () => {
    const nodemailer = (await import('nodemailer')).default;
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: relay.port, ignoreTLS: true, localAddress: '127.0.0.2' });
    await expect(transport.sendMail({ envelope: { from: STAFF, to: ['r.patel@riverside.example.com'] }, raw: ORDINARY })).rejects.toMatchObject({
      responseCode: 550,
      response: expect.stringMatching(/^550 5\.7\.1 Relaying denied: 127\.0\.0\.2 is not a sender this relay accepts mail from\. Its sources are: mail server "this machine"\.$/),
    });
    transport.close();
    expect(sink.received).toHaveLength(0);
  });

  it('logs one structured line per message with the reference, classes and rules but no content', async () => {
    const result = await sendRaw(relay.port, { from: STAFF, to: ['sarah.jones1984@gmail.com'] }, fixture('forwarding/gmail-forward.eml'));
    const reference = /Ref (DLP-[0-9A-Z-]{11})/.exec(result.response)![1]!;
    const line = relay.output.split('\n').find((l) => l.includes(reference) && l.includes('"event":"dlp-verdict"'));
    expect(line).toBeDefined();
    const record = JSON.parse(line!.slice(line!.indexOf('{'))) as Record<string, unknown>;
    expect(record).toMatchObject({
      ref: reference,
      sender: STAFF,
      recipients: [{ domain: 'gmail.com', class: 'personal' }],
      verdict: 'reject',
      outcome: 'reject',
      rules: ['forward-to-personal-address'],
    });
    expect(record['timings_ms']).toMatchObject({ totalMs: expect.any(Number) });
    const subject = /^Subject: (.*)$/m.exec(readFileSync(join(FIXTURES, 'forwarding/gmail-forward.eml'), 'utf8'))![1]!;
    expect(line).not.toContain(subject);
    expect(line).not.toContain('sarah.jones1984');
  });
});

describe('relay: actions and modes', () => {
  const sink = new SmtpSink();
  beforeAll(() => sink.start());
  afterAll(() => sink.stop());
  afterEach(() => {
    sink.received.length = 0;
  });

  it('holds: answers 250 with the hold reference, stores the message whole in the queue, delivers nothing', async () => {
    const relay = await new HarakaRelay({
      dlpYaml: DLP_YAML.replace('{ action: reject }', '{ action: hold }'),
      smarthostPort: sink.port,
    }).start();
    try {
      const raw = crlf(fixture('forwarding/gmail-forward.eml'));
      const result = await sendRaw(relay.port, { from: STAFF, to: ['sarah.jones1984@gmail.com'] }, raw);
      expect(result.code).toBe(250);
      expect(result.response).toMatch(/^250 Held for review by the Data Protection Officer \[forward-to-personal-address\] Ref DLP-/);
      const queue = await relayQueue(relay);
      try {
        const item = await queue.get(referenceIn(result.response));
        expect(item).toMatchObject({ status: 'held', mailFrom: STAFF, rcptTo: ['sarah.jones1984@gmail.com'], rules: ['forward-to-personal-address'] });
        // Exactly the bytes sent, after the Received line Haraka adds to every message it relays.
        const stored = (await queue.raw(item!.reference))!;
        expect(stored.subarray(0, 9).toString()).toBe('Received:');
        expect(stored.subarray(stored.length - raw.length).equals(raw)).toBe(true);
      } finally {
        await queue.close();
      }
      await new Promise((r) => setTimeout(r, 300));
      expect(sink.received).toHaveLength(0);
    } finally {
      await relay.stop();
    }
  });

  it('keeps a held message through a crash: SIGKILL right after the 250, restart, and it is in the queue', async () => {
    const relay = await new HarakaRelay({ dlpYaml: DLP_YAML.replace('{ action: reject }', '{ action: hold }'), smarthostPort: sink.port }).start();
    try {
      const result = await sendRaw(relay.port, { from: STAFF, to: ['sarah.jones1984@gmail.com'] }, fixture('forwarding/gmail-forward.eml'));
      expect(result.code).toBe(250);
      await relay.kill();
      await relay.start();
      const queue = await relayQueue(relay);
      try {
        expect(await queue.get(referenceIn(result.response))).toMatchObject({ status: 'held', rcptTo: ['sarah.jones1984@gmail.com'] });
      } finally {
        await queue.close();
      }
      await new Promise((r) => setTimeout(r, 300));
      expect(sink.received).toHaveLength(0);
    } finally {
      await relay.stop();
    }
  });

  it('answers 451 4.3.0 to a hold when the quarantine cannot store it, and delivers nothing', async () => {
    const relay = new HarakaRelay({ dlpYaml: DLP_YAML.replace('{ action: reject }', '{ action: hold }'), smarthostPort: sink.port });
    // A database path that cannot be created: the store never opens.
    writeFileSync(join(relay.dir, 'data'), 'not a directory');
    await relay.start();
    try {
      const result = await sendRaw(relay.port, { from: STAFF, to: ['sarah.jones1984@gmail.com'] }, fixture('forwarding/gmail-forward.eml'));
      expect(result.code).toBe(451);
      expect(result.response).toMatch(/^451 4\.3\.0 The message needs review by the Data Protection Officer and the review queue cannot take it now/);
      expect((await sendRaw(relay.port, { from: STAFF, to: ['r.patel@riverside.example.com'] }, ORDINARY)).code).toBe(250);
      await sink.waitFor(1);
      expect(sink.received.map((m) => m.rcptTo)).toEqual([['r.patel@riverside.example.com']]);
    } finally {
      await relay.stop();
    }
  });

  it('delivers everything in monitor mode, with the verdict recorded', async () => {
    const relay = await new HarakaRelay({ dlpYaml: DLP_YAML.replace('mode: enforce', 'mode: monitor'), smarthostPort: sink.port }).start();
    try {
      const result = await sendRaw(relay.port, { from: STAFF, to: ['sarah.jones1984@gmail.com'] }, fixture('forwarding/gmail-forward.eml'));
      expect(result.code).toBe(250);
      const [received] = await sink.waitFor(1);
      expect(received!.raw.toString()).toMatch(/X-DLP-Verdict: monitor; ref=DLP-/);
      expect(relay.output).toMatch(/"mode":"monitor","verdict":"reject","outcome":"monitor-reject"/);
    } finally {
      await relay.stop();
    }
  });

  it.each([
    ['fails', 'reject', DLP_YAML, /4\.3\.0 The message could not be checked .* Ref DLP-/, 'injected inspection failure'],
    ['throws synchronously', 'throw', DLP_YAML, /4\.3\.0 The message could not be checked .* Ref DLP-/, 'injected synchronous failure'],
    ['never finishes', 'hang', `${DLP_YAML}inspection:\n  timeout_ms: 300\n`, /4\.3\.0 The message took too long to check .* Ref DLP-/, 'inspection exceeded 300 ms'],
  ])('answers 451 and delivers nothing when inspection %s', async (_, fault, dlpYaml, reply, logged) => {
    const relay = await new HarakaRelay({
      dlpYaml,
      smarthostPort: sink.port,
      pluginsDir: join(FIXTURES, 'haraka-plugins-faulty-engine'),
      env: { DLP_TEST_FAULT: fault },
    }).start();
    try {
      const result = await sendRaw(relay.port, { from: STAFF, to: ['r.patel@riverside.example.com'] }, ORDINARY);
      expect(result.code).toBe(451);
      expect(result.response).toMatch(reply);
      await new Promise((r) => setTimeout(r, 300));
      expect(sink.received).toHaveLength(0);
      expect(relay.output).toContain(logged);
      // The relay is still serving after the failure.
      expect((await sendRaw(relay.port, { from: STAFF, to: ['r.patel@riverside.example.com'] }, ORDINARY)).code).toBe(451);
    } finally {
      await relay.stop();
    }
  });

  it('reloads a changed dlp.yaml, and keeps the old configuration when the change is invalid', async () => {
    const relay = await new HarakaRelay({ dlpYaml: DLP_YAML, smarthostPort: sink.port }).start();
    try {
      const forward = fixture('forwarding/gmail-forward.eml');
      const envelope = { from: STAFF, to: ['sarah.jones1984@gmail.com'] };
      expect((await sendRaw(relay.port, envelope, forward)).code).toBe(550);

      relay.writeConfig('dlp.yaml', DLP_YAML.replace('mode: enforce', 'mode: sometimes'));
      await relay.waitForOutput(/previous configuration stays in force.*mode/);
      expect((await sendRaw(relay.port, envelope, forward)).code).toBe(550);

      relay.writeConfig('dlp.yaml', DLP_YAML.replace('mode: enforce', 'mode: monitor'));
      await relay.waitForOutput(/reloaded dlp\.yaml \(mode monitor\)/);
      expect((await sendRaw(relay.port, envelope, forward)).code).toBe(250);
    } finally {
      await relay.stop();
    }
  });

  it('refuses to start with an invalid dlp.yaml, naming the file, line and key', async () => {
    const relay = new HarakaRelay({
      dlpYaml: DLP_YAML.replace('{ action: reject }', '{ action: block }'),
      smarthostPort: sink.port,
    });
    const error = await relay.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    await relay.stop();
    expect(error).toBeInstanceOf(RelayExitedError);
    expect((error as RelayExitedError).code).not.toBe(0);
    expect((error as RelayExitedError).output).toMatch(/dlp\.yaml:6: rules\.forward-to-personal-address\.action: Invalid option/);
  });
});

function splitMessage(raw: Buffer): [Buffer, Buffer] {
  const end = raw.indexOf('\r\n\r\n');
  return [raw.subarray(0, end + 2), raw.subarray(end + 4)];
}

/** Header fields with their folded continuation lines, exactly as sent. */
function headerFields(block: Buffer): string[] {
  return block.toString('latin1').split(/\r\n(?![ \t])/).filter((field) => field !== '');
}


