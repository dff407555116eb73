/**
 * The quarantine store over Kysely: SQLite for a single relay, PostgreSQL for several relays
 * sharing one queue. Content is sealed with the quarantine key before it reaches the database.
 */
import { createHmac } from 'node:crypto';
import type { Kysely } from 'kysely';
import { ReviewerAccounts } from './accounts.js';
import { AuditTrail } from './audit-trail.js';
import { maskDatabaseUrl, openDatabase, type DatabaseOptions } from './database.js';
import { migrateToLatest } from './migrations.js';
import { pageOf, queueCondition, sealQueueItem, toQueueEntry, toQueueItem } from './queue-rows.js';
import { SealedBox } from './sealed-box.js';
import { SignInThrottle } from './sign-in-throttle.js';
import type { QuarantineTables } from './tables.js';
import { QUEUE_STATUSES, QuarantineUnavailableError } from './types.js';
import type {
  AuditEntry,
  AuditFilter,
  DecisionOutcome,
  NewAuditEntry,
  NewQueueItem,
  Note,
  QuarantineStore,
  QueueEntry,
  QueueFilter,
  QueueItem,
  QueueStatus,
  Reviewer,
  ReviewerRole,
  Session,
} from './types.js';

const KEY_MISMATCH =
  "this relay's quarantine key does not match the key the queue was written with; copy the key file from the first relay";

/**
 * Opens the store at `url` (see `openDatabase`), brings its schema up to date and checks that
 * `key` is the key the queue was written with. Throws `QuarantineUnavailableError` naming the
 * database (password masked) if any of that fails.
 */
export async function openQuarantineStore(options: { url: string; key: Buffer } & DatabaseOptions): Promise<QuarantineStore> {
  let db: Kysely<QuarantineTables> | undefined;
  try {
    const box = new SealedBox(options.key);
    const opened = openDatabase(options.url, options);
    db = opened.db;
    await migrateToLatest(db, opened.dialect);
    await checkKey(db, options.key);
    return new KyselyQuarantineStore(db, box);
  } catch (error) {
    await db?.destroy().catch(() => {});
    throw new QuarantineUnavailableError(`the quarantine database ${maskDatabaseUrl(options.url)} cannot be used: ${describe(error)}`, {
      cause: error,
    });
  }
}

/** What the queue records of the key it was written with: an HMAC, which does not give the key away. */
export function keyCheckValue(key: Buffer): string {
  return createHmac('sha256', key).update('dlp-quarantine-key-check').digest('hex');
}

/** Records an HMAC of the first key used; a later start with another key is refused before it writes unreadable rows. */
async function checkKey(db: Kysely<QuarantineTables>, key: Buffer): Promise<void> {
  const check = keyCheckValue(key);
  await db
    .insertInto('store_meta')
    .values({ key: 'key_check', value: check })
    .onConflict((conflict) => conflict.column('key').doNothing())
    .execute();
  const stored = await db.selectFrom('store_meta').select('value').where('key', '=', 'key_check').executeTakeFirstOrThrow();
  if (stored.value !== check) throw new Error(KEY_MISMATCH);
}

/** See `QuarantineStore` for the contract of each method. */
export class KyselyQuarantineStore implements QuarantineStore {
  readonly #accounts: ReviewerAccounts;
  readonly #throttle: SignInThrottle;
  readonly #audit: AuditTrail;

  constructor(
    private readonly db: Kysely<QuarantineTables>,
    private readonly box: SealedBox,
  ) {
    this.#accounts = new ReviewerAccounts(db);
    this.#throttle = new SignInThrottle(db);
    this.#audit = new AuditTrail(db);
  }

  async hold(item: NewQueueItem): Promise<void> {
    try {
      await this.db.insertInto('queue_items').values(sealQueueItem(this.box, item)).execute();
    } catch (error) {
      throw new QuarantineUnavailableError(`could not hold ${item.reference} in the quarantine: ${describe(error)}`, { cause: error });
    }
  }

  async list(filter: QueueFilter = {}): Promise<{ entries: QueueEntry[]; total: number }> {
    const { limit, offset } = pageOf(filter);
    const where = queueCondition(filter);
    const [rows, count] = await Promise.all([
      this.db
        .selectFrom('queue_items')
        .selectAll()
        .where(where)
        .orderBy('received_at', 'desc')
        .orderBy('reference', 'desc')
        .limit(limit)
        .offset(offset)
        .execute(),
      this.db.selectFrom('queue_items').select((eb) => eb.fn.countAll<number>().as('total')).where(where).executeTakeFirstOrThrow(),
    ]);
    return { entries: rows.map((row) => toQueueEntry(this.box, row)), total: Number(count.total) };
  }

