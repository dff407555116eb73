import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/quarantine/database.js';
import { openQuarantineStore } from '../../src/quarantine/store.js';
import { QuarantineUnavailableError } from '../../src/quarantine/types.js';
import type { NewQueueItem, QuarantineStore } from '../../src/quarantine/types.js';
import { newQueueItem, postgresBackend, sqliteBackend } from '../support/quarantine.js';

// One contract, both databases: what passes on SQLite must pass on PostgreSQL.
describe.each([sqliteBackend(), postgresBackend()])('quarantine store on $name', (backend) => {
  let url: string;
  let key: Buffer;
  let store: QuarantineStore;

  beforeAll(() => backend.setUp());
  afterAll(() => backend.tearDown());
  beforeEach(async () => {
    url = await backend.freshUrl();
    key = randomBytes(32);
    store = await openQuarantineStore({ url, key });
  });
  afterEach(() => store?.close());

  const at = (minute: number) => new Date(Date.UTC(2025, 2, 3, 9, minute));

  it('holds a message and gives back exactly what was held', async () => {
    const raw = Buffer.concat([Buffer.from('Subject: x\r\n\r\n'), Buffer.from(Array.from({ length: 256 }, (_, byte) => byte)), Buffer.of(0, 0)]);
    const item = newQueueItem({ raw });
    await store.hold(item);

    expect(await store.raw(item.reference)).toEqual(raw);
    const held = await store.get(item.reference);
    expect(held).toEqual({
      reference: item.reference,
      status: 'held',
      monitor: false,
      mailFrom: item.mailFrom,
      rcptTo: item.rcptTo,
      recipientClasses: ['personal', 'internal'],
      subject: 'Jane Smith – EHCP review',
      rules: ['personal-data-to-personal-address'],
      people: 1,
      size: raw.length,
      receivedAt: item.receivedAt,
      relay: item.relay,
      ruleDetails: item.rules,
      recipients: item.recipients,
      review: item.review,
      notes: [],
    });
    expect(await store.get('DLP-NOSUC-HITEM')).toBeUndefined();
    expect(await store.raw('DLP-NOSUC-HITEM')).toBeUndefined();
  });

  it('holds a monitored message as already decided', async () => {
    const item = newQueueItem({ monitor: true });
    await store.hold(item);
    expect(await store.get(item.reference)).toMatchObject({ status: 'monitored', monitor: true, decidedAt: item.receivedAt });
  });

  it('refuses a second message with the same reference, keeping the first', async () => {
    const item = newQueueItem();
    await store.hold(item);
    await expect(store.hold({ ...item, mailFrom: 'other@example-trust.org.uk' })).rejects.toThrow(QuarantineUnavailableError);
    expect((await store.get(item.reference))?.mailFrom).toBe(item.mailFrom);
  });

  it('lists newest first, filtered and paged, with the total', async () => {
    const otherRule = { ...newQueueItem().rules[0]!, id: 'forward-to-personal-address' };
    const items = [
      newQueueItem({ reference: 'DLP-AAAAA-00001', receivedAt: at(1), rcptTo: ['Head@example-trust.org.uk', 'jane.parent@gmail.com'] }),
      newQueueItem({ reference: 'DLP-AAAAA-00002', receivedAt: at(2), mailFrom: 'A.Brown_HR@Example-Trust.org.uk', rules: [otherRule] }),
      newQueueItem({ reference: 'DLP-AAAAA-00003', receivedAt: at(3), monitor: true }),
      newQueueItem({ reference: 'DLP-AAAAA-00004', receivedAt: at(4) }),
      newQueueItem({ reference: 'DLP-AAAAA-00005', receivedAt: at(4) }),
    ];
    for (const item of items) await store.hold(item);
    const references = (result: { entries: { reference: string }[] }) => result.entries.map((entry) => entry.reference.slice(-1));

    const all = await store.list();
    expect(references(all)).toEqual(['5', '4', '3', '2', '1']);
    expect(all.total).toBe(5);
    expect(all.entries[0]).toMatchObject({ subject: 'Jane Smith – EHCP review', recipientClasses: ['personal', 'internal'] });
    expect(all.entries[4]?.recipientClasses).toEqual(['internal', 'personal']);

    expect(references(await store.list({ status: 'monitored' }))).toEqual(['3']);
    expect(references(await store.list({ rule: 'forward-to-personal-address' }))).toEqual(['2']);
    expect((await store.list({ rule: 'personal-data-to-personal-address' })).total).toBe(4);
    expect((await store.list({ rule: 'personal-data' })).total).toBe(0);
    expect(references(await store.list({ sender: 'brown_hr@EXAMPLE' }))).toEqual(['2']);
    expect((await store.list({ sender: '%' })).total).toBe(0);
    expect((await store.list({ sender: 's_jones' })).total).toBe(0);
    expect(references(await store.list({ receivedBefore: at(4) }))).toEqual(['2', '1']);

    const page = await store.list({ limit: 2, offset: 2 });
    expect(references(page)).toEqual(['3', '2']);
    expect(page.total).toBe(5);
    expect((await store.list({ status: 'held', limit: 1 })).total).toBe(4);
  });

  it('counts every status and the overdue held items', async () => {
    await store.hold(newQueueItem({ receivedAt: at(1) }));
    await store.hold(newQueueItem({ receivedAt: at(30) }));
    await store.hold(newQueueItem({ receivedAt: at(2), monitor: true }));
    const rejected = newQueueItem({ receivedAt: at(3) });
    await store.hold(rejected);
    await store.reject(rejected.reference, 'dpo', 'not appropriate');

    expect(await store.counts(at(10))).toEqual({ held: 2, releasing: 0, released: 0, rejected: 1, monitored: 1, expired: 0, overdue: 1 });
  });

  it('releases an item once: a second claim sees where it stands', async () => {
    const item = newQueueItem();
    await store.hold(item);

    const claim = await store.claimRelease(item.reference, 'dpo');
    expect(claim.ok).toBe(true);
    expect(claim.ok && claim.item).toMatchObject({ status: 'releasing', decidedBy: 'dpo' });
    expect(await store.claimRelease(item.reference, 'other')).toEqual({ ok: false, status: 'releasing' });

    await store.finishRelease(item.reference, 'dpo');
    const released = await store.get(item.reference);
    expect(released).toMatchObject({ status: 'released', decidedBy: 'dpo' });
    expect(released?.decidedAt).toBeInstanceOf(Date);
    expect(await store.claimRelease(item.reference, 'dpo')).toEqual({ ok: false, status: 'released' });
    expect(await store.reject(item.reference, 'dpo', 'too late')).toEqual({ ok: false, status: 'released' });
    expect(await store.claimRelease('DLP-NOSUC-HITEM', 'dpo')).toEqual({ ok: false });
  });

  it('lets exactly one of ten concurrent claims win', async () => {
    const item = newQueueItem();
    await store.hold(item);
    const outcomes = await Promise.all(Array.from({ length: 10 }, (_, n) => store.claimRelease(item.reference, `reviewer-${n}`)));
    expect(outcomes.filter((outcome) => outcome.ok)).toHaveLength(1);
    expect(outcomes.filter((outcome) => !outcome.ok)).toEqual(Array.from({ length: 9 }, () => ({ ok: false, status: 'releasing' })));
  });

  it('rejects a held item with the reviewer’s reason', async () => {
    const item = newQueueItem();
    await store.hold(item);
    const outcome = await store.reject(item.reference, 'dpo', 'send it through the MIS instead');
    expect(outcome.ok && outcome.item).toMatchObject({ status: 'rejected', decidedBy: 'dpo', decisionReason: 'send it through the MIS instead' });
    expect(await store.claimRelease(item.reference, 'dpo')).toEqual({ ok: false, status: 'rejected' });
  });

  it('puts an abandoned release back in the queue', async () => {
    const item = newQueueItem();
    await store.hold(item);
    await store.claimRelease(item.reference, 'dpo');
    await store.abandonRelease(item.reference);
    const back = await store.get(item.reference);
    expect(back?.status).toBe('held');
    expect(back?.decidedBy).toBeUndefined();
    expect(back?.decidedAt).toBeUndefined();
    expect((await store.claimRelease(item.reference, 'dpo')).ok).toBe(true);
  });

  it('keeps notes oldest first, only on items that exist', async () => {
    const item = newQueueItem();
    await store.hold(item);
    expect(await store.addNote(item.reference, 'dpo', 'Asked Sam to use the secure portal.')).toBe(true);
    await sleep(5);
    expect(await store.addNote(item.reference, 'head', 'Agreed.')).toBe(true);
    expect(await store.addNote('DLP-NOSUC-HITEM', 'dpo', 'lost')).toBe(false);
    const notes = (await store.get(item.reference))?.notes;
    expect(notes?.map((note) => [note.author, note.text])).toEqual([
      ['dpo', 'Asked Sam to use the secure portal.'],
      ['head', 'Agreed.'],
    ]);
    expect(notes?.[0]?.at).toBeInstanceOf(Date);
  });

  it('purges the content of decided items, never of a held or releasing one', async () => {
    const item = (overrides: Partial<NewQueueItem> = {}) => newQueueItem({ receivedAt: at(0), ...overrides });
    const [held, releasing, released, rejected, monitored] = [item(), item(), item(), item(), item({ monitor: true })];
    for (const each of [held, releasing, released, rejected, monitored]) await store.hold(each);
    await store.claimRelease(releasing.reference, 'dpo');
    await store.claimRelease(released.reference, 'dpo');
    await store.finishRelease(released.reference, 'dpo');
    await store.reject(rejected.reference, 'dpo', 'no');
    await store.addNote(rejected.reference, 'dpo', 'quotes Jane Smith');
    await store.audit({ actor: 'dpo', ip: '192.0.2.1', action: 'reject', reference: rejected.reference, detail: 'no' });

    // Only the monitored item was decided (when received) before an hour ago.
    expect(await store.purgeDecided(new Date(Date.now() - 3_600_000))).toBe(1);
    expect(await store.purgeDecided(new Date(Date.now() + 60_000))).toBe(2);
    expect(await store.purgeDecided(new Date(Date.now() + 60_000))).toBe(0);

    expect((await store.get(held.reference))?.review).toEqual(held.review);
    expect(await store.raw(releasing.reference)).toEqual(releasing.raw);
    const expired = await store.get(rejected.reference);
    expect(expired).toMatchObject({ status: 'expired', subject: '', recipientClasses: [], ruleDetails: [], recipients: [], notes: [] });
    expect(expired?.review).toBeUndefined();
    expect(expired).toMatchObject({ decidedBy: 'dpo', decisionReason: 'no', rules: ['personal-data-to-personal-address'] });
    expect(await store.raw(rejected.reference)).toBeUndefined();
    expect(await store.counts(at(0))).toMatchObject({ held: 1, releasing: 1, expired: 3 });
    expect((await store.auditLog({ reference: rejected.reference })).total).toBe(1);
  });

  it('keeps an audit log that only grows', async () => {
    await store.audit({ actor: 'dpo', ip: '192.0.2.1', action: 'view', reference: 'DLP-AAAAA-00001', detail: '', at: at(1) });
    await store.audit({ actor: 'head', ip: '192.0.2.2', action: 'sign-in', detail: 'password', at: at(2) });
    await store.audit({ actor: 'dpo', ip: '192.0.2.1', action: 'release', reference: 'DLP-AAAAA-00001', detail: '', at: at(2) });

    const all = await store.auditLog();
    expect(all.total).toBe(3);
    expect(all.entries.map((entry) => entry.action)).toEqual(['release', 'sign-in', 'view']);
    expect(all.entries[1]).toEqual({ id: expect.any(Number), at: at(2), actor: 'head', ip: '192.0.2.2', action: 'sign-in', detail: 'password' });
    expect((await store.auditLog({ reference: 'DLP-AAAAA-00001' })).entries.map((entry) => entry.action)).toEqual(['release', 'view']);
    expect((await store.auditLog({ actor: 'head' })).total).toBe(1);
    const page = await store.auditLog({ limit: 1, offset: 1 });
    expect([page.entries.map((entry) => entry.action), page.total]).toEqual([['sign-in'], 3]);

    const { db } = openDatabase(url);
    try {
      await expect(sql`update audit_log set detail = 'changed'`.execute(db)).rejects.toThrow(/append-only/);
      await expect(sql`delete from audit_log`.execute(db)).rejects.toThrow(/append-only/);
    } finally {
      await db.destroy();
    }
    expect((await store.auditLog()).total).toBe(3);
  });

  it('opens an existing queue again without changing it', async () => {
    const item = newQueueItem();
    await store.hold(item);
    const again = await openQuarantineStore({ url, key });
    try {
      expect((await again.get(item.reference))?.review).toEqual(item.review);
    } finally {
      await again.close();
    }
  });

  it('refuses a relay whose key is not the one the queue was written with', async () => {
    const opening = openQuarantineStore({ url, key: randomBytes(32) });
    await expect(opening).rejects.toThrow(QuarantineUnavailableError);
    await expect(opening).rejects.toThrow(
      "this relay's quarantine key does not match the key the queue was written with; copy the key file from the first relay",
    );
  });

  it('keeps reviewers with hashed passwords', async () => {
    await store.addReviewer({ username: ' Alice.DPO ', displayName: 'Alice Patel', role: 'dpo', password: 'correct horse battery' });
    await expect(store.addReviewer({ username: 'alice.dpo', displayName: 'A', role: 'viewer', password: 'another long one' })).rejects.toThrow(
      /already exists/,
    );
    await expect(store.addReviewer({ username: 'bob', displayName: 'Bob', role: 'viewer', password: 'short' })).rejects.toThrow(
      /at least 12 characters/,
    );
    expect(await store.reviewers()).toEqual([
      { username: 'alice.dpo', displayName: 'Alice Patel', role: 'dpo', createdAt: expect.any(Date), disabled: false },
    ]);

    expect(await store.verifyPassword('ALICE.dpo', 'correct horse battery')).toMatchObject({ username: 'alice.dpo', role: 'dpo' });
    expect(await store.verifyPassword('alice.dpo', 'correct horse battery!')).toBeUndefined();
    expect(await store.verifyPassword('nobody', 'correct horse battery')).toBeUndefined();

    expect(await store.setPassword('alice.dpo', 'a new passphrase')).toBe(true);
    expect(await store.setPassword('nobody', 'a new passphrase')).toBe(false);
    await expect(store.setPassword('alice.dpo', 'too short')).rejects.toThrow(/at least 12 characters/);
    expect(await store.verifyPassword('alice.dpo', 'correct horse battery')).toBeUndefined();
    expect(await store.verifyPassword('alice.dpo', 'a new passphrase')).toBeDefined();

    expect(await store.setDisabled('alice.dpo', true)).toBe(true);
    expect(await store.verifyPassword('alice.dpo', 'a new passphrase')).toBeUndefined();
    expect((await store.reviewer('alice.dpo'))?.disabled).toBe(true);
    expect(await store.removeReviewer('alice.dpo')).toBe(true);
    expect(await store.removeReviewer('alice.dpo')).toBe(false);
    expect(await store.reviewer('alice.dpo')).toBeUndefined();
  });

  it('keeps sessions by the hash of their token', async () => {
    await store.addReviewer({ username: 'viewer', displayName: 'Vic Viewer', role: 'viewer', password: 'long enough password' });
    const { token, session } = await store.createSession('viewer', 3_600_000);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(session.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await store.session(token)).toEqual(session);
    expect(session).toMatchObject({ username: 'viewer', role: 'viewer', displayName: 'Vic Viewer' });
    expect(await store.session(`${token}x`)).toBeUndefined();

    await store.setDisabled('viewer', true);
    expect(await store.session(token)).toBeUndefined();
    await store.setDisabled('viewer', false);
    expect(await store.session(token)).toEqual(session);
    await store.endSession(token);
    expect(await store.session(token)).toBeUndefined();

    const brief = await store.createSession('viewer', 20);
    expect(await store.session(brief.token)).toBeDefined();
    await sleep(40);
    expect(await store.session(brief.token)).toBeUndefined();

    const last = await store.createSession('viewer', 3_600_000);
    await store.removeReviewer('viewer');
    expect(await store.session(last.token)).toBeUndefined();
    await expect(store.createSession('viewer', 1000)).rejects.toThrow(/no such enabled reviewer/);
  });

  it('locks a sign-in key after repeated failures, for a while', async () => {
    const policy = { maxFailures: 3, windowMs: 60_000, lockMs: 300_000 };
    const t = (seconds: number) => new Date(at(0).getTime() + seconds * 1000);
    await store.recordSignInFailure('alice', t(0), policy);
    await store.recordSignInFailure('alice', t(10), policy);
    expect(await store.lockedUntil('alice', t(11))).toBeUndefined();
    await store.recordSignInFailure('alice', t(20), policy);
    expect(await store.lockedUntil('alice', t(21))).toEqual(t(320));
    expect(await store.lockedUntil('bob', t(21))).toBeUndefined();
    expect(await store.lockedUntil('alice', t(320))).toBeUndefined();

    // Failures spread wider than the window never add up to a lock.
    for (const second of [400, 440, 480, 520]) await store.recordSignInFailure('bob', t(second), policy);
    expect(await store.lockedUntil('bob', t(521))).toBeUndefined();

    await store.recordSignInFailure('carol', t(0), policy);
    await store.recordSignInFailure('carol', t(1), policy);
    await store.clearSignInFailures('carol');
    await store.recordSignInFailure('carol', t(2), policy);
    expect(await store.lockedUntil('carol', t(3))).toBeUndefined();
  });

  it('gives the overdue reminder to one caller per period', async () => {
    const every = 86_400_000;
    const now = at(0);
    const claims = await Promise.all([store.claimReminder(now, every), store.claimReminder(now, every)]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await store.claimReminder(new Date(now.getTime() + every - 1000), every)).toBe(false);
    expect(await store.claimReminder(new Date(now.getTime() + every), every)).toBe(true);
    expect(await store.claimReminder(new Date(now.getTime() + every), every)).toBe(false);
  });

  it('lets one caller claim a signature, keeps it spent until it expires, and gives it back on release', async () => {
    const now = at(0);
    const minute = 60_000;
    const day = 86_400_000;
    const claims = await Promise.all([1, 2, 3].map(() => store.claimSignature('sig-a', new Date(now.getTime() + 10 * minute), now)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    await store.spendSignature('sig-a', new Date(now.getTime() + day));
    // Past the claim's ten minutes, but the signature was spent for a day.
    expect(await store.claimSignature('sig-a', new Date(now.getTime() + day), new Date(now.getTime() + 20 * minute))).toBe(false);
    expect(await store.claimSignature('sig-a', new Date(now.getTime() + 2 * day), new Date(now.getTime() + day))).toBe(true);
    // Answered 4xx: given back, so the retry can claim it.
    expect(await store.claimSignature('sig-b', new Date(now.getTime() + 10 * minute), now)).toBe(true);
    await store.releaseSignature('sig-b');
    expect(await store.claimSignature('sig-b', new Date(now.getTime() + 10 * minute), now)).toBe(true);
    // A claim never settled lapses.
    expect(await store.claimSignature('sig-b', new Date(now.getTime() + 30 * minute), new Date(now.getTime() + 11 * minute))).toBe(true);
    expect(await store.purgeSpentSignatures(new Date(now.getTime() + 3 * day))).toBe(2);
  });
});
