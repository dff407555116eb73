/**
 * Sender guidance end to end: real Haraka with the plugin, a real SMTP client, a real
 * downstream server. For each outcome (warn, hold, reject, and the DPO's release and
 * rejection) the member of staff's notice arrives with the rule, the clause, the findings
 * redacted and the guidance; nothing is sent about automatic mail or to outside senders;
 * a trust's own template and clause wording are used; a notice that cannot be delivered at
 * first is retried and never changes what happened to the message.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import MailComposer from 'nodemailer/lib/mail-composer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, HarakaRelay } from '../support/haraka-relay.js';
import { referenceIn, relayQueue } from '../support/relay-queue.js';
import { dlpCommand, ReviewClient } from '../support/review-client.js';
import { RIVERSIDE_ROSTER } from '../support/roster.js';
import { sendRaw } from '../support/send.js';
import { SmtpSink, type ReceivedMessage } from '../support/smtp-sink.js';

const STAFF = 's.jones@example-trust.org.uk';
const DPO = { username: 'dpo@example-trust.org.uk', password: 'correct horse battery staple' };
const TUTOR = 'tutor@riverside-tuition.example.com';
const VOLUNTEER = 'helper.volunteer@gmail.com';
const CLASS_LIST = 'Forename,Surname,UPN\nJane,Smith,H801200001001\nGrace,Hall,B801200005001\nThomas,Smith,T330400525017\n';

const DLP_YAML = (extra: string): string => `mode: enforce
organisation:
  name: Riverside Academy Trust
  internal_domains: [example-trust.org.uk]
  dpo_contact: dpo@example-trust.org.uk
  policy_url: https://example-trust.org.uk/policies/ict
roster:
  file: roster.csv
${extra}`;

interface Mail {
  from?: string;
  to?: string;
  subject: string;
  text: string;
  headers?: Record<string, string>;
  attachments?: { filename: string; content: string }[];
}

function compose(mail: Mail): Promise<Buffer> {
  return new MailComposer({
    from: mail.from ?? `Sarah Jones <${STAFF}>`,
    to: mail.to ?? TUTOR,
    subject: mail.subject,
    text: mail.text,
    messageId: `<${Math.random().toString(36).slice(2)}@example-trust.org.uk>`,
    ...(mail.headers ? { headers: mail.headers } : {}),
    ...(mail.attachments ? { attachments: mail.attachments } : {}),
  })
    .compile()
    .build();
}

async function send(mail: Mail, envelope: { from?: string; to?: string[] } = {}): Promise<{ code: number; response: string }> {
  return sendRaw(relay.port, { from: envelope.from ?? STAFF, to: envelope.to ?? [mail.to ?? TUTOR] }, await compose(mail));
}

/** Notices are the relay's own mail: X-DLP-Notice, null return path, to the member of staff. */
function isNotice(message: ReceivedMessage): boolean {
  return /^X-DLP-Notice:/im.test(message.raw.toString('latin1').split(/\r?\n\r?\n/)[0]!);
}