  async counts(overdueBefore: Date): Promise<Record<QueueStatus, number> & { overdue: number }> {
    const [perStatus, overdue] = await Promise.all([
      this.db.selectFrom('queue_items').select((eb) => ['status', eb.fn.countAll<number>().as('count')]).groupBy('status').execute(),
      this.db
        .selectFrom('queue_items')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .where('status', '=', 'held')
        .where('received_at', '<', overdueBefore.toISOString())
        .executeTakeFirstOrThrow(),
    ]);
    const counts = Object.fromEntries(QUEUE_STATUSES.map((status) => [status, 0])) as Record<QueueStatus, number>;
    for (const row of perStatus) {
      if ((QUEUE_STATUSES as readonly string[]).includes(row.status)) counts[row.status as QueueStatus] = Number(row.count);
    }
    return { ...counts, overdue: Number(overdue.count) };
  }

  async get(reference: string): Promise<QueueItem | undefined> {
    const row = await this.db.selectFrom('queue_items').selectAll().where('reference', '=', reference).executeTakeFirst();
    if (!row) return undefined;
    const notes = await this.db
      .selectFrom('queue_notes')
      .select(['author', 'at', 'text'])
      .where('reference', '=', reference)
      .orderBy('at')
      .orderBy('id')
      .execute();
    return toQueueItem(
      this.box,
      row,
      notes.map((note): Note => ({ author: note.author, at: new Date(note.at), text: note.text })),
    );
  }

  async raw(reference: string): Promise<Buffer | undefined> {
    const row = await this.db.selectFrom('queue_items').select('raw').where('reference', '=', reference).executeTakeFirst();
    return row?.raw ? this.box.open(row.raw, `${reference}/raw`) : undefined;
  }

  async claimRelease(reference: string, actor: string): Promise<DecisionOutcome> {
    const result = await this.db
      .updateTable('queue_items')
      .set({ status: 'releasing', decided_by: actor, decided_at: new Date().toISOString() })
      .where('reference', '=', reference)
      .where('status', '=', 'held')
      .executeTakeFirst();
    return this.#outcome(reference, Number(result.numUpdatedRows));
  }

  /** releasing → released; does nothing to an item in any other state. */
  async finishRelease(reference: string, actor: string): Promise<void> {
    await this.db
      .updateTable('queue_items')
      .set({ status: 'released', decided_by: actor, decided_at: new Date().toISOString() })
      .where('reference', '=', reference)
      .where('status', '=', 'releasing')
      .execute();
  }

  async abandonRelease(reference: string): Promise<void> {
    await this.db
      .updateTable('queue_items')
      .set({ status: 'held', decided_by: null, decided_at: null })
      .where('reference', '=', reference)
      .where('status', '=', 'releasing')
      .execute();
  }

  async reject(reference: string, actor: string, reason: string): Promise<DecisionOutcome> {
    const result = await this.db
      .updateTable('queue_items')
      .set({ status: 'rejected', decided_by: actor, decided_at: new Date().toISOString(), decision_reason: reason })
      .where('reference', '=', reference)
      .where('status', '=', 'held')
      .executeTakeFirst();
    return this.#outcome(reference, Number(result.numUpdatedRows));
  }

