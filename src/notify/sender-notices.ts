/**
 * Tells the member of staff what happened to their message and how to send it properly:
 * after the relay's verdict (warn, hold, reject) and after the DPO's decision on a held
 * message (released, rejected). One email per message and outcome, however many rules
 * fired. Never to a machine (automatic mail, bounces, lists), never to an address outside
 * the trust (a forged sender gets no backscatter), and never able to change a verdict:
 * every path resolves, with what it did or why it did not.
 */
import type { DlpConfig } from '../config/load.js';
import { DomainList, domainOfAddress } from '../config/domain-list.js';
import type { Verdict } from '../engine/types.js';
import type { QueueItem } from '../quarantine/types.js';
import type { SenderNoticeFacts } from './facts.js';
import { addressOf, type Mailer } from './mailer.js';
import { noticeModel, type NoticeInput, type NoticeOutcome } from './notice-model.js';
import { NoticeTemplates } from './templates.js';

export type NoticeResult = { sent: true; to: string } | { sent: false; why: string };

export interface NoticeLog {
  warn(message: string): void;
}

/** How long a notice for the same message and outcome is not sent again (a sending server's retries, a resend). */
const REPEAT_WINDOW_MS = 60 * 60_000;
const MAX_REMEMBERED = 10_000;

export class SenderNotices {
  private readonly recent = new Map<string, number>();
  private templatesFor: { config: DlpConfig; templates: NoticeTemplates } | undefined;

  constructor(
    private readonly config: () => DlpConfig,
    private readonly mailer: Mailer,
    private readonly log: NoticeLog,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** After the relay answered: `warn` (delivered), `hold` (committed to the queue, 250), `reject` (550). */
  async afterVerdict(input: { verdict: Verdict; facts: SenderNoticeFacts; mailFrom: string; rcptTo: string[] }): Promise<NoticeResult> {
    const { verdict } = input;
    if (verdict.mode === 'monitor') return this.skip('the relay is in monitor mode');
    if (verdict.action === 'pass') return this.skip('the message passed');
    return this.notify(verdict.action, input.facts, {
      reference: verdict.reference,
      sender: input.mailFrom,
      recipients: input.rcptTo,
      receivedAt: this.now(),
      rules: verdict.rules,
      findings: verdict.findings,
      classified: verdict.recipients,
    });
  }

  /** After a reviewer's decision on a held message. */
  async afterDecision(item: QueueItem, decision: 'released' | 'rejected'): Promise<NoticeResult> {
    const facts = item.review?.notice;
    if (!facts) return this.skip('the held message has no notice details (held before notices existed, or expired)');
    return this.notify(decision, facts, {
      reference: item.reference,
      sender: item.mailFrom,
      recipients: item.rcptTo,
      receivedAt: item.receivedAt,
      rules: item.ruleDetails,
      findings: item.review?.findings ?? [],
      classified: item.recipients,
      ...(decision === 'rejected' && item.decisionReason ? { dpoReason: item.decisionReason } : {}),
    });
  }

  private async notify(
    outcome: NoticeOutcome,
    facts: SenderNoticeFacts,
    message: Omit<NoticeInput, 'outcome' | 'organisation' | 'facts' | 'reviewWithinHours'>,
  ): Promise<NoticeResult> {
    let key: string | undefined;
    try {
      const config = this.config();
      const why = whyNotNotified(outcome, message.sender, facts, config);
      if (why) return this.skip(why);
      key = repeatKey(outcome, message.sender, message.recipients, facts.messageId, message.reference);
      if (this.repeated(key)) return this.skip(`the sender was already sent a ${outcome} notice for this message`);
      const model = noticeModel({
        ...message,
        outcome,
        organisation: config.organisation,
        facts,
        ...(outcome === 'hold' ? { reviewWithinHours: Math.round(config.quarantine.overdueAfterMs / 3_600_000) } : {}),
      });
      const rendered = this.templates(config).render(model);
      await this.mailer.send({
        to: [message.sender],
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
        autoSubmitted: 'auto-replied',
        nullReturnPath: config.notifications!.nullReturnPath,
        ...(facts.messageId ? { inReplyTo: facts.messageId } : {}),
        notice: `${outcome}; ref=${message.reference}`,
        label: `${outcome} notice for ${message.reference}`,
      });
      return { sent: true, to: message.sender };
    } catch (error) {
      if (key) this.recent.delete(key);
      const why = `could not queue the notice: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
      this.log.warn(`dlp: ${message.reference}: ${why}`);
      return { sent: false, why };
    }
  }

  private skip(why: string): NoticeResult {
    return { sent: false, why };
  }

  private repeated(key: string): boolean {
    const now = this.now().getTime();
    const last = this.recent.get(key);
    if (last !== undefined && now - last < REPEAT_WINDOW_MS) return true;
    this.recent.set(key, now);
    if (this.recent.size > MAX_REMEMBERED) {
      for (const [k, at] of this.recent) if (now - at >= REPEAT_WINDOW_MS || this.recent.size > MAX_REMEMBERED) this.recent.delete(k);
    }
    return false;
  }

  private templates(config: DlpConfig): NoticeTemplates {
    if (this.templatesFor?.config !== config) this.templatesFor = { config, templates: new NoticeTemplates(config.notifications!.templates) };
    return this.templatesFor.templates;
  }
}

/**
 * What makes two notices the same. A decision is once per held message (its reference); a
 * verdict is once per message (its Message-ID) and set of recipients, so a sending server's
 * retry is not told twice, but a message split into batches for different recipients is.
 */
function repeatKey(outcome: NoticeOutcome, sender: string, recipients: readonly string[], messageId: string | undefined, reference: string): string {
  if (outcome === 'released' || outcome === 'rejected' || !messageId) return `${outcome}|${reference}`;
  return `${outcome}|${sender.toLowerCase()}|${messageId}|${[...recipients].map((r) => r.toLowerCase()).sort().join(',')}`;
}

/** Why this sender must not get this notice, or undefined when they should. */
export function whyNotNotified(outcome: NoticeOutcome, sender: string, facts: SenderNoticeFacts, config: DlpConfig): string | undefined {
  const settings = config.notifications;
  if (!settings) return 'notifications are not configured';
  if (!settings.notifySenders.includes(outcome)) return `notices for ${outcome} are turned off`;
  if (facts.automatic) return `the message was sent by a machine: ${facts.automatic}`;
  if (!sender) return 'the message has no return address';
  if (!new DomainList(config.organisation.internalDomains).has(domainOfAddress(sender))) {
    return `the sender ${sender} is not at one of the trust's domains (an outside or forged sender is never written to)`;
  }
  if (sender.toLowerCase() === addressOf(settings.from).toLowerCase()) return "the message came from the relay's own notice address";
  return undefined;
}
