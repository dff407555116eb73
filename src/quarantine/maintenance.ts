/**
 * The quarantine's housekeeping, run by every relay on a timer (the store makes sure only
 * one sends each reminder): decided items past the retention period lose their content,
 * and when held items have waited too long, reviewers get a reminder digest. An undecided
 * hold is never released or deleted by a timer.
 */
import type { Mailer } from '../notify/mailer.js';
import type { QuarantineStore } from './types.js';

export interface MaintenanceSettings {
  retentionMs: number;
  overdueAfterMs: number;
  reminderEveryMs: number;
  organisation: string;
  /** Extra reminder recipients besides the DPO reviewers (the DPO contact address). */
  alsoRemind: string[];
  /** Where reviewers open the queue. */
  queueUrl?: string;
}

export interface MaintenanceLog {
  info(message: string): void;
  warn(message: string): void;
}

export async function runMaintenance(
  store: QuarantineStore,
  settings: MaintenanceSettings,
  mailer: Mailer | undefined,
  log: MaintenanceLog,
  now: Date = new Date(),
): Promise<{ purged: number; reminded: string[] }> {
  const purged = await store.purgeDecided(new Date(now.getTime() - settings.retentionMs));
  await store.purgeSpentSignatures(now);
  if (purged > 0) {
    await store.audit({ actor: 'system', ip: '', action: 'retention-purge', detail: `content removed from ${purged} decided message(s)` });
    log.info(`dlp: retention removed the content of ${purged} decided message(s)`);
  }
  const overdueBefore = new Date(now.getTime() - settings.overdueAfterMs);
  const { overdue } = await store.counts(overdueBefore);
  if (overdue === 0) return { purged, reminded: [] };
  if (!mailer) {
    log.warn(`dlp: ${overdue} held message(s) are overdue for review; set notifications: in dlp.yaml to email reviewers a reminder`);
    return { purged, reminded: [] };
  }
  const reviewers = (await store.reviewers()).filter((r) => r.role === 'dpo' && !r.disabled && r.username.includes('@')).map((r) => r.username);
  const to = [...new Set([...reviewers, ...settings.alsoRemind.map((a) => a.toLowerCase())])];
  if (to.length === 0 || !(await store.claimReminder(now, settings.reminderEveryMs))) return { purged, reminded: [] };
  const { entries } = await store.list({ status: 'held', receivedBefore: overdueBefore, limit: 1, offset: overdue - 1 });
  const oldest = entries[0];
  const hours = settings.overdueAfterMs / 3_600_000;
  // No subjects, senders or recipients: a reminder must not itself carry what the queue protects.
  const text = [
    `${overdue} held email message(s) have waited more than ${hours} hours for review by the Data Protection Officer.`,
    oldest ? `The oldest was held at ${oldest.receivedAt.toISOString().replace('T', ' ').slice(0, 16)} UTC (reference ${oldest.reference}).` : '',
    '',
    'Held messages are never sent or deleted automatically: the staff who sent them are waiting for a decision.',
    settings.queueUrl ? `Open the review queue: ${settings.queueUrl}/?overdue=1` : 'Open the review queue to release or reject them.',
    '',
    `${settings.organisation} – email data protection relay`,
  ].filter((line, i, all) => line !== '' || all[i - 1] !== '').join('\n');
  try {
    await mailer.send({ to, subject: `${overdue} held email(s) waiting for review`, text, autoSubmitted: 'auto-generated', label: 'overdue reminder' });
  } catch (error) {
    log.warn(`dlp: could not send the overdue reminder: ${error instanceof Error ? error.message : String(error)}`);
    return { purged, reminded: [] };
  }
  await store.audit({ actor: 'system', ip: '', action: 'overdue-reminder', detail: `${overdue} overdue; sent to ${to.length} reviewer(s)` });
  return { purged, reminded: to };
}