async function noticeFor(sink: SmtpSink, reference: string, outcome: string, ms = 15_000): Promise<{ envelope: ReceivedMessage; mail: ParsedMail }> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = sink.received.find((m) => isNotice(m) && new RegExp(`^X-DLP-Notice: ${outcome}; ref=${reference}\r?$`, 'im').test(m.raw.toString('latin1')));
    if (found) return { envelope: found, mail: await simpleParser(found.raw) };
    if (Date.now() > deadline) throw new Error(`no ${outcome} notice for ${reference}; the sink has ${sink.received.length} message(s)`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function noticesAbout(sink: SmtpSink, reference: string): ReceivedMessage[] {
  return sink.received.filter((m) => isNotice(m) && new RegExp(`^X-DLP-Notice: \\w+; ref=${reference}\r?$`, 'im').test(m.raw.toString('latin1')));
}

let relay: HarakaRelay;

describe('sender notices through the relay\'s own outbound queue', () => {
  const sink = new SmtpSink();
  let review: ReviewClient;

  beforeAll(async () => {
    await sink.start();
    relay = await new HarakaRelay({
      dlpYaml: DLP_YAML(`quarantine:
  release_via: smtp://127.0.0.1:${sink.port}
notifications:
  from: "Email data protection <dlp@example-trust.org.uk>"
`),
      smarthostPort: sink.port,
      configFiles: { 'roster.csv': readFileSync(RIVERSIDE_ROSTER) },
    }).start();
    await relay.waitForOutput(/review queue listening/);
    const added = await dlpCommand(['reviewer', 'add', DPO.username, '--role', 'dpo', '--config', relay.configDir], `${DPO.password}\n`);
    expect(added.code).toBe(0);
    review = new ReviewClient(`http://127.0.0.1:${relay.reviewPort}`);
    await review.signIn(DPO.username, DPO.password);
  }, 60_000);

  afterAll(async () => {
    await relay?.stop();
    await sink.stop();
  });

  it('warn: delivered with the rules in a header, and the sender is told to use initials in the subject', async () => {
    const result = await send({ subject: 'Re: Grace Hall - homework', text: 'Thank you for the extra reading sessions this half term.' });
    expect(result.code).toBe(250);
    const reference = referenceIn(await verdictOf(sink, 'Re: Grace Hall - homework'));
    const { envelope, mail } = await noticeFor(sink, reference, 'warn');
    expect(envelope).toMatchObject({ mailFrom: '', rcptTo: [STAFF] });
    expect(mail.headers.get('auto-submitted')).toBe('auto-replied');
    expect(mail.subject).toBe('Sent, but please check: "Re: G**** H*** - homework"');
    expect(mail.text).toContain('Your message was sent, but next time please send it differently.');
    expect(mail.text).toContain('Use this subject instead: "Re: G.H. - homework"');
    expect(mail.text).toContain("Policy: The trust's data protection policy: where appropriate, use pupils' initials rather than full names");
    expect(mail.text).toContain("a pupil's name (G**** H***)");
    expect(`${mail.text}${mail.html}${mail.subject}`).not.toMatch(/Grace|Hall\b/);
    expect(mail.html).toContain('Use this subject instead: <strong>&ldquo;Re: G.H. - homework&rdquo;</strong>');
  });

  it('hold: 250 with the reference, and the sender is told why, what happens next, how long, and the reference', async () => {
    const result = await send({ to: VOLUNTEER, subject: 'Reading', text: 'Jane Smith (DOB 04/02/2015) has moved up two reading levels this term.' });
    expect(result.code).toBe(250);
    const reference = referenceIn(result.response);
    const { mail } = await noticeFor(sink, reference, 'hold');
    expect(mail.subject).toBe('Held for the Data Protection Officer: "Reading"');
    expect(mail.text).toContain(`Your message to ${VOLUNTEER} is being held for the Data Protection Officer. It has not been sent yet.`);
    expect(mail.text).toContain(`Reference: ${reference}`);
    expect(mail.text).toContain('usually within 24 hours');
    expect(mail.text).toContain("Policy: The trust's data protection policy: never send sensitive information to personal email accounts");
    expect(mail.text).toContain(`Recipient: ${VOLUNTEER} is a personal email account`);
    expect(mail.text).toContain('What to do: Send personal data only to work addresses, or to a parent or carer at the address the school holds for them');
    expect(mail.text).toContain("a pupil's name (J*** S****)");
    expect(`${mail.text}${mail.html}`).not.toMatch(/Jane|Smith\b|04\/02\/2015/);
    // The DPO can see in the audit trail that the sender was told.
    const store = await relayQueue(relay);
    try {
      await expect.poll(async () => (await store.auditLog({ reference })).entries.map((e) => e.action)).toContain('sender-notified');
    } finally {
      await store.close();
    }
  });

  it('reject: 550 5.7.1 with rule, reason and reference; the sender is told which attachment, the clause and how to encrypt it', async () => {
    const result = await send({
      subject: 'Class list',
      text: 'Here is the list for the trip.',
      attachments: [{ filename: 'Jane Smith notes.csv', content: CLASS_LIST }],
    });
    expect(result.code).toBe(550);
    expect(result.response).toMatch(/^550[ -]5\.7\.1 Not sent: \[unencrypted-sensitive-attachment\] An attachment holds sensitive personal data and is not encrypted\. Ref DLP-/m);
    expect(result.response).toMatch(/Policy: The trust's data protection policy: personal, sensitive or confidential information should be in an attachment, and the attachment encrypted/);
    const reference = referenceIn(result.response);
    const { mail } = await noticeFor(sink, reference, 'reject');
    expect(mail.subject).toBe('Not sent: "Class list"');
    expect(mail.text).toContain('Your message was not sent. Nobody has received it.');
    expect(mail.text).toContain('Attachment: J*** S**** n****.csv');
    expect(mail.text).toContain('Encrypt with Password');
    expect(mail.text).toMatch(/7-Zip/);
    expect(mail.text).toMatch(/AES-256/);
    expect(mail.text).toContain('Give the password by phone or text');
    expect(mail.text).toContain('UPN H80…');
    expect(`${mail.text}${mail.html}`).not.toMatch(/Jane|Grace|H801200001001|B801200005001/);
  });

  it('one notice per message, however many rules fire, each rule and each piece of guidance once', async () => {
    const result = await send({
      to: VOLUNTEER,
      subject: 'Jane Smith - EHCP review',
      text: 'Notes attached.',
      attachments: [{ filename: 'list.csv', content: CLASS_LIST }],
    });
    expect(result.code).toBe(550);
    const reference = referenceIn(result.response);
    const { mail } = await noticeFor(sink, reference, 'reject');
    const rules = [...mail.text!.matchAll(/^Why: /gm)].length;
    expect(rules).toBeGreaterThanOrEqual(3);
    expect(mail.text).toContain('Use this subject instead: "J.S. - EHCP review"');
    for (const principle of [
      'do not refer to the information in the subject',
      'personal, sensitive or confidential information should be in an attachment, and the attachment encrypted',
      'never send sensitive information to personal email accounts',
    ]) {
      expect(mail.text).toContain(`Policy: The trust's data protection policy: ${principle}`);
    }
    await new Promise((r) => setTimeout(r, 500));
    expect(noticesAbout(sink, reference)).toHaveLength(1);
  });

  it('the DPO releases one held message and rejects another: the sender hears about each, with the reason', async () => {
    const first = await send({ to: VOLUNTEER, subject: 'Reading record', text: 'Jane Smith (DOB 04/02/2015) read every night this week.' });
    const second = await send({ to: VOLUNTEER, subject: 'Spelling', text: 'Grace Hall (DOB 01/09/2014) needs more practice with spellings.' });
    const [released, rejected] = [referenceIn(first.response), referenceIn(second.response)];
    await noticeFor(sink, released, 'hold');
    await noticeFor(sink, rejected, 'hold');

    expect(await review.release(released)).toContain('Released');
    const sent = await noticeFor(sink, released, 'released');
    expect(sent.mail.subject).toBe('Your held message has been sent: "Reading record"');
    expect(sent.mail.text).toContain('The Data Protection Officer reviewed the message and sent it on to its recipients.');
    expect(sent.mail.text).toContain('The message contains personal data and is addressed to a personal email account.');
    expect(sink.received.filter((m) => !isNotice(m) && m.rcptTo.includes(VOLUNTEER) && m.raw.includes(`ref=${released}`))).toHaveLength(1);

    expect(await review.reject(rejected, 'Please send reading updates through the parent portal, not to a volunteer.')).toContain('Rejected');
    const notSent = await noticeFor(sink, rejected, 'rejected');
    expect(notSent.mail.subject).toBe('Your held message was not sent: "Spelling"');
    expect(notSent.mail.text).toContain('Their reason: Please send reading updates through the parent portal, not to a volunteer.');
    expect(notSent.mail.text).toContain('What to do: Send personal data only to work addresses');
    expect(`${sent.mail.text}${notSent.mail.text}`).not.toMatch(/Jane|Grace/);
  });

  it('never writes about automatic mail, bounces, list traffic or to a sender outside the trust', async () => {
    const forwarded = { subject: 'Class list', text: 'List attached.', attachments: [{ filename: 'list.csv', content: CLASS_LIST }] };
    const cases = [
      await send(forwarded, { from: '' }),
      await send({ ...forwarded, headers: { 'Auto-Submitted': 'auto-replied' } }),
      await send({ ...forwarded, headers: { 'List-Id': 'Staff news <news.example-trust.org.uk>' } }),
      await send({ ...forwarded, headers: { Precedence: 'bulk' } }),
      await send({ ...forwarded, from: 'Someone <someone@forged.example>' }, { from: 'someone@forged.example' }),
    ];
    expect(cases.map((c) => c.code)).toEqual([550, 550, 550, 550, 550]);
    // A message that is notified, sent last: once its notice is here, any about the others would be too.
    const control = await send(forwarded);
    await noticeFor(sink, referenceIn(control.response), 'reject');
    for (const refused of cases) expect(noticesAbout(sink, referenceIn(refused.response))).toHaveLength(0);
    expect(relay.output).toMatch(/no reject notice to the sender: the message was sent by a machine: it has no return address/);
    expect(relay.output).toMatch(/no reject notice to the sender: the sender someone@forged\.example is not at one of the trust's domains/);
  });

  it('escapes a hostile subject and filename in the HTML notice, and shows them as text in the plain one', async () => {
    const subject = 'Trip <script>alert(1)</script> & "friends"';
    const filename = '"><img src=x onerror=alert(1)>.csv';
    const result = await send({ subject, text: 'List attached.', attachments: [{ filename, content: CLASS_LIST }] });
    expect(result.code).toBe(550);
    const { mail } = await noticeFor(sink, referenceIn(result.response), 'reject');
    const html = String(mail.html);
    expect(html).not.toMatch(/<script|<img/i);
    expect(html).toContain('Trip &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;friends&quot;');
    expect(html).toContain('&quot;&gt;&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;.csv');
    expect(mail.text).toContain(`Message: "${subject}"`);
    expect(mail.text).toContain(`Attachment: ${filename}`);
  });
});

/** The verdict header of the delivered message with this subject. */
async function verdictOf(sink: SmtpSink, subject: string): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const delivered = sink.received.find((m) => !isNotice(m) && m.raw.toString('utf8').includes(`Subject: ${subject}`));
    if (delivered) return /^X-DLP-Verdict: (.*)$/m.exec(delivered.raw.toString('latin1'))![1]!.replace(/ref=/, 'Ref ');
    if (Date.now() > deadline) throw new Error(`"${subject}" was not delivered`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("a trust's own wording, by submission to a mail server that is down at first", () => {
  const trustServer = new SmtpSink();
  // The smarthost defers everything: nothing this relay accepts for delivery can be queued.
  const deferringSmarthost = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    disableReverseLookup: true,
    logger: false,
    onRcptTo: (_address, _session, callback) => callback(Object.assign(new Error('Try again later'), { responseCode: 451 })),
  });
  let trustRelay: HarakaRelay;
  let submissionPort: number;

  beforeAll(async () => {
    await new Promise<void>((resolve) => deferringSmarthost.listen(0, '127.0.0.1', resolve));
    submissionPort = await freePort();
    trustRelay = new HarakaRelay({
      dlpYaml: DLP_YAML(`rules:
  forward-to-personal-address:
    action: reject
    clause: "Staff Acceptable Use Policy 6.3: do not forward work email to personal accounts"
notifications:
  from: "Riverside DPO <dpo@example-trust.org.uk>"
  submission: { host: 127.0.0.1, port: ${submissionPort} }
  templates: notice-templates
  retry: { first_after_seconds: 0.5, max_delay_minutes: 0.02 }
`),
      smarthostPort: (deferringSmarthost.server.address() as AddressInfo).port,
      configFiles: { 'roster.csv': readFileSync(RIVERSIDE_ROSTER) },
    });
    mkdirSync(join(trustRelay.configDir, 'notice-templates'), { recursive: true });
    writeFileSync(
      join(trustRelay.configDir, 'notice-templates', 'reject.text.hbs'),
      'RIVERSIDE TRUST: your email "{{subject}}" was stopped.\n{{#each rules}}\n* {{clause}}\n{{/each}}\nRing the office on 01234 567890 if you need help.\n',
    );
    await trustRelay.start();
  }, 60_000);

  afterAll(async () => {
    await trustRelay?.stop();
    await trustServer.stop();
    await new Promise<void>((resolve) => deferringSmarthost.close(() => resolve()));
  });

  it('the message is refused at once whatever the notice does; the notice is retried until the server answers, in the trust\'s words', async () => {
    const raw = await compose({
      to: 'sarah.jones1984@gmail.com',
      subject: 'Fwd: staff meeting',
      text: '---------- Forwarded message ---------\nFrom: Office <office@example-trust.org.uk>\nDate: Mon, 23 Nov 2026\nSubject: staff meeting\nTo: <staff@example-trust.org.uk>\n\nThe meeting is at 3.30.',
    });
    const result = await sendRaw(trustRelay.port, { from: STAFF, to: ['sarah.jones1984@gmail.com'] }, raw);
    expect(result.code).toBe(550);
    expect(result.response).toMatch(/Policy: Staff Acceptable Use Policy 6\.3/);
    const reference = referenceIn(result.response);
    await trustRelay.waitForOutput(new RegExp(`could not send reject notice for ${reference} to ${STAFF} \\(submission to 127\\.0\\.0\\.1:${submissionPort}, attempt 1\\)`));

    await trustServer.start(submissionPort);
    const { envelope, mail } = await noticeFor(trustServer, reference, 'reject');
    expect(envelope).toMatchObject({ mailFrom: '', rcptTo: [STAFF] });
    expect(mail.from?.text).toBe('"Riverside DPO" <dpo@example-trust.org.uk>');
    expect(mail.text).toBe('RIVERSIDE TRUST: your email "Fwd: staff meeting" was stopped.\n* Staff Acceptable Use Policy 6.3: do not forward work email to personal accounts\nRing the office on 01234 567890 if you need help.\n');
    // The parts the trust did not replace are the shipped ones, with the trust's clause.
    expect(mail.subject).toBe('Not sent: "Fwd: staff meeting"');
    expect(String(mail.html)).toContain('Policy: Staff Acceptable Use Policy 6.3');
    expect(trustRelay.output).toMatch(/the trust's templates replace reject\.text\.hbs/);
  });

  it('a warned message that the queue then cannot take is not reported as sent', async () => {
    const warned = await compose({ subject: 'Re: Grace Hall - homework', text: 'Thank you for the extra reading sessions.' });
    const result = await sendRaw(trustRelay.port, { from: STAFF, to: [TUTOR] }, warned);
    expect(result.code).toBeGreaterThanOrEqual(400);
    expect(result.code).toBeLessThan(500);
    const warnedRef = /"ref":"(DLP-[0-9A-Z]{5}-[0-9A-Z]{5})","sender":"[^"]+","recipients":\[\{"domain":"riverside-tuition\.example\.com"/.exec(trustRelay.output)?.[1];
    expect(warnedRef).toBeDefined();
    // A reject sent after it: once its notice is here, a warn notice would have been too.
    const refused = await sendRaw(trustRelay.port, { from: STAFF, to: ['sarah.jones1984@gmail.com'] }, await compose({ to: 'sarah.jones1984@gmail.com', subject: 'Fwd: minutes', text: '---------- Forwarded message ---------\nFrom: Office <office@example-trust.org.uk>\nDate: Mon, 23 Nov 2026\nSubject: minutes\nTo: <staff@example-trust.org.uk>\n\nMinutes attached.' }));
    await noticeFor(trustServer, referenceIn(refused.response), 'reject');
    expect(noticesAbout(trustServer, warnedRef!)).toHaveLength(0);
  });
});
