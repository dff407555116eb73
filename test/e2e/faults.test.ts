/**
 * Fault injection end to end: a real Haraka with the dlp plugin, a real downstream SMTP
 * server, and real faults: the quarantine database cut off or locked, the relay killed
 * with SIGKILL mid-stream, inspection worker processes killed or stopped with real
 * signals, the smarthost down or refusing. What is asserted is what the sending client
 * was answered and what the downstream server received.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { loadOrCreateKey } from '../../src/quarantine/sealed-box.js';
import { openQuarantineStore } from '../../src/quarantine/store.js';
import type { QuarantineStore } from '../../src/quarantine/types.js';
import { timetableCsv } from '../support/attachment-fixtures.js';
import { freePort, HarakaRelay } from '../support/haraka-relay.js';
import { FIXTURES } from '../support/paths.js';
import { busyChild, isAlive, waitForExit } from '../support/processes.js';
import { testPostgresUrl } from '../support/quarantine.js';
import { referenceIn, relayQueue } from '../support/relay-queue.js';
import { crlf, sendRaw, type SendResult } from '../support/send.js';
import { SmtpSink, type ReceivedMessage } from '../support/smtp-sink.js';
import { TcpProxy } from '../support/tcp-proxy.js';

const STAFF = 's.jones@example-trust.org.uk';
const PERSONAL = 'sarah.jones1984@gmail.com';
const PARTNER = 'r.patel@riverside.example.com';
const TRUST_YAML = `mode: enforce
organisation:
  name: Test Academy Trust
  internal_domains: [example-trust.org.uk]
`;
/** A forward to a personal address is held for the DPO. */
const HOLD_FORWARDS = `${TRUST_YAML}rules:\n  forward-to-personal-address: { action: hold }\n`;
const HELD_REPLY = /^250 Held for review by the Data Protection Officer \[forward-to-personal-address\] Ref DLP-/;
const QUEUE_DOWN_REPLY = /^451 4\.3\.0 The message needs review by the Data Protection Officer and the review queue cannot take it now.* Ref DLP-/;

const GMAIL_FORWARD = readFileSync(join(FIXTURES, 'forwarding/gmail-forward.eml'), 'latin1');

/** A member of staff forwarding school mail to her own Gmail address (held), with its own Message-ID. */
function forwardToPersonal(messageId: string): Buffer {
  return crlf(GMAIL_FORWARD.replace(/^Message-ID: .*$/m, `Message-ID: <${messageId}>`));
}

/** An ordinary letter to a partner organisation (delivered), with its own Message-ID. */
function ordinaryLetter(messageId: string): Buffer {
  return crlf(`From: Sarah Jones <${STAFF}>
To: Mr Patel <${PARTNER}>
Subject: Year 7 trip to the science museum
Date: Mon, 23 Nov 2026 09:12:44 +0000
Message-ID: <${messageId}>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Dear Mr Patel,

Thank you for confirming the coach for Thursday; we leave at 8.45.

Kind regards,
Sarah
`);
}

/**
 * Relayed mail goes into Haraka's own outbound queue (<dir>/queue), answered 250 once it is on
 * disk, and is delivered from there to the smarthost, with retries every 5 s (Haraka's
 * shortest). The default test relay instead forwards during the session (smtp_forward with
 * enable_outbound), so its 250 is the smarthost's. Routed by the sender's domain, since
 * smtp_forward routes only domains it has a section for. The HELO is named because Haraka
 * leaves it out when NODE_ENV is "test", as vitest sets it.
 */
function outboundQueueTo(smarthostPort: number): Record<string, string> {
  return {
    'smtp_forward.ini': `host=127.0.0.1\nport=${smarthostPort}\nenable_outbound=false\ndomain_selector=mail_from\n\n[example-trust.org.uk]\nhost=127.0.0.1\nport=${smarthostPort}\nbind_helo=relay.test\n`,
    'outbound.ini': 'temp_fail_intervals=5s*30\n',
  };
}
const QUEUED_REPLY = /^250 Message Queued/;

