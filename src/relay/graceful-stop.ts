/**
 * Stopping without losing or doubling mail (SIGTERM, as a service manager sends): stop
 * listening, refuse new transactions on open connections (421, so clients come back), let
 * the messages already being received or checked finish, and answer 451 to any that cannot
 * finish within the grace period; then close the outbox (an email being sent is finished and
 * its claim released), the review queue's server and the store, and exit.
 */
export class TransactionsInFlight {
  private readonly active = new Map<string, { abort?: () => void }>();
  private waiters: Array<() => void> = [];

  begin(id: string): void {
    if (!this.active.has(id)) this.active.set(id, {});
  }

  /** What to do to a transaction still being checked when the grace period ends: answer it 451. */
  onAbort(id: string, abort: () => void): void {
    const entry = this.active.get(id);
    if (entry) entry.abort = abort;
  }

  end(id: string): void {
    if (!this.active.delete(id)) return;
    if (this.active.size === 0) for (const wake of this.waiters.splice(0)) wake();
  }

  get size(): number {
    return this.active.size;
  }

  /** Resolves true once none is in flight, or false after `ms`. */
  drained(ms: number): Promise<boolean> {
    if (this.active.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Answers every transaction still being checked (the others are past our answer, in Haraka's hands). */
  abortAll(): number {
    let aborted = 0;
    for (const entry of this.active.values()) {
      if (!entry.abort) continue;
      entry.abort();
      aborted += 1;
    }
    return aborted;
  }
}
