import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ReviewDecisions, type Delivery } from '../../src/quarantine/decisions.js';
import { openQuarantineStore } from '../../src/quarantine/store.js';
import type { QuarantineStore } from '../../src/quarantine/types.js';
import { newQueueItem, postgresBackend, sqliteBackend } from '../support/quarantine.js';

/** A delivery that records what it was given, slowly, so that racing releases overlap. */
function countingDelivery(fail = false): Delivery & { delivered: string[] } {
  const delivered: string[] = [];
  return {
    delivered,
    async deliver({ reference }) {
      await new Promise((r) => setTimeout(r, 20));
      if (fail) throw new Error('smarthost said 421 try later');
      delivered.push(reference);
    },
  };
}

describe.each([sqliteBackend(), postgresBackend()])('review decisions on $name', (backend) => {
  let store: QuarantineStore;
  let second: QuarantineStore;
  const dpo = { username: 'dpo@example-trust.org.uk', ip: '10.0.0.5' };
  const deputy = { username: 'deputy@example-trust.org.uk', ip: '10.0.0.6' };

  beforeAll(() => backend.setUp());
  afterAll(() => backend.tearDown());
  beforeEach(async () => {
    const url = await backend.freshUrl();
    const key = randomBytes(32);
    store = await openQuarantineStore({ url, key });
    // A second connection to the same queue: another relay, or another reviewer's request.
    second = url.startsWith('sqlite:') ? store : await openQuarantineStore({ url, key });
  });
  afterEach(async () => {
    if (second !== store) await second.close();
    await store.close();
  });

  it('delivers once when two reviewers release the same message at the same moment, many times over', async () => {
    const item = newQueueItem();
    await store.hold(item);
    const delivery = countingDelivery();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        new ReviewDecisions(i % 2 ? store : second, delivery).release(item.reference, i % 2 ? dpo : deputy),
      ),
    );
    expect(delivery.delivered).toEqual([item.reference]);
    expect(results.filter((r) => r.done)).toHaveLength(1);
    expect(results.filter((r) => !r.done)).toEqual(Array(9).fill({ done: false, why: 'already-decided', status: expect.stringMatching(/releasing|released/) }));
    expect((await store.get(item.reference))!.status).toBe('released');
    const audit = await store.auditLog({ reference: item.reference });
    expect(audit.entries.map((e) => e.action)).toEqual(['release']);
  });

  it('cannot reject what was released, nor release what was rejected', async () => {
    const released = newQueueItem();
    const rejected = newQueueItem();
    await store.hold(released);
    await store.hold(rejected);
    const decisions = new ReviewDecisions(store, countingDelivery());
    expect(await decisions.release(released.reference, dpo)).toEqual({ done: true });
    expect(await decisions.reject(released.reference, dpo, 'too late')).toEqual({ done: false, why: 'already-decided', status: 'released' });
    expect(await decisions.reject(rejected.reference, dpo, 'Use the parent address on file.')).toEqual({ done: true });
    expect(await decisions.release(rejected.reference, dpo)).toEqual({ done: false, why: 'already-decided', status: 'rejected' });
    expect((await store.get(rejected.reference))!.decisionReason).toBe('Use the parent address on file.');
    expect(await decisions.release('DLP-NOPE0-NOPE0', dpo)).toEqual({ done: false, why: 'not-found' });
  });

  it('keeps the message held, and says so in the audit, when delivery cannot take it', async () => {
    const item = newQueueItem();
    await store.hold(item);
    expect(await new ReviewDecisions(store, countingDelivery(true)).release(item.reference, dpo)).toEqual({ done: false, why: 'delivery-failed' });
    expect((await store.get(item.reference))!.status).toBe('held');
    expect((await store.auditLog({ reference: item.reference })).entries[0]).toMatchObject({ action: 'release-failed', detail: 'smarthost said 421 try later' });
    const retry = countingDelivery();
    expect(await new ReviewDecisions(store, retry).release(item.reference, dpo)).toEqual({ done: true });
    expect(retry.delivered).toEqual([item.reference]);
  });
});
