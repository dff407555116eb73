/**
 * Google Workspace signatures that mail has been taken under, kept in the quarantine store
 * (shared by every relay on the same database, kept across restarts), with this process's
 * memory in front of it. A signature is claimed while its message is checked, spent once the
 * message is answered for good, and given back when it is answered 4xx (its retry carries it
 * again). A claim that is never settled (the relay stopped) lapses after a few minutes.
 */
import type { QuarantineStore } from '../quarantine/types.js';
import { SeenSignatures } from '../sources/seen-signatures.js';
import type { RelayLog } from './roster-keeper.js';

/** How long a claim holds before the message it was made for must have been answered. */
export const CLAIM_MS = 10 * 60_000;

export class SpentSignatures {
  private readonly memory = new SeenSignatures();

  constructor(
    private readonly store: () => Promise<QuarantineStore> | undefined,
    private readonly log: RelayLog,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * True when this message may be taken under the signature. Rejects when the store cannot be
   * asked: whether the signature was used by another relay cannot be known, so the sender is
   * answered 4xx and retries, rather than a copy slipping through.
   */
  async claim(key: string): Promise<boolean> {
    if (this.memory.has(key)) return false;
    const store = await this.store();
    if (store && !(await store.claimSignature(key, new Date(this.now() + CLAIM_MS), new Date(this.now())))) return false;
    this.memory.remember(key, CLAIM_MS);
    return true;
  }

  /** The message was answered for good: the signature stays used until `expiresAt`. Never rejects. */
  async spend(key: string, expiresAt: Date): Promise<void> {
    this.memory.remember(key, Math.max(0, expiresAt.getTime() - this.now()));
    await this.settle((store) => store.spendSignature(key, expiresAt), 'record');
  }

  /** The message was answered 4xx: its retry may use the signature. Never rejects. */
  async release(key: string): Promise<void> {
    this.memory.forget(key);
    await this.settle((store) => store.releaseSignature(key), 'give back');
  }

  private async settle(action: (store: QuarantineStore) => Promise<void>, what: string): Promise<void> {
    try {
      const store = await this.store();
      if (store) await action(store);
    } catch (error) {
      this.log.warn(`dlp: could not ${what} a Google Workspace signature in the quarantine store: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
