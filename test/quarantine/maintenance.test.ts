/**
 * The quarantine's housekeeping on a real SQLite store, its reminder going out through the
 * real outbox and real SMTP: overdue holds remind the DPO reviewers once per period, with
 * counts and a reference only; decided items past retention lose their content.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { submissionTransport } from '../../src/notify/mailer.js';
import { MailOutbox } from '../../src/notify/outbox.js';
import { runMaintenance, type MaintenanceSettings } from '../../src/quarantine/maintenance.js';
import { openQuarantineStore } from '../../src/quarantine/store.js';
import type { QuarantineStore } from '../../src/quarantine/types.js';
import { newQueueItem, sqliteBackend } from '../support/quarantine.js';
import { SmtpSink } from '../support/smtp-sink.js';

const HOUR = 3_600_000;
const NOW = new Date('2026-11-23T12:00:00Z');
const SETTINGS: MaintenanceSettings = {
  retentionMs: 30 * 24 * HOUR,
  overdueAfterMs: 24 * HOUR,
  reminderEveryMs: 24 * HOUR,
  organisation: 'Riverside Academy Trust',
  alsoRemind: ['DPO@example-trust.org.uk'],
  queueUrl: 'https://dlp.example-trust.org.uk',
};
const quiet = { info: () => undefined, warn: () => undefined, crit: () => undefined };

describe('quarantine housekeeping', () => {
  const backend = sqliteBackend();
  const sink = new SmtpSink();
  let store: QuarantineStore;
  let outbox: MailOutbox;

  beforeAll(async () => {
    await backend.setUp();
    await sink.start();
  });
  afterAll(async () => {
    await sink.stop();
    await backend.tearDown();
  });
  beforeEach(async () => {
    store = await openQuarantineStore({ url: await backend.freshUrl(), key: randomBytes(32) });
    await store.addReviewer({ username: 'deputy@example-trust.org.uk', displayName: 'Deputy', role: 'dpo', password: 'a long enough password' });
    await store.addReviewer({ username: 'head@example-trust.org.uk', displayName: 'Head', role: 'viewer', password: 'a long enough password' });
    const transport = submissionTransport({ host: '127.0.0.1', port: sink.port, secure: false, heloName: 'relay.example-trust.org.uk' });
    outbox = new MailOutbox(mkdtempSync(join(tmpdir(), 'dlp-outbox-')), {
      from: () => 'Email data protection <dlp@example-trust.org.uk>',
      transport: () => transport,
      retry: () => ({ firstDelayMs: 1000, maxDelayMs: 1000, giveUpAfterMs: 60_000 }),
      log: quiet,
    }).start();
    sink.received.length = 0;
  });
  afterEach(async () => {
    await outbox.close();
    await store.close();
  });

  it('reminds the DPO reviewers of overdue holds once per period, without subjects or addresses', async () => {
    const old = newQueueItem({ receivedAt: new Date(NOW.getTime() - 30 * HOUR) });
    await store.hold(old);
    await store.hold(newQueueItem({ receivedAt: new Date(NOW.getTime() - HOUR) }));

    const first = await runMaintenance(store, SETTINGS, outbox, quiet, NOW);
    expect(first.reminded.sort()).toEqual(['deputy@example-trust.org.uk', 'dpo@example-trust.org.uk']);
    const [received] = await sink.waitFor(1);
    const mail = await simpleParser(received!.raw);
    expect(mail.subject).toBe('1 held email(s) waiting for review');
    expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
    expect(mail.text).toContain('1 held email message(s) have waited more than 24 hours');
    expect(mail.text).toContain(`(reference ${old.reference})`);
    expect(mail.text).toContain('https://dlp.example-trust.org.uk/?overdue=1');
    expect(mail.text).not.toContain(old.mailFrom);
    expect(mail.text).not.toContain(old.rcptTo[0]!);

    const again = await runMaintenance(store, SETTINGS, outbox, quiet, new Date(NOW.getTime() + HOUR));
    expect(again.reminded).toEqual([]);
    const nextDay = await runMaintenance(store, SETTINGS, outbox, quiet, new Date(NOW.getTime() + 25 * HOUR));
    expect(nextDay.reminded).toHaveLength(2);
    expect((await store.auditLog({})).entries.filter((e) => e.action === 'overdue-reminder')).toHaveLength(2);
  });

  it('sends nothing when nothing is overdue, and removes the content of decided items past retention', async () => {
    const decided = newQueueItem({ receivedAt: new Date(NOW.getTime() - 40 * 24 * HOUR) });
    await store.hold(decided);
    await store.reject(decided.reference, 'deputy@example-trust.org.uk', 'not for a personal account');
    const result = await runMaintenance(store, SETTINGS, outbox, quiet, new Date(Date.now() + 31 * 24 * HOUR));
    expect(result).toEqual({ purged: 1, reminded: [] });
    expect(await store.raw(decided.reference)).toBeUndefined();
    expect((await store.get(decided.reference))?.status).toBe('expired');
    await new Promise((r) => setTimeout(r, 200));
    expect(sink.received).toHaveLength(0);
  });
});