/** Messages waiting in Haraka's outbound queue (not temporary files being written). */
function outboundQueueFiles(relay: HarakaRelay): string[] {
  return readdirSync(join(relay.dir, 'queue')).filter((name) => !name.startsWith('.') && !name.startsWith('error.'));
}

const toPersonal = { from: STAFF, to: [PERSONAL] };
const toPartner = { from: STAFF, to: [PARTNER] };

function messageIdOf(message: ReceivedMessage): string {
  return /^Message-ID: <([^>]+)>/im.exec(message.raw.toString('latin1'))?.[1] ?? '';
}

/** Sends and measures how long the relay took to answer. */
async function timedSend(port: number, envelope: { from: string; to: string[] }, raw: Buffer): Promise<SendResult & { ms: number }> {
  const started = Date.now();
  const result = await sendRaw(port, envelope, raw);
  return { ...result, ms: Date.now() - started };
}

const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Called in a test: if it fails, its relay's log (the end of it) is printed, the first thing to read. */
function printOutputOnFailure(relay: HarakaRelay): void {
  onTestFailed(() => console.log(`relay output, last 6000 characters:\n${relay.output.slice(-6000)}`));
}

/** The relay's quarantine opened beside it, at `url` (not through any proxy), with the key the relay made. */
async function openRelayStore(relay: HarakaRelay, url: string): Promise<QuarantineStore> {
  const { key } = loadOrCreateKey(join(relay.dir, 'data/quarantine.key'), { create: false });
  return openQuarantineStore({ url, key });
}

