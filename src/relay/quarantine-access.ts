/**
 * The relay's way to the quarantine store. Opening is lazy and retried: a database that is
 * down when the relay starts (or goes down later) makes holds answer 451, and the relay
 * keeps serving everything else; once the database is back, holds work again.
 */
import type { QuarantineSettings } from '../config/quarantine.js';
import { loadOrCreateKey } from '../quarantine/sealed-box.js';
import { openQuarantineStore } from '../quarantine/store.js';
import type { QuarantineStore } from '../quarantine/types.js';
import type { RelayLog } from './roster-keeper.js';

/** After a failed open, the next attempt waits this long, so a dead database is not hammered by every message. */
const RETRY_MS = 5_000;
/**
 * SQLite waits for another process's write lock synchronously, freezing every connection of
 * the relay meanwhile: wait only as long as an ordinary write takes, and answer a hold that
 * cannot wait 451 (the sending server retries) rather than stall the relay.
 */
const SQLITE_BUSY_TIMEOUT_MS = 100;

export class QuarantineAccess {
  private opening: Promise<QuarantineStore> | undefined;
  private failedAt: number | undefined;

  constructor(
    readonly settings: QuarantineSettings,
    private readonly log: RelayLog,
  ) {}

  store(): Promise<QuarantineStore> {
    if (!this.opening || (this.failedAt !== undefined && Date.now() - this.failedAt >= RETRY_MS)) this.opening = this.open();
    return this.opening;
  }

  async close(): Promise<void> {
    const opening = this.opening;
    this.opening = undefined;
    if (opening) await opening.then((store) => store.close(), () => undefined);
  }

  private async open(): Promise<QuarantineStore> {
    this.failedAt = undefined;
    try {
      const { key, created } = loadOrCreateKey(this.settings.keyFile, { create: true });
      if (created) this.log.warn(`dlp: made a new quarantine key in ${this.settings.keyFile}; back it up, and give every relay that shares this queue the same file`);
      const store = await openQuarantineStore({ url: this.settings.database, key, sqliteBusyTimeoutMs: SQLITE_BUSY_TIMEOUT_MS });
      this.log.info(`dlp: quarantine store open (${this.settings.database.startsWith('sqlite:') ? this.settings.database : 'PostgreSQL'})`);
      return store;
    } catch (error) {
      this.failedAt = Date.now();
      this.log.crit(`dlp: the quarantine store cannot be used; held messages get 451 until it can. ${error instanceof Error ? error.message : String(error)}`);
      throw error;
    }
  }
}
