/** The audit trail: who looked at or decided what, when, from where. The table refuses changes. */
import type { Kysely } from 'kysely';
import { pageOf } from './queue-rows.js';
import type { QuarantineTables } from './tables.js';
import type { AuditEntry, AuditFilter, NewAuditEntry } from './types.js';

/** Appends to and reads the `audit_log` table; see `QuarantineStore.audit` and `auditLog`. */
export class AuditTrail {
  constructor(private readonly db: Kysely<QuarantineTables>) {}

  async append(entry: NewAuditEntry): Promise<void> {
    await this.db
      .insertInto('audit_log')
      .values({
        at: (entry.at ?? new Date()).toISOString(),
        actor: entry.actor,
        ip: entry.ip,
        action: entry.action,
        reference: entry.reference ?? null,
        detail: entry.detail,
      })
      .execute();
  }

  /** Newest first (by `at`, then by insertion), filtered and paged, with the total. */
  async read(filter: AuditFilter = {}): Promise<{ entries: AuditEntry[]; total: number }> {
    const { limit, offset } = pageOf(filter);
    let query = this.db.selectFrom('audit_log');
    if (filter.reference !== undefined) query = query.where('reference', '=', filter.reference);
    if (filter.actor !== undefined) query = query.where('actor', '=', filter.actor);
    const [rows, count] = await Promise.all([
      query.selectAll().orderBy('at', 'desc').orderBy('id', 'desc').limit(limit).offset(offset).execute(),
      query.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
    ]);
    const entries = rows.map((row): AuditEntry => {
      const entry: AuditEntry = { id: Number(row.id), at: new Date(row.at), actor: row.actor, ip: row.ip, action: row.action, detail: row.detail };
      if (row.reference !== null) entry.reference = row.reference;
      return entry;
    });
    return { entries, total: Number(count.total) };
  }
}