describe('the quarantine database goes away mid-run', () => {
  const sink = new SmtpSink();
  beforeAll(() => sink.start());
  afterAll(() => sink.stop());
  afterEach(() => {
    sink.received.length = 0;
  });

  it('PostgreSQL stalled, then cut off: 451 4.3.0 once the query times out, then at once, the relay survives, ordinary mail flows, holds work again once it is back', async () => {
    const admin = new pg.Client({ connectionString: testPostgresUrl(), connectionTimeoutMillis: 5000 });
    await admin.connect();
    // A schema of its own (the URL sets search_path), as the store's contract tests do.
    const schema = `dlp_faults_${process.pid}_${randomBytes(4).toString('hex')}`;
    await admin.query(`create schema ${schema}`);
    const direct = new URL(testPostgresUrl());
    direct.searchParams.set('options', `-c search_path=${schema}`);
    const proxy = await new TcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) }).start();
    const viaProxy = new URL(direct);
    viaProxy.port = String(proxy.port);
    const relay = new HarakaRelay({
      dlpYaml: `${HOLD_FORWARDS}quarantine:\n  database: "${viaProxy.toString()}"\ninspection:\n  timeout_ms: 5000\n`,
      smarthostPort: sink.port,
    });
    printOutputOnFailure(relay);
    let store: QuarantineStore | undefined;
    try {
      await relay.start();
      const before = await timedSend(relay.port, toPersonal, forwardToPersonal('pg-before@example-trust.org.uk'));
      expect(before.response).toMatch(HELD_REPLY);

      // The database stops answering: the hold's insert waits on a connection that says nothing,
      // until the store's query timeout (10 s). The inspection's own budget no longer runs then, so
      // the answer says what is wrong: the review queue, not the check.
      proxy.stall();
      const stalled = await timedSend(relay.port, toPersonal, forwardToPersonal('pg-stalled@example-trust.org.uk'));
      expect(stalled.response).toMatch(QUEUE_DOWN_REPLY);
      expect(stalled.ms).toBeLessThan(10_000 + 3_000);

      // Now the connections are reset, one with that insert still in flight: the relay must not die of it.
      await proxy.cut();
      for (const n of [1, 2, 3]) {
        const during = await timedSend(relay.port, toPersonal, forwardToPersonal(`pg-during-${n}@example-trust.org.uk`));
        expect(during.response).toMatch(QUEUE_DOWN_REPLY);
        expect(during.ms).toBeLessThan(3_000);
      }
      const letter = await sendRaw(relay.port, toPartner, ordinaryLetter('pg-letter@example-trust.org.uk'));
      expect(letter.code).toBe(250);
      await sink.waitFor(1);

      await proxy.restore();
      const after = await timedSend(relay.port, toPersonal, forwardToPersonal('pg-during-1@example-trust.org.uk'));
      expect(after.response).toMatch(HELD_REPLY);

      store = await openRelayStore(relay, direct.toString());
      const held = await store.list({ status: 'held' });
      expect(held.entries.map((entry) => entry.reference).sort()).toEqual([referenceIn(before.response), referenceIn(after.response)].sort());
      await settle(300);
      expect(sink.received.map(messageIdOf)).toEqual(['pg-letter@example-trust.org.uk']);
      expect(relay.output).not.toMatch(/Caught exception/);
    } finally {
      await store?.close();
      await relay.stop();
      await proxy.stop();
      await admin.query(`drop schema if exists ${schema} cascade`).catch(() => {});
      await admin.end();
    }
  }, 60_000);

  it('SQLite locked by another writer: holds get 451 4.3.0 at once, other mail is not held up by the lock, holds work again once it is released', async () => {
    const relay = new HarakaRelay({ dlpYaml: HOLD_FORWARDS, smarthostPort: sink.port });
    printOutputOnFailure(relay);
    let locker: Database.Database | undefined;
    try {
      await relay.start();
      // Two at once, so that both inspection processes are started before the timings below.
      const [before, warmUp] = await Promise.all([
        timedSend(relay.port, toPersonal, forwardToPersonal('sqlite-before@example-trust.org.uk')),
        timedSend(relay.port, toPartner, ordinaryLetter('sqlite-warm-up@example-trust.org.uk')),
      ]);
      expect(before.response).toMatch(HELD_REPLY);
      expect(warmUp.code).toBe(250);

      // Another connection takes the database's write lock and keeps it (as a long admin job or a stuck process would).
      locker = new Database(join(relay.dir, 'data/quarantine.sqlite'));
      locker.exec('BEGIN EXCLUSIVE');
      // Holds waiting on the lock and an ordinary letter, all at once: the letter must not wait for the lock.
      const [letter, ...lockedOut] = await Promise.all([
        timedSend(relay.port, toPartner, ordinaryLetter('sqlite-letter@example-trust.org.uk')),
        ...[1, 2, 3].map((n) => timedSend(relay.port, toPersonal, forwardToPersonal(`sqlite-locked-${n}@example-trust.org.uk`))),
      ]);
      expect(letter!.code).toBe(250);
      expect(letter!.ms).toBeLessThan(3_000);
      for (const result of lockedOut) {
        expect(result.response).toMatch(QUEUE_DOWN_REPLY);
        expect(result.ms).toBeLessThan(3_000);
      }

      locker.exec('ROLLBACK');
      locker.close();
      locker = undefined;
      const after = await timedSend(relay.port, toPersonal, forwardToPersonal('sqlite-locked-1@example-trust.org.uk'));
      expect(after.response).toMatch(HELD_REPLY);

      const queue = await relayQueue(relay);
      try {
        const held = await queue.list({ status: 'held' });
        expect(held.entries.map((entry) => entry.reference).sort()).toEqual([referenceIn(before.response), referenceIn(after.response)].sort());
      } finally {
        await queue.close();
      }
      await sink.waitFor(2);
      await settle(300);
      expect(sink.received.map(messageIdOf)).toEqual(['sqlite-warm-up@example-trust.org.uk', 'sqlite-letter@example-trust.org.uk']);
    } finally {
      locker?.close();
      await relay.stop();
    }
  }, 60_000);
});

