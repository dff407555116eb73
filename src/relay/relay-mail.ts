/**
 * The relay's own email: the outbox, its transport (the trust's submission server, or
 * Haraka's outbound queue), and the sender notices that use it. Started when dlp.yaml has
 * `notifications:`; every outcome is logged, and for held messages also written to the
 * quarantine's audit trail, so the DPO can see whether the sender was told.
 */
import type { DlpConfig } from '../config/load.js';
import type { NotificationSettings } from '../config/quarantine.js';
import type { Verdict } from '../engine/types.js';
import type { SenderNoticeFacts } from '../notify/facts.js';
import { submissionTransport, type MailTransport, type Mailer, type OutgoingMail } from '../notify/mailer.js';
import { MailOutbox } from '../notify/outbox.js';
import { SenderNotices, type NoticeResult } from '../notify/sender-notices.js';
import { HarakaQueueTransport } from './haraka-outbound.js';
import type { QuarantineAccess } from './quarantine-access.js';
import type { RelayLog } from './roster-keeper.js';

export class RelayMail implements Mailer {
  private outbox: MailOutbox | undefined;
  private transport: { settings: NotificationSettings; releaseVia: DlpConfig['quarantine']['releaseVia']; transport: MailTransport } | undefined;
  readonly notices: SenderNotices;

  constructor(
    private readonly config: () => DlpConfig,
    private readonly quarantine: QuarantineAccess | undefined,
    private readonly log: RelayLog,
  ) {
    this.notices = new SenderNotices(config, this, log);
    const settings = config().notifications;
    if (settings) {
      this.start(settings);
      const overridden = settings.overriddenTemplates;
      log.info(
        `dlp: notices to senders (${settings.notifySenders.join(', ')}) go out ${settings.submission ? `by submission to ${settings.submission.host}:${settings.submission.port}` : "through the relay's outbound queue"}` +
          (overridden.length ? `; the trust's templates replace ${overridden.join(', ')}` : ''),
      );
    } else {
      log.warn('dlp: notifications: is not set in dlp.yaml, so senders get no guidance emails and reviewers no reminders');
    }
  }

  async send(mail: OutgoingMail): Promise<void> {
    const settings = this.config().notifications;
    if (!settings) throw new Error('notifications: is not configured');
    await this.start(settings).send(mail);
  }

  /** After the relay's answer (warn delivered, hold committed and answered 250, reject answered 550). Never rejects. */
  afterVerdict(input: { verdict: Verdict; facts: SenderNoticeFacts; mailFrom: string; rcptTo: string[] }): void {
    void this.notices.afterVerdict(input).then((result) => this.record(input.verdict.reference, input.verdict.action, result, input.verdict.action === 'hold'));
  }

  /** After a reviewer's decision (the review queue's `decided` event). Never rejects. */
  async afterDecision(reference: string, decision: 'released' | 'rejected'): Promise<void> {
    try {
      const item = await (await this.quarantine!.store()).get(reference);
      if (!item) return this.log.warn(`dlp: ${reference}: decided, but the item is gone: the sender was not told`);
      await this.record(reference, decision, await this.notices.afterDecision(item, decision), true);
    } catch (error) {
      this.log.warn(`dlp: ${reference}: could not tell the sender about the decision: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** The outbox's backlog: emails waiting to be sent, and given up; undefined without notifications. */
  async outboxState(): Promise<{ pending: number; failed: number } | undefined> {
    if (!this.outbox) return undefined;
    const [pending, failed] = await Promise.all([this.outbox.pending(), this.outbox.failed()]);
    return { pending, failed };
  }

  async close(): Promise<void> {
    await this.outbox?.close();
    this.transport?.transport.close?.();
  }

  private start(settings: NotificationSettings): MailOutbox {
    this.outbox ??= new MailOutbox(settings.outboxDir, {
      from: () => this.config().notifications?.from ?? settings.from,
      transport: () => this.currentTransport(),
      retry: () => (this.config().notifications ?? settings).retry,
      log: this.log,
    }).start();
    return this.outbox;
  }

  /** The transport for the settings in force, made again only when they change. */
  private currentTransport(): MailTransport {
    const config = this.config();
    const settings = config.notifications;
    if (!settings) throw new Error('notifications: is no longer configured; the email waits in the outbox');
    const releaseVia = config.quarantine.releaseVia;
    const same = this.transport && JSON.stringify([this.transport.settings.submission, this.transport.releaseVia]) === JSON.stringify([settings.submission, releaseVia]);
    if (!same) {
      this.transport?.transport.close?.();
      this.transport = { settings, releaseVia, transport: settings.submission ? submissionTransport(settings.submission) : new HarakaQueueTransport(releaseVia) };
    }
    return this.transport!.transport;
  }

  private async record(reference: string, outcome: string, result: NoticeResult, audit: boolean): Promise<void> {
    const detail = result.sent ? `${outcome} notice queued for ${result.to}` : `no ${outcome} notice to the sender: ${result.why}`;
    this.log.info(`dlp: ${reference}: ${detail}`);
    if (!audit || !this.quarantine) return;
    try {
      await (await this.quarantine.store()).audit({ actor: 'system', ip: '', action: result.sent ? 'sender-notified' : 'sender-not-notified', reference, detail });
    } catch (error) {
      this.log.warn(`dlp: ${reference}: could not record the notice in the audit trail: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
