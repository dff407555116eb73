/**
 * A reviewer's decisions on held messages: release (delivered onward exactly as received,
 * once) and reject. Each is a compare-and-set in the store first, so two reviewers, or two
 * clicks, or two relays sharing PostgreSQL, cannot both act; then the work; then the audit.
 */
import type { QuarantineStore, QueueStatus } from './types.js';

/** Hands a released message to onward delivery; resolves once delivery has durably taken it. */
export interface Delivery {
  deliver(message: { reference: string; mailFrom: string; rcptTo: string[]; raw: Buffer }): Promise<void>;
}

export interface Actor {
  username: string;
  ip: string;
}

export type DecisionResult = { done: true } | { done: false; why: 'not-found' | 'already-decided' | 'delivery-failed'; status?: QueueStatus };

export interface DecisionEvents {
  /** Called after a decision is recorded (the sender's notification hangs off this). */
  decided?(event: { reference: string; decision: 'released' | 'rejected'; actor: string; reason?: string }): void | Promise<void>;
  /** Something went wrong after the decision took effect (logged; never undoes the decision). */
  problem?(message: string): void;
}

export class ReviewDecisions {
  constructor(
    private readonly store: QuarantineStore,
    private readonly delivery: Delivery,
    private readonly events: DecisionEvents = {},
  ) {}

  async release(reference: string, actor: Actor): Promise<DecisionResult> {
    const claim = await this.store.claimRelease(reference, actor.username);
    if (!claim.ok) return refused(claim.status);
    try {
      const raw = await this.store.raw(reference);
      if (!raw) throw new Error('the stored message has no content');
      await this.delivery.deliver({ reference, mailFrom: claim.item.mailFrom, rcptTo: claim.item.rcptTo, raw });
    } catch (error) {
      await this.store.abandonRelease(reference);
      await this.store.audit({ actor: actor.username, ip: actor.ip, action: 'release-failed', reference, detail: describe(error) });
      return { done: false, why: 'delivery-failed' };
    }
    // Delivery has it now: whatever happens to the bookkeeping, the answer is "released", never a retry.
    try {
      await this.store.finishRelease(reference, actor.username);
      await this.store.audit({
        actor: actor.username,
        ip: actor.ip,
        action: 'release',
        reference,
        detail: `delivered to ${claim.item.rcptTo.length} recipient(s)`,
      });
    } catch (error) {
      this.events.problem?.(`released ${reference} but could not record it: ${describe(error)}`);
    }
    this.notify({ reference, decision: 'released', actor: actor.username });
    return { done: true };
  }

  private notify(event: Parameters<NonNullable<DecisionEvents['decided']>>[0]): void {
    try {
      Promise.resolve(this.events.decided?.(event)).catch((error: unknown) => this.events.problem?.(describe(error)));
    } catch (error) {
      this.events.problem?.(describe(error));
    }
  }

  async reject(reference: string, actor: Actor, reason: string): Promise<DecisionResult> {
    const outcome = await this.store.reject(reference, actor.username, reason);
    if (!outcome.ok) return refused(outcome.status);
    await this.store.audit({ actor: actor.username, ip: actor.ip, action: 'reject', reference, detail: `reason: ${reason}` });
    this.notify({ reference, decision: 'rejected', actor: actor.username, reason });
    return { done: true };
  }
}

function refused(status: QueueStatus | undefined): DecisionResult {
  return status ? { done: false, why: 'already-decided', status } : { done: false, why: 'not-found' };
}

function describe(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]!.slice(0, 200);
}