describe('the relay is killed (SIGKILL) with messages in flight', () => {
  it('everything answered 250 is delivered from the queue after the restart or is in the quarantine; nothing twice, nothing held is delivered', async () => {
    // The smarthost is down until after the restart, so that a delivery cut off by the kill
    // cannot be repeated: any message seen twice would be the relay's doing.
    const smarthostPort = await freePort();
    const sink = new SmtpSink();
    const relay = new HarakaRelay({ dlpYaml: HOLD_FORWARDS, smarthostPort, configFiles: outboundQueueTo(smarthostPort) });
    const messages = Array.from({ length: 40 }, (_, n) => ({
      messageId: `${n % 2 ? 'forward' : 'letter'}-${n}@example-trust.org.uk`,
      held: n % 2 === 1,
    }));
    const replies = new Map<string, SendResult | 'no reply'>();
    printOutputOnFailure(relay);
    try {
      await relay.start();
      const port = relay.port;
      let answered = 0;
      let killing: Promise<void> | undefined;
      // Spread over about half a second and killed at the twelfth reply: the kill finds some
      // messages answered, some being inspected or held, some still being sent.
      const sends = messages.map(async ({ messageId, held }, n) => {
        await settle(n * 15);
        try {
          const result = await sendRaw(port, held ? toPersonal : toPartner, held ? forwardToPersonal(messageId) : ordinaryLetter(messageId));
          replies.set(messageId, result);
        } catch {
          replies.set(messageId, 'no reply');
        }
        if (++answered === 12) killing = relay.kill();
      });
      await Promise.all(sends);
      await killing;

      const accepted = (id: string): SendResult | undefined => {
        const reply = replies.get(id);
        return reply !== 'no reply' && reply?.code === 250 ? reply : undefined;
      };
      const acceptedLetters = messages.filter((m) => !m.held && accepted(m.messageId)).map((m) => m.messageId);
      const acceptedHolds = messages.filter((m) => m.held && accepted(m.messageId));
      const unanswered = messages.filter((m) => replies.get(m.messageId) === 'no reply');
      // The kill must have caught messages both before and after their reply.
      expect(acceptedLetters.length + acceptedHolds.length).toBeGreaterThanOrEqual(12);
      expect(unanswered.length).toBeGreaterThan(0);
      for (const m of acceptedHolds) expect(accepted(m.messageId)!.response).toMatch(HELD_REPLY);

      await relay.start();
      await sink.start(smarthostPort);
      // Haraka retries what it queued before the kill (every 5 s): wait until its queue is empty.
      const deadline = Date.now() + 30_000;
      while (outboundQueueFiles(relay).length > 0 && Date.now() < deadline) await settle(200);
      expect(outboundQueueFiles(relay)).toEqual([]);
      await settle(500);

      const deliveredIds = sink.received.map(messageIdOf);
      expect(deliveredIds).toEqual(expect.arrayContaining(acceptedLetters));
      expect(deliveredIds.length).toBe(new Set(deliveredIds).size); // nothing twice
      expect(deliveredIds.filter((id) => id.startsWith('forward-'))).toEqual([]); // nothing that is held

      const queue = await relayQueue(relay);
      try {
        const heldIds = new Set<string>();
        for (const entry of (await queue.list({ status: 'held', limit: 100 })).entries) {
          heldIds.add(/^Message-ID: <([^>]+)>/im.exec((await queue.raw(entry.reference))!.toString('latin1'))![1]!);
        }
        for (const m of acceptedHolds) expect(heldIds).toContain(m.messageId);
        for (const id of deliveredIds) expect(heldIds).not.toContain(id);
      } finally {
        await queue.close();
      }
    } finally {
      await relay.stop();
      if (sink.port) await sink.stop();
    }
  }, 90_000);
});

/** A timetable (no personal data: delivered) as a CSV attachment of about 5 MB: seconds of a worker's CPU to inspect. */
function timetableMessage(messageId: string): Promise<Buffer> {
  return new MailComposer({
    from: STAFF,
    to: PARTNER,
    subject: 'Timetable for next term',
    messageId: `<${messageId}>`,
    text: 'The timetable is attached.',
    attachments: [{ filename: 'timetable.csv', content: timetableCsv(100_000) }],
  })
    .compile()
    .build();
}

