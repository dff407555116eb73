/**
 * Sign-in throttling kept in the store, so every relay sharing a queue counts the same
 * failures: after `maxFailures` within `windowMs` the key (a username, an address) is
 * locked for `lockMs`.
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { QuarantineTables } from './tables.js';

export interface ThrottlePolicy {
  maxFailures: number;
  windowMs: number;
  lockMs: number;
}

export class SignInThrottle {
  constructor(private readonly db: Kysely<QuarantineTables>) {}

  async lockedUntil(key: string, now: Date): Promise<Date | undefined> {
    const row = await this.db.selectFrom('sign_in_failures').select('locked_until').where('key', '=', key).executeTakeFirst();
    return row?.locked_until && row.locked_until > now.toISOString() ? new Date(row.locked_until) : undefined;
  }

  /** Counts one failure (a new window if the last began `windowMs` ago or more), locking the key at `maxFailures`. */
  async recordFailure(key: string, now: Date, policy: ThrottlePolicy): Promise<void> {
    const at = now.toISOString();
    const windowExpired = new Date(now.getTime() - policy.windowMs).toISOString();
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('sign_in_failures')
        .values({ key, failures: 1, window_started_at: at, locked_until: null })
        .onConflict((conflict) =>
          conflict.column('key').doUpdateSet({
            failures: sql<number>`case when sign_in_failures.window_started_at <= ${windowExpired} then 1 else sign_in_failures.failures + 1 end`,
            window_started_at: sql<string>`case when sign_in_failures.window_started_at <= ${windowExpired} then ${at} else sign_in_failures.window_started_at end`,
          }),
        )
        .execute();
      await trx
        .updateTable('sign_in_failures')
        .set({ locked_until: new Date(now.getTime() + policy.lockMs).toISOString(), failures: 0, window_started_at: at })
        .where('key', '=', key)
        .where('failures', '>=', policy.maxFailures)
        .execute();
    });
  }

  async clear(key: string): Promise<void> {
    await this.db.deleteFrom('sign_in_failures').where('key', '=', key).execute();
  }
}