  async #outcome(reference: string, changed: number): Promise<DecisionOutcome> {
    if (changed === 1) {
      const item = await this.get(reference);
      if (item) return { ok: true, item };
    }
    const row = await this.db.selectFrom('queue_items').select('status').where('reference', '=', reference).executeTakeFirst();
    return row ? { ok: false, status: row.status as QueueStatus } : { ok: false };
  }

  /** False when there is no such item (items are never deleted, so the check cannot race). */
  async addNote(reference: string, author: string, text: string): Promise<boolean> {
    const exists = await this.db.selectFrom('queue_items').select('reference').where('reference', '=', reference).executeTakeFirst();
    if (!exists) return false;
    await this.db.insertInto('queue_notes').values({ reference, author, at: new Date().toISOString(), text }).execute();
    return true;
  }

  /** Notes go with the content: they may quote it. Held and releasing items are never touched. */
  async purgeDecided(before: Date): Promise<number> {
    const cutoff = before.toISOString();
    return this.db.transaction().execute(async (trx) => {
      const decidedBefore = trx
        .selectFrom('queue_items')
        .select('reference')
        .where('status', 'in', ['released', 'rejected', 'monitored'])
        .where('decided_at', '<', cutoff);
      await trx.deleteFrom('queue_notes').where('reference', 'in', decidedBefore).execute();
      const result = await trx
        .updateTable('queue_items')
        .set({ raw: null, details: null, summary: null, purged_at: new Date().toISOString(), status: 'expired' })
        .where('status', 'in', ['released', 'rejected', 'monitored'])
        .where('decided_at', '<', cutoff)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    });
  }

  /** One conditional upsert, so relays sharing the store cannot both win a period. */
  async claimSignature(key: string, expiresAt: Date, now: Date): Promise<boolean> {
    const result = await this.db
      .insertInto('spent_signatures')
      .values({ signature_key: key, expires_at: expiresAt.toISOString() })
      .onConflict((conflict) =>
        conflict
          .column('signature_key')
          .doUpdateSet({ expires_at: expiresAt.toISOString() })
          .where('spent_signatures.expires_at', '<=', now.toISOString()),
      )
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async releaseSignature(key: string): Promise<void> {
    await this.db.deleteFrom('spent_signatures').where('signature_key', '=', key).execute();
  }

  async spendSignature(key: string, expiresAt: Date): Promise<void> {
    await this.db
      .insertInto('spent_signatures')
      .values({ signature_key: key, expires_at: expiresAt.toISOString() })
      .onConflict((conflict) => conflict.column('signature_key').doUpdateSet({ expires_at: expiresAt.toISOString() }))
      .execute();
  }

  async purgeSpentSignatures(now: Date): Promise<number> {
    const result = await this.db.deleteFrom('spent_signatures').where('expires_at', '<=', now.toISOString()).executeTakeFirst();
    return Number(result.numDeletedRows ?? 0);
  }

  async claimReminder(now: Date, every: number): Promise<boolean> {
    const result = await this.db
      .insertInto('store_meta')
      .values({ key: 'last_reminder_at', value: now.toISOString() })
      .onConflict((conflict) =>
        conflict
          .column('key')
          .doUpdateSet({ value: (eb) => eb.ref('excluded.value') })
          .where('store_meta.value', '<=', new Date(now.getTime() - every).toISOString()),
      )
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  audit(entry: NewAuditEntry): Promise<void> {
    return this.#audit.append(entry);
  }
  auditLog(filter: AuditFilter = {}): Promise<{ entries: AuditEntry[]; total: number }> {
    return this.#audit.read(filter);
  }

  addReviewer(reviewer: { username: string; displayName: string; role: ReviewerRole; password: string }): Promise<void> {
    return this.#accounts.addReviewer(reviewer);
  }
  setPassword(username: string, password: string): Promise<boolean> {
    return this.#accounts.setPassword(username, password);
  }
  setDisabled(username: string, disabled: boolean): Promise<boolean> {
    return this.#accounts.setDisabled(username, disabled);
  }
  removeReviewer(username: string): Promise<boolean> {
    return this.#accounts.removeReviewer(username);
  }
  reviewers(): Promise<Reviewer[]> {
    return this.#accounts.reviewers();
  }
  verifyPassword(username: string, password: string): Promise<Reviewer | undefined> {
    return this.#accounts.verifyPassword(username, password);
  }
  reviewer(username: string): Promise<Reviewer | undefined> {
    return this.#accounts.reviewer(username);
  }
  createSession(username: string, ttlMs: number): Promise<{ token: string; session: Session }> {
    return this.#accounts.createSession(username, ttlMs);
  }
  session(token: string): Promise<Session | undefined> {
    return this.#accounts.session(token);
  }
  endSession(token: string): Promise<void> {
    return this.#accounts.endSession(token);
  }

  lockedUntil(key: string, now: Date): Promise<Date | undefined> {
    return this.#throttle.lockedUntil(key, now);
  }
  recordSignInFailure(key: string, now: Date, policy: { maxFailures: number; windowMs: number; lockMs: number }): Promise<void> {
    return this.#throttle.recordFailure(key, now, policy);
  }
  clearSignInFailures(key: string): Promise<void> {
    return this.#throttle.clear(key);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}

/** An error's message, including those inside an AggregateError (a refused connection to localhost gives one). */
function describe(error: unknown): string {
  if (error instanceof AggregateError && !error.message) return error.errors.map(describe).join('; ');
  return error instanceof Error ? error.message : String(error);
}