describe('an inspection worker process crashes or hangs (real signals)', () => {
  const sink = new SmtpSink();
  let relay: HarakaRelay;
  const stopped = new Set<number>();

  beforeAll(async () => {
    await sink.start();
    relay = await new HarakaRelay({ dlpYaml: `${TRUST_YAML}inspection:\n  workers: 2\n  timeout_ms: 6000\n`, smarthostPort: sink.port }).start();
  });
  afterAll(async () => {
    for (const pid of stopped) {
      for (const signal of ['SIGCONT', 'SIGKILL'] as const) {
        try {
          process.kill(pid, signal);
        } catch {
          // already gone
        }
      }
    }
    await relay?.stop();
    await sink.stop();
  });
  afterEach(() => {
    sink.received.length = 0;
  });

  it('SIGKILL of the worker inspecting a message: that message gets 451 and is not delivered; the relay goes on', async () => {
    printOutputOnFailure(relay);
    const timetable = await timetableMessage('timetable-killed@example-trust.org.uk');
    const sending = sendRaw(relay.port, toPartner, timetable);
    const worker = await busyChild(relay.pid!);
    process.kill(worker, 'SIGKILL');
    const result = await sending;
    expect(result.response).toMatch(/^451 4\.3\.0 The message could not be checked .* Ref DLP-/);

    const letter = await sendRaw(relay.port, toPartner, ordinaryLetter('after-kill@example-trust.org.uk'));
    expect(letter.code).toBe(250);
    await sink.waitFor(1);
    await settle(300);
    expect(sink.received.map(messageIdOf)).toEqual(['after-kill@example-trust.org.uk']);
  }, 60_000);

  it('SIGSTOP of the worker inspecting a message: 451 "took too long" at the time budget, other mail is served meanwhile, and the stopped process is killed', async () => {
    printOutputOnFailure(relay);
    const timetable = await timetableMessage('timetable-stopped@example-trust.org.uk');
    const started = Date.now();
    const sending = sendRaw(relay.port, toPartner, timetable);
    const worker = await busyChild(relay.pid!);
    process.kill(worker, 'SIGSTOP');
    stopped.add(worker);

    const during = await timedSend(relay.port, toPartner, ordinaryLetter('during-hang@example-trust.org.uk'));
    expect(during.code).toBe(250);
    await sink.waitFor(1);

    const result = await sending;
    expect(result.response).toMatch(/^451 4\.3\.0 The message took too long to check .* Ref DLP-/);
    expect(Date.now() - started).toBeLessThan(6_000 + 3_000);
    // A stopped process ignores everything but SIGKILL: the budget must end it for real, or it keeps its place in the pool for ever.
    await waitForExit(worker, 5_000);
    expect(isAlive(worker)).toBe(false);

    const after = await sendRaw(relay.port, toPartner, ordinaryLetter('after-hang@example-trust.org.uk'));
    expect(after.code).toBe(250);
    await sink.waitFor(2);
    await settle(300);
    expect(sink.received.map(messageIdOf)).toEqual(['during-hang@example-trust.org.uk', 'after-hang@example-trust.org.uk']);
  }, 60_000);
});

