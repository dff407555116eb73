/**
 * Who is told, and how often: SenderNotices over real verdicts (the engine with the
 * Riverside roster) and a real configuration. The mailer here only records what it is
 * given; the outbox and real SMTP are tested in outbox.test.ts and end to end.
 */
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { loadConfig, type DlpConfig } from '../../src/config/load.js';
import type { Verdict } from '../../src/engine/types.js';
import { senderNoticeFacts, type SenderNoticeFacts } from '../../src/notify/facts.js';
import type { Mailer, OutgoingMail } from '../../src/notify/mailer.js';
import { SenderNotices } from '../../src/notify/sender-notices.js';
import type { QueueItem } from '../../src/quarantine/types.js';
import { BASE_DLP_YAML, configDirWith } from '../support/config.js';
import { engineWithRoster, STAFF, textMessage } from '../support/roster.js';

const NOTIFICATIONS = `notifications:\n  from: "Email data protection <dlp@example-trust.org.uk>"\n`;

class RecordingMailer implements Mailer {
  readonly sent: OutgoingMail[] = [];
  failNext = false;
  async send(mail: OutgoingMail): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('disk full');
    }
    this.sent.push(mail);
  }
}

async function inspected(subject: string, body: string, to: string, headers = '', mailFrom = STAFF): Promise<{ verdict: Verdict; facts: SenderNoticeFacts }> {
  const engine = engineWithRoster();
  const message = await engine.parse(textMessage(subject, body, headers));
  const verdict = engine.inspectParsed(message, { mailFrom, rcptTo: [to] }, `DLP-TEST${Math.floor(Math.random() * 9)}-AAAAA`, performance.now());
  return { verdict, facts: senderNoticeFacts(message, verdict.findings, mailFrom) };
}

function notices(yaml = NOTIFICATIONS): { notices: SenderNotices; mailer: RecordingMailer; config: DlpConfig } {
  const config = loadConfig(configDirWith(`${BASE_DLP_YAML}${yaml}`));
  const mailer = new RecordingMailer();
  return { notices: new SenderNotices(() => config, mailer, { warn: () => undefined }), mailer, config };
}

/** What the queue gives back for a held message: the fields a decision notice reads. */
function heldItem(reference: string, verdict: Verdict, facts: SenderNoticeFacts, decisionReason: string): QueueItem {
  return {
    reference,
    mailFrom: STAFF,
    rcptTo: ['helper.volunteer@gmail.com'],
    receivedAt: new Date('2026-11-23T09:12:00Z'),
    ruleDetails: verdict.rules,
    recipients: verdict.recipients,
    decisionReason,
    review: { findings: verdict.findings, notice: facts },
  } as unknown as QueueItem;
}

const WARN = ['Re: Grace Hall - homework', 'Thanks for the reading sessions.', 'tutor@riverside-tuition.example.com'] as const;

