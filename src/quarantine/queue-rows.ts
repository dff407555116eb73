/** Between queue items as the store's callers see them and the sealed rows of `queue_items`. */
import { sql } from 'kysely';
import type { Expression, ExpressionBuilder, Insertable, Selectable, SqlBool } from 'kysely';
import type { Action, ClassifiedRecipient, Finding, RuleFired } from '../engine/types.js';
import type { SealedBox } from './sealed-box.js';
import type { QuarantineTables, QueueItemsTable } from './tables.js';
import type { NewQueueItem, Note, QueueEntry, QueueFilter, QueueItem, QueueStatus, ReviewDocument } from './types.js';

type QueueRow = Selectable<QueueItemsTable>;

/** Sealed in `summary`: what the queue list shows. */
interface QueueSummary {
  subject: string;
  recipients: { address: string; class: string }[];
}

/** Sealed in `details`: what the message page shows. */
interface QueueDetails {
  action: Action;
  rules: RuleFired[];
  recipients: Omit<ClassifiedRecipient, 'contactOf'>[];
  findings: Finding[];
  review: ReviewDocument;
}

export function sealQueueItem(box: SealedBox, item: NewQueueItem): Insertable<QueueItemsTable> {
  const summary: QueueSummary = {
    subject: item.review.subject.text,
    recipients: item.recipients.map((recipient) => ({ address: recipient.address, class: recipient.class })),
  };
  const details: QueueDetails = {
    action: item.action,
    rules: item.rules,
    recipients: item.recipients,
    findings: item.findings,
    review: item.review,
  };
  const receivedAt = item.receivedAt.toISOString();
  return {
    reference: item.reference,
    status: item.monitor ? 'monitored' : 'held',
    monitor: item.monitor ? 1 : 0,
    mail_from: item.mailFrom,
    rcpt_to: JSON.stringify(item.rcptTo),
    rules: encodeRuleIds(item.rules.map((rule) => rule.id)),
    people: item.review.people,
    size: item.raw.length,
    received_at: receivedAt,
    // Monitor mode delivered it at once: it is decided, and ages out like a decided item.
    decided_at: item.monitor ? receivedAt : null,
    decided_by: null,
    decision_reason: null,
    relay: item.relay,
    key_id: box.keyId,
    summary: sealJson(box, summary, `${item.reference}/summary`),
    details: sealJson(box, details, `${item.reference}/details`),
    raw: box.seal(item.raw, `${item.reference}/raw`),
    purged_at: null,
  };
}

/** One row of the list; an expired item has no subject or recipient classes left. */
export function toQueueEntry(box: SealedBox, row: QueueRow): QueueEntry {
  const summary = row.summary ? openJson<QueueSummary>(box, row.summary, `${row.reference}/summary`) : undefined;
  const rcptTo = JSON.parse(row.rcpt_to) as string[];
  const classOf = new Map(summary?.recipients.map((recipient) => [recipient.address.toLowerCase(), recipient.class]));
  const entry: QueueEntry = {
    reference: row.reference,
    status: row.status as QueueStatus,
    monitor: row.monitor !== 0,
    mailFrom: row.mail_from,
    rcptTo,
    // One per envelope recipient, in the same order ('' if it was not classified).
    recipientClasses: summary ? rcptTo.map((address) => classOf.get(address.toLowerCase()) ?? '') : [],
    subject: summary?.subject ?? '',
    rules: decodeRuleIds(row.rules),
    people: row.people,
    size: row.size,
    receivedAt: new Date(row.received_at),
    relay: row.relay,
  };
  if (row.decided_at !== null) entry.decidedAt = new Date(row.decided_at);
  if (row.decided_by !== null) entry.decidedBy = row.decided_by;
  if (row.decision_reason !== null) entry.decisionReason = row.decision_reason;
  return entry;
}

export function toQueueItem(box: SealedBox, row: QueueRow, notes: Note[]): QueueItem {
  const details = row.details ? openJson<QueueDetails>(box, row.details, `${row.reference}/details`) : undefined;
  const item: QueueItem = {
    ...toQueueEntry(box, row),
    ruleDetails: details?.rules ?? [],
    recipients: details?.recipients ?? [],
    notes,
  };
  if (details) item.review = details.review;
  return item;
}

/** The SQL condition for a list filter (paging aside). */
export function queueCondition(filter: QueueFilter) {
  return (eb: ExpressionBuilder<QuarantineTables, 'queue_items'>): Expression<SqlBool> => {
    const conditions: Expression<SqlBool>[] = [];
    if (filter.status) conditions.push(eb('status', '=', filter.status));
    // lower() on both sides: SQLite's like ignores ASCII case and PostgreSQL's does not.
    if (filter.rule) conditions.push(sql<SqlBool>`lower(rules) like lower(${`%,${escapeLike(filter.rule)},%`}) escape '\\'`);
    if (filter.sender) conditions.push(sql<SqlBool>`lower(mail_from) like lower(${`%${escapeLike(filter.sender)}%`}) escape '\\'`);
    if (filter.receivedBefore) {
      conditions.push(eb('status', '=', 'held'), eb('received_at', '<', filter.receivedBefore.toISOString()));
    }
    return eb.and(conditions);
  };
}

/** Limit (default 50, at most 500) and offset from a filter. */
export function pageOf(filter: { limit?: number; offset?: number }): { limit: number; offset: number } {
  const limit = Math.min(Math.max(Math.floor(filter.limit ?? 50), 1), 500);
  const offset = Math.max(Math.floor(filter.offset ?? 0), 0);
  return { limit: Number.isFinite(limit) ? limit : 50, offset: Number.isFinite(offset) ? offset : 0 };
}

/** `text` matched literally inside a like pattern whose escape character is `\`. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}

function encodeRuleIds(ids: string[]): string {
  return `,${[...new Set(ids)].join(',')},`;
}

function decodeRuleIds(encoded: string): string[] {
  return encoded.split(',').filter(Boolean);
}

function sealJson(box: SealedBox, value: unknown, context: string): Buffer {
  return box.seal(Buffer.from(JSON.stringify(value), 'utf8'), context);
}

function openJson<T>(box: SealedBox, sealed: Buffer, context: string): T {
  return JSON.parse(box.open(sealed, context).toString('utf8')) as T;
}
