/**
 * Signatures claimed or spent, in this process's memory, each kept as long as a signature of
 * that age could still be accepted: the fast answer in front of the quarantine store's record
 * (src/relay/spent-signatures.ts), which every relay sharing the store sees.
 */
export class SeenSignatures {
  private readonly expiries = new Map<string, number>();

  constructor(
    private readonly maxEntries = 200_000,
    private readonly now: () => number = Date.now,
  ) {}

  has(key: string): boolean {
    const expiry = this.expiries.get(key);
    return expiry !== undefined && expiry > this.now();
  }

  forget(key: string): void {
    this.expiries.delete(key);
  }

  remember(key: string, keepMs: number): void {
    const now = this.now();
    this.expiries.delete(key); // re-inserted at the end: the Map's order is oldest first
    this.expiries.set(key, now + keepMs);
    if (this.expiries.size > this.maxEntries) this.prune(now);
  }

  get size(): number {
    return this.expiries.size;
  }

  private prune(now: number): void {
    for (const [key, expiry] of this.expiries) if (expiry <= now) this.expiries.delete(key);
    // Still too many live ones (a flood): drop the oldest; their age limit still protects.
    for (const key of this.expiries.keys()) {
      if (this.expiries.size <= this.maxEntries) break;
      this.expiries.delete(key);
    }
  }
}