describe('every inspection process is busy (a burst of large messages)', () => {
  it('a message that waits too long for a process gets 451 4.3.2 "busy" untouched, while the one being inspected is not cut short', async () => {
    const sink = await new SmtpSink().start();
    // One process. It is started under the default wait budget (starting a process can take longer
    // than a second on a loaded machine), then the wait budget is cut well under the time one large
    // message takes to inspect.
    const inspection = (maxWaitMs: number): string => `${TRUST_YAML}inspection:\n  workers: 1\n  max_wait_ms: ${maxWaitMs}\n  timeout_ms: 20000\n`;
    const relay = new HarakaRelay({ dlpYaml: inspection(20_000), smarthostPort: sink.port });
    printOutputOnFailure(relay);
    try {
      await relay.start();
      expect((await sendRaw(relay.port, toPartner, ordinaryLetter('first@example-trust.org.uk'))).code).toBe(250);
      await sink.waitFor(1);
      sink.received.length = 0;
      relay.writeConfig('dlp.yaml', `${inspection(1_000)}\nreview:\n  listen: 127.0.0.1:${relay.reviewPort}\n`);
      await relay.waitForOutput(/reloaded dlp\.yaml/);
      const timetable = await timetableMessage('timetable-busy@example-trust.org.uk');
      const sending = sendRaw(relay.port, toPartner, timetable);
      const worker = await busyChild(relay.pid!);
      // Paused, the one process stays busy however fast this machine reads the timetable.
      // If the wait budget failed, the letter would be checked once the process resumes, 5 s on, and answered 250.
      process.kill(worker, 'SIGSTOP');
      const resume = setTimeout(() => process.kill(worker, 'SIGCONT'), 5_000);
      const waiting = await timedSend(relay.port, toPartner, ordinaryLetter('waited-too-long@example-trust.org.uk')).finally(() => {
        clearTimeout(resume);
        process.kill(worker, 'SIGCONT');
      });
      expect(waiting.response).toMatch(/^451 4\.3\.2 The relay is busy checking other messages .* Ref DLP-/);
      expect(waiting.ms).toBeLessThan(3_000);
      expect(relay.output).toMatch(/"outcome":"tempfail-busy"/);

      // The message being inspected when the other gave up waiting is finished and delivered: no process was killed for the wait.
      const result = await sending;
      expect(result.code).toBe(250);
      expect(isAlive(worker)).toBe(true);
      await sink.waitFor(1);
      const letter = await sendRaw(relay.port, toPartner, ordinaryLetter('after-busy@example-trust.org.uk'));
      expect(letter.code).toBe(250);
      await sink.waitFor(2);
      await settle(300);
      expect(sink.received.map(messageIdOf)).toEqual(['timetable-busy@example-trust.org.uk', 'after-busy@example-trust.org.uk']);
    } finally {
      await relay.stop();
      await sink.stop();
    }
  }, 60_000);
});

describe('the smarthost is down, then refuses, then takes the message', () => {
  it('a warned message is answered 250 from Haraka\'s queue, and delivered exactly once when the smarthost takes it, with its original verdict and one verdict in the log', async () => {
    const smarthostPort = await freePort();
    const sink = new SmtpSink();
    const relay = new HarakaRelay({
      dlpYaml: `${TRUST_YAML}rules:\n  forward-to-personal-address: { action: warn }\n`,
      smarthostPort,
      configFiles: outboundQueueTo(smarthostPort),
    });
    printOutputOnFailure(relay);
    try {
      await relay.start();
      const warned = await sendRaw(relay.port, toPersonal, forwardToPersonal('warned@example-trust.org.uk'));
      expect(warned.response).toMatch(QUEUED_REPLY);
      await relay.waitForOutput(/ECONNREFUSED/); // the first attempt found nobody listening

      // Up, but answering 451 (full disk, say): Haraka must keep the message and try again.
      sink.refuseWith = { code: 451, message: '4.3.0 Try again later' };
      await sink.start(smarthostPort);
      const deadline = Date.now() + 20_000;
      while (sink.refused === 0 && Date.now() < deadline) await settle(100);
      expect(sink.refused).toBeGreaterThan(0);

      sink.refuseWith = undefined;
      const [delivered] = await sink.waitFor(1, 20_000);
      expect(messageIdOf(delivered!)).toBe('warned@example-trust.org.uk');
      expect(delivered!.rcptTo).toEqual([PERSONAL]);
      const verdict = /^X-DLP-Verdict: warn; rules=forward-to-personal-address; ref=(DLP-[0-9A-Z]{5}-[0-9A-Z]{5})\r?$/m.exec(delivered!.raw.toString('latin1'));
      expect(verdict).not.toBeNull();
      const reference = verdict![1]!;
      expect(delivered!.raw.toString('latin1').match(/^X-DLP-Verdict:/gim)).toHaveLength(1);

      // Delivered means gone from the queue: no retry is left to deliver it twice.
      await settle(500);
      expect(outboundQueueFiles(relay)).toEqual([]);
      expect(sink.received).toHaveLength(1);
      const verdictLines = relay.output.split('\n').filter((line) => line.includes('"event":"dlp-verdict"'));
      expect(verdictLines).toHaveLength(1);
      expect(verdictLines[0]).toContain(`"ref":"${reference}"`);
      expect(verdictLines[0]).toContain('"outcome":"warn"');
      expect(relay.output).not.toMatch(/bouncing mail/);
    } finally {
      await relay.stop();
      await sink.stop();
    }
  }, 60_000);
});
