/**
 * Google Workspace signatures that mail has been accepted under, kept in the quarantine store
 * (shared by every relay on the same database, and kept across restarts) and in memory (so a
 * store that is down for a while does not open the door to copies sent to this relay).
 */
import type { QuarantineStore } from '../quarantine/types.js';
import { SeenSignatures } from '../sources/seen-signatures.js';
import type { RelayLog } from './roster-keeper.js';

export class SpentSignatures {
  private readonly memory = new SeenSignatures();
  private warned = false;

  constructor(
    private readonly store: () => Promise<QuarantineStore> | undefined,
    private readonly log: RelayLog,
  ) {}

  async has(key: string): Promise<boolean> {
    if (this.memory.has(key)) return true;
    try {
      const store = await this.store();
      return store ? await store.signatureSpent(key, new Date()) : false;
    } catch (error) {
      this.storeDown(error);
      return false;
    }
  }

  /** Never rejects: the message has been answered by now. */
  async remember(key: string, keepMs: number): Promise<void> {
    this.memory.remember(key, keepMs);
    try {
      await (await this.store())?.spendSignature(key, new Date(Date.now() + keepMs));
      this.warned = false;
    } catch (error) {
      this.storeDown(error);
    }
  }

  private storeDown(error: unknown): void {
    if (this.warned) return;
    this.warned = true;
    this.log.warn(
      `dlp: the quarantine store cannot record Google Workspace signatures (${error instanceof Error ? error.message : String(error)}); until it can, only this relay's memory refuses a signed message sent again`,
    );
  }
}
