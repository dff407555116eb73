import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import MailComposer from 'nodemailer/lib/mail-composer';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FixtureMaker, PUPIL_REPORT } from '../support/attachment-fixtures.js';
import { HarakaRelay } from '../support/haraka-relay.js';
import { RIVERSIDE_ROSTER } from '../support/roster.js';
import { sendRaw } from '../support/send.js';
import { SmtpSink } from '../support/smtp-sink.js';

const STAFF = 's.jones@example-trust.org.uk';
const GMAIL = 'helper.volunteer@gmail.com';
const PARTNER = 'senco@leeds.gov.uk';
const DLP_YAML = `mode: enforce
organisation:
  name: Test Academy Trust
  internal_domains: [example-trust.org.uk]
roster:
  file: roster.csv
attachments:
  max_ms: 300
inspection:
  timeout_ms: 10000
  workers: 2
`;

const fixtures = new FixtureMaker();
const message = (to: string, text: string, ...files: string[]): Promise<Buffer> =>
  new MailComposer({ from: STAFF, to, subject: 'Documents', text, attachments: files.map((f) => ({ filename: f, content: fixtures.read(f) })) })
    .compile()
    .build();
const ORDINARY = (): Promise<Buffer> => new MailComposer({ from: STAFF, to: PARTNER, subject: 'Coach times', text: 'We leave at 8.45.' }).compile().build();

describe('attachments end to end (real Haraka, real SMTP)', () => {
  const sink = new SmtpSink();
  let relay: HarakaRelay;

  beforeAll(async () => {
    fixtures.file('report.txt', PUPIL_REPORT);
    fixtures.convert('report.txt', 'docx');
    fixtures.zip('locked.zip', ['report.docx'], 'Wren-Hollow-52');
    fixtures.file('zeros.bin', Buffer.alloc(50 * 1024 * 1024));
    fixtures.zip('bomb.zip', ['zeros.bin']);
    let inner = fixtures.zip('level0.zip', ['report.docx']);
    for (let level = 1; level <= 6; level++) inner = fixtures.zip(`level${level}.zip`, [inner]);
    fixtures.file('long.txt', `${PUPIL_REPORT}\n`.repeat(6000));
    fixtures.convert('long.txt', 'pdf');
    await sink.start();
    relay = await new HarakaRelay({ dlpYaml: DLP_YAML, smarthostPort: sink.port, configFiles: { 'roster.csv': readFileSync(RIVERSIDE_ROSTER) } }).start();
  }, 180_000);
  afterAll(async () => {
    await relay?.stop();
    await sink.stop();
  });
  afterEach(() => {
    sink.received.length = 0;
  });

  it.each([
    ['bomb.zip', /zip bomb/],
    ['level6.zip', /nested 6 deep/],
    ['long.pdf', /took more than 300 ms/],
  ])('holds %s to a personal address as unscannable, within the time budget, while other mail is served', async (file, why) => {
    const started = performance.now();
    const held = sendRaw(relay.port, { from: STAFF, to: [GMAIL] }, await message(GMAIL, 'Please see attached.', file));
    // Another connection meanwhile is answered as usual: inspection runs off the relay's loop.
    const ordinary = await sendRaw(relay.port, { from: STAFF, to: [PARTNER] }, await ORDINARY());
    expect(ordinary.code).toBe(250);
    const result = await held;
    expect(result.code).toBe(250);
    expect(result.response).toMatch(/Held for review by the Data Protection Officer \[unscannable-attachment\] Ref DLP-/);
    expect(performance.now() - started).toBeLessThan(10_000);
    const line = relay.output.split('\n').find((l) => l.includes(/Ref (DLP-\S+)/.exec(result.response)![1]!) && l.includes('dlp-verdict'))!;
    expect(line).toContain('"unscannable-attachment:over-limit":1');
    expect(why.test(line)).toBe(false); // the reason's details stay out of the log (the reviewer sees them)
    await sink.waitFor(1);
    expect(sink.received.map((m) => m.rcptTo)).toEqual([[PARTNER]]);
  });

  it('refuses an unencrypted pupil report to a partner with 550 and the encryption guidance rule', async () => {
    const result = await sendRaw(relay.port, { from: STAFF, to: [PARTNER] }, await message(PARTNER, 'Report attached.', 'report.docx'));
    expect(result.code).toBe(550);
    expect(result.response).toMatch(/\[unencrypted-sensitive-attachment\] An attachment holds sensitive personal data and is not encrypted/);
  });

  it('delivers the same report encrypted, and refuses it when the password is in the message', async () => {
    const encrypted = await sendRaw(relay.port, { from: STAFF, to: [PARTNER] }, await message(PARTNER, 'I will phone you with the password.', 'locked.zip'));
    expect(encrypted.code).toBe(250);
    await sink.waitFor(1);
    const withPassword = await sendRaw(relay.port, { from: STAFF, to: [PARTNER] }, await message(PARTNER, 'The password is Wren-Hollow-52', 'locked.zip'));
    expect(withPassword.code).toBe(550);
    expect(withPassword.response).toMatch(/\[password-with-attachment\]/);
  });
});
