/**
 * Signatures this relay has accepted mail under, each kept as long as a signature of that
 * age could still be accepted. A genuine message passes through once; the same signature
 * again is a copy re-sent. Held in memory: a copy sent to a second relay of the same trust
 * is caught by the age limit instead.
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