describe('SenderNotices', () => {
  it('sends one auto-replied notice to the envelope sender, threaded under the original', async () => {
    const { notices: n, mailer } = notices();
    const { verdict, facts } = await inspected(...WARN, 'Message-ID: <abc@example-trust.org.uk>\r\n');
    expect(verdict.action).toBe('warn');
    await expect(n.afterVerdict({ verdict, facts, mailFrom: STAFF, rcptTo: [WARN[2]] })).resolves.toEqual({ sent: true, to: STAFF });
    expect(mailer.sent).toHaveLength(1);
    expect(mailer.sent[0]).toMatchObject({
      to: [STAFF],
      autoSubmitted: 'auto-replied',
      nullReturnPath: true,
      inReplyTo: '<abc@example-trust.org.uk>',
      notice: `warn; ref=${verdict.reference}`,
    });
    expect(mailer.sent[0]!.text).toContain('Use this subject instead: "Re: G.H. - homework"');
  });

  it('does not send the same notice twice for one message (a retry), but does for a new outcome', async () => {
    const { notices: n, mailer } = notices();
    const { verdict, facts } = await inspected(...WARN, 'Message-ID: <again@example-trust.org.uk>\r\n');
    await n.afterVerdict({ verdict, facts, mailFrom: STAFF, rcptTo: [WARN[2]] });
    const second = await n.afterVerdict({ verdict: { ...verdict, reference: 'DLP-OTHER-REFER' }, facts, mailFrom: STAFF, rcptTo: [WARN[2]] });
    expect(second).toEqual({ sent: false, why: 'the sender was already sent a warn notice for this message' });
    const held = await n.afterVerdict({ verdict: { ...verdict, action: 'hold' }, facts, mailFrom: STAFF, rcptTo: [WARN[2]] });
    expect(held.sent).toBe(true);
    expect(mailer.sent.map((m) => m.notice!.split(';')[0])).toEqual(['warn', 'hold']);
  });

  it.each([
    ['an outside sender', '', 'someone@forged.example', /not at one of the trust's domains/],
    ['the relay\'s own address', '', 'dlp@example-trust.org.uk', /relay's own notice address/],
    ['an automatic reply', 'Auto-Submitted: auto-replied\r\n', STAFF, /sent by a machine: it was sent automatically \(Auto-Submitted: auto-replied\)/],
    ['list traffic', 'List-Id: <staff.example-trust.org.uk>\r\n', STAFF, /mailing-list traffic/],
    ['a null sender', '', '', /no return address/],
  ])('never writes about %s', async (_what, headers, mailFrom, why) => {
    const { notices: n, mailer } = notices();
    const { verdict, facts } = await inspected(...WARN, headers, mailFrom);
    const result = await n.afterVerdict({ verdict, facts, mailFrom, rcptTo: [WARN[2]] });
    expect(result.sent).toBe(false);
    expect(result.sent ? '' : result.why).toMatch(why);
    expect(mailer.sent).toHaveLength(0);
  });

  it('is silent in monitor mode, without notifications: and for outcomes the trust turned off', async () => {
    const { verdict, facts } = await inspected(...WARN);
    const args = { verdict, facts, mailFrom: STAFF, rcptTo: [WARN[2]] };
    await expect(notices().notices.afterVerdict({ ...args, verdict: { ...verdict, mode: 'monitor' } })).resolves.toEqual({ sent: false, why: 'the relay is in monitor mode' });
    await expect(notices('').notices.afterVerdict(args)).resolves.toEqual({ sent: false, why: 'notifications are not configured' });
    const only = notices(`${NOTIFICATIONS}  notify_senders: [hold, reject]\n`);
    await expect(only.notices.afterVerdict(args)).resolves.toEqual({ sent: false, why: 'notices for warn are turned off' });
    expect(only.mailer.sent).toHaveLength(0);
  });

  it('a notice that cannot be queued is reported, never thrown, and may be tried again', async () => {
    const { notices: n, mailer } = notices();
    const { verdict, facts } = await inspected(...WARN, 'Message-ID: <full@example-trust.org.uk>\r\n');
    mailer.failNext = true;
    await expect(n.afterVerdict({ verdict, facts, mailFrom: STAFF, rcptTo: [WARN[2]] })).resolves.toEqual({ sent: false, why: 'could not queue the notice: disk full' });
    await expect(n.afterVerdict({ verdict, facts, mailFrom: STAFF, rcptTo: [WARN[2]] })).resolves.toEqual({ sent: true, to: STAFF });
  });

  it("after the DPO's decision, uses what was kept with the held message, and the DPO's reason", async () => {
    const { notices: n, mailer } = notices();
    const { verdict, facts } = await inspected('Reading', 'Jane Smith (DOB 04/02/2015) has moved up two reading levels.', 'helper.volunteer@gmail.com');
    expect(verdict.action).toBe('hold');
    const item = heldItem(verdict.reference, verdict, facts, 'Use the parent portal.');
    await expect(n.afterDecision(item, 'rejected')).resolves.toEqual({ sent: true, to: STAFF });
    expect(mailer.sent[0]!.subject).toBe('Your held message was not sent: "Reading"');
    expect(mailer.sent[0]!.text).toContain('Their reason: Use the parent portal.');
    expect(mailer.sent[0]!.text).toContain('Recipient: helper.volunteer@gmail.com is a personal email account');
    expect(mailer.sent[0]!.text).not.toMatch(/Jane|04\/02\/2015/);
    const old = { ...item, review: { ...item.review, notice: undefined } } as unknown as QueueItem;
    const result = await n.afterDecision(old, 'released');
    expect(result.sent).toBe(false);
  });
});

describe('SenderNotices: what counts as the same notice', () => {
  it('a message split into batches for different recipients tells the sender about each batch', async () => {
    const { notices: n, mailer } = notices();
    const { verdict, facts } = await inspected(...WARN, 'Message-ID: <batches@example-trust.org.uk>\r\n');
    await n.afterVerdict({ verdict, facts, mailFrom: STAFF, rcptTo: ['a@riverside-tuition.example.com'] });
    await n.afterVerdict({ verdict, facts, mailFrom: STAFF, rcptTo: ['b@riverside-tuition.example.com'] });
    await n.afterVerdict({ verdict, facts, mailFrom: STAFF, rcptTo: ['B@riverside-tuition.example.com'] });
    expect(mailer.sent).toHaveLength(2);
  });

  it("a DPO's decision is told once per held message, even when two holds share a Message-ID", async () => {
    const { notices: n, mailer } = notices();
    const { verdict, facts } = await inspected('Reading', 'Jane Smith (DOB 04/02/2015) has moved up two reading levels.', 'helper.volunteer@gmail.com', 'Message-ID: <twice@example-trust.org.uk>\r\n');
    const item = (reference: string) => heldItem(reference, verdict, facts, 'No.');
    await n.afterDecision(item('DLP-AAAAA-11111'), 'rejected');
    await n.afterDecision(item('DLP-AAAAA-22222'), 'rejected');
    await n.afterDecision(item('DLP-AAAAA-22222'), 'rejected');
    expect(mailer.sent.map((m) => m.notice)).toEqual(['rejected; ref=DLP-AAAAA-11111', 'rejected; ref=DLP-AAAAA-22222']);
  });
});
