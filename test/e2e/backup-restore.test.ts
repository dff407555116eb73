/**
 * `dlp backup` while the relay runs, the machine lost (configuration and data directories
 * deleted, the PostgreSQL schema dropped), `dlp restore` into new directories, and a new
 * relay started from them as the service starts it: the held message is still there, opens
 * with the restored key, and the DPO (same password) releases it; a message released while the
 * smarthost was down, waiting in Haraka's queue, is delivered; nothing arrives twice. A wrong
 * key is refused clearly.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canConnect, HarakaRelay } from '../support/haraka-relay.js';
import { REPO_ROOT } from '../support/paths.js';
import { postgresBackend, testPostgresUrl } from '../support/quarantine.js';
import { referenceIn } from '../support/relay-queue.js';
import { dlpCommand, ReviewClient } from '../support/review-client.js';
import { RIVERSIDE_ROSTER } from '../support/roster.js';
import { crlf, sendRaw } from '../support/send.js';
import { SmtpSink, type ReceivedMessage } from '../support/smtp-sink.js';

const STAFF = 's.jones@example-trust.org.uk';
const PARTNER = 'r.patel@riverside.example.com';
const PERSONAL = 'sarah.jones1984@gmail.com';
const DPO = { username: 'dpo@example-trust.org.uk', password: 'correct horse battery staple' };

function dlpYaml(sinkPort: number, database?: string): string {
  return `mode: enforce
organisation:
  name: Riverside Academy Trust
  internal_domains: [example-trust.org.uk]
roster:
  file: roster.csv
rules:
  forward-to-personal-address: { action: hold }
quarantine:
  release_via: smtp://127.0.0.1:${sinkPort}
${database ? `  database: "${database}"\n` : ''}`;
}

function letter(id: string): Buffer {
  return crlf(`From: Sarah Jones <${STAFF}>
To: ${PARTNER}
Subject: Year 7 trip
Message-ID: <${id}@example-trust.org.uk>

The coach leaves at 8.45.
`);
}

function forward(id: string): Buffer {
  return crlf(`From: Sarah Jones <${STAFF}>
To: ${PERSONAL}
Subject: Fwd: Year 7 trip
Message-ID: <${id}@example-trust.org.uk>

---------- Forwarded message ---------
From: Mr Patel <${PARTNER}>
Date: Mon, 23 Nov 2026 at 09:12
Subject: Year 7 trip
To: <${STAFF}>

The coach leaves at 8.45.
`);
}

function arrivals(sink: SmtpSink, id: string): ReceivedMessage[] {
  return sink.received.filter((m) => m.raw.toString('latin1').includes(`Message-ID: <${id}@example-trust.org.uk>`));
}

/** Every file under `dir`, with its content: what a restore must give back. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true }).map(String).sort()) {
    const path = join(dir, name);
    if (statSync(path).isFile()) files[name] = readFileSync(path).toString('base64');
  }
  return files;
}

/** The relay started from existing directories exactly as the systemd unit starts it. */
class ServiceRelay {
  output = '';
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;

  constructor(
    readonly configDir: string,
    readonly dataDir: string,
  ) {
    this.child = spawn(process.execPath, [join(REPO_ROOT, 'bin/relay.js')], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DLP_CONFIG_DIR: configDir, DLP_DATA_DIR: dataDir },
    });
    this.child.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  /** The SMTP port its restored smtp.ini names. */
  get port(): number {
    return Number(/listen=127\.0\.0\.1:(\d+)/.exec(readFileSync(join(this.configDir, 'smtp.ini'), 'utf8'))![1]);
  }

  /** The review queue its restored dlp.yaml names. */
  get reviewBase(): string {
    return `http://${/listen: (127\.0\.0\.1:\d+)/.exec(readFileSync(join(this.configDir, 'dlp.yaml'), 'utf8'))![1]}`;
  }

  async ready(): Promise<this> {
    const deadline = Date.now() + 30_000;
    while (!(await canConnect(this.port)) || !/review queue listening/.test(this.output)) {
      if (this.child.exitCode !== null) throw new Error(`the restored relay exited with ${this.child.exitCode}:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`the restored relay did not start within 30 s:\n${this.output}`);
      await delay(100);
    }
    return this;
  }

  async waitForOutput(pattern: RegExp, ms = 15_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pattern.test(this.output)) {
      if (Date.now() > deadline) throw new Error(`relay output never matched ${pattern}:\n${this.output.slice(-3000)}`);
      await delay(100);
    }
  }

  /** SIGTERM, as systemctl stop; SIGKILL if it has not exited in 30 s. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function until(what: string, check: () => boolean, ms = 15_000, log: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}\n${log().slice(-4000)}`);
    await delay(100);
  }
}

/** Modes of everything in the backup: the files 0600, the directories 0700. */
function modesUnder(dir: string): Set<string> {
  const modes = new Set<string>([`dir ${(statSync(dir).mode & 0o777).toString(8)}`]);
  for (const name of readdirSync(dir, { recursive: true }).map(String)) {
    const stats = statSync(join(dir, name));
    modes.add(`${stats.isDirectory() ? 'dir' : 'file'} ${(stats.mode & 0o777).toString(8)}`);
  }
  return modes;
}

async function stopRelay(relay: HarakaRelay): Promise<void> {
  relay.signal('SIGTERM');
  expect(await relay.exitCode(30_000)).toBe(0);
}

describe('backup while running, machine lost, restore: SQLite', () => {
  const sink = new SmtpSink();
  let work: string;
  let relay: HarakaRelay | undefined;
  const restored: ServiceRelay[] = [];

  beforeAll(async () => {
    await sink.start();
    work = mkdtempSync(join(tmpdir(), 'dlp-backup-test-'));
  });
  afterAll(async () => {
    for (const r of restored) await r.stop();
    await relay?.stop();
    await sink.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('restores the held message (readable, released once by the same DPO), the released one waiting in Haraka\'s queue, the outbox and the configuration', async () => {
    relay = await new HarakaRelay({
      dlpYaml: dlpYaml(sink.port),
      smarthostPort: sink.port,
      launcher: true,
      configFiles: { 'roster.csv': readFileSync(RIVERSIDE_ROSTER), 'outbound.ini': 'temp_fail_intervals=5s*100\n' },
    }).start();
    await relay.waitForOutput(/review queue listening/);
    const added = await dlpCommand(['reviewer', 'add', DPO.username, '--role', 'dpo', '--config', relay.configDir, '--data', relay.dataDir], `${DPO.password}\n`);
    expect(added).toEqual({ code: 0, out: `Added ${DPO.username} (dpo).\n` });

    expect((await sendRaw(relay.port, { from: STAFF, to: [PARTNER] }, letter('delivered'))).code).toBe(250);
    await until('the first letter is delivered', () => arrivals(sink, 'delivered').length === 1);
    const held = await sendRaw(relay.port, { from: STAFF, to: [PERSONAL] }, forward('held'));
    expect(held.response).toMatch(/^250 Held for review/);
    const reference = referenceIn(held.response);
    // Another is released while the smarthost is down: it waits in Haraka's queue, released and not yet delivered.
    const early = referenceIn((await sendRaw(relay.port, { from: STAFF, to: [PERSONAL] }, forward('released-early'))).response);
    sink.refuseWith = { code: 451, message: '4.3.0 Try again later' };
    const before = new ReviewClient(`http://127.0.0.1:${relay.reviewPort}`);
    await before.signIn(DPO.username, DPO.password);
    expect(await before.release(early)).toMatch(/Released/);
    const queueDir = join(relay.dataDir, 'haraka/queue');
    await until('the released message has been refused once', () => sink.refused >= 1 && readdirSync(queueDir).some((n) => !n.startsWith('__tmp__')));
    // A guidance email waiting in the outbox (this relay sends none, so it stays put).
    mkdirSync(join(relay.dataDir, 'outbox'), { mode: 0o700 });
    writeFileSync(join(relay.dataDir, 'outbox', '1764700000000-abc.json'), '{"label":"notice for DLP-TEST"}\n', { mode: 0o600 });

    const backupDir = join(work, 'backup');
    const started = Date.now();
    const backup = await dlpCommand(['backup', backupDir, '--config', relay.configDir, '--data', relay.dataDir], '');
    const backupMs = Date.now() - started;
    expect(backup.code, backup.out).toBe(0);
    expect(backup.out).toMatch(/quarantine .*SQLite online backup.*: 1 held, 2 in all, 1 reviewer account\(s\)/);
    expect(backup.out).toMatch(/Haraka queue .*: 1 message\(s\) not yet delivered/);
    expect(backup.out).toMatch(/outbox .*: 1 email\(s\) waiting/);
    expect(backup.out).toMatch(/Keep this backup as safe as the key itself/);
    expect(modesUnder(backupDir)).toEqual(new Set(['dir 700', 'file 600']));
    const manifest = JSON.parse(readFileSync(join(backupDir, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ format: 'dlp-relay-backup/1', relayVersion: '0.1.0', database: { kind: 'sqlite' } });
    expect(new Set(manifest.files.map((f: { part: string }) => f.part))).toEqual(new Set(['configuration', 'key', 'database', 'outbox', 'queue']));
    console.log(`dlp backup of a running relay: ${backupMs} ms\n${backup.out}`);
    const over = await dlpCommand(['backup', backupDir, '--config', relay.configDir, '--data', relay.dataDir], '');
    expect([over.code, over.out]).toEqual([2, expect.stringMatching(/already holds files: give a new or empty directory/)]);

    const configBefore = snapshot(relay.configDir);
    const keyBefore = readFileSync(join(relay.dataDir, 'quarantine.key'));
    await stopRelay(relay);
    // The machine is lost: configuration and data, all of it.
    rmSync(relay.configDir, { recursive: true });
    rmSync(relay.dataDir, { recursive: true });

    const configDir = join(work, 'etc-dlp');
    const dataDir = join(work, 'var-lib-dlp');
    const restore = await dlpCommand(['restore', backupDir, '--config', configDir, '--data', dataDir], '');
    expect(restore.code, restore.out).toBe(0);
    expect(restore.out).toMatch(/quarantine .*: 1 held, 2 in all, 1 reviewer account\(s\); the key opens it/);
    console.log(`dlp restore:\n${restore.out}`);
    expect(snapshot(configDir)).toEqual(configBefore);
    expect(readFileSync(join(dataDir, 'quarantine.key'))).toEqual(keyBefore);
    expect(statSync(join(dataDir, 'quarantine.key')).mode & 0o777).toBe(0o600);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(dataDir, 'outbox', '1764700000000-abc.json'), 'utf8')).toBe('{"label":"notice for DLP-TEST"}\n');

    // A damaged backup is refused before anything is written.
    const damaged = join(work, 'damaged');
    cpSync(backupDir, damaged, { recursive: true });
    writeFileSync(join(damaged, 'quarantine.key'), `${randomBytes(32).toString('base64')}\n`);
    const fromDamaged = await dlpCommand(['restore', damaged, '--config', join(work, 'etc-2'), '--data', join(work, 'data-2')], '');
    expect([fromDamaged.code, fromDamaged.out]).toEqual([2, expect.stringMatching(/the backup is damaged: .*quarantine\.key is not the file that was saved[^]*Nothing was restored/)]);
    expect(existsSync(join(work, 'etc-2'))).toBe(false);

    // A second restore over it is refused, and changes nothing.
    const again = await dlpCommand(['restore', backupDir, '--config', join(work, 'elsewhere'), '--data', dataDir], '');
    expect(again.code).toBe(2);
    expect(again.out).toMatch(/a quarantine is already there .*quarantine\.key.*add --force/s);
    expect(again.out).toMatch(/Nothing was restored/);

    const service = new ServiceRelay(configDir, dataDir);
    restored.push(service);
    await service.ready();
    sink.refuseWith = undefined;
    await until('the message from the restored queue is delivered', () => arrivals(sink, 'released-early').length === 1, 20_000, () => service.output);

    const review = new ReviewClient(service.reviewBase);
    await review.signIn(DPO.username, DPO.password);
    // The page shows the held message's content: it opened with the restored key.
    expect(await review.get(`/messages/${reference}`)).toContain('Fwd: Year 7 trip');
    expect(await review.release(reference)).toMatch(/Released/);
    await until('the released message arrives', () => arrivals(sink, 'held').length === 1);
    await delay(1500);
    expect(arrivals(sink, 'held')).toHaveLength(1);
    expect(arrivals(sink, 'held')[0]!.rcptTo).toEqual([PERSONAL]);
    expect(arrivals(sink, 'released-early')).toHaveLength(1);
    expect(arrivals(sink, 'delivered')).toHaveLength(1);
    expect(await service.stop()).toBe(0);

    // The same data with a key that is not the one the quarantine was written with.
    writeFileSync(join(dataDir, 'quarantine.key'), `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    const reviewer = await dlpCommand(['reviewer', 'list', '--config', configDir, '--data', dataDir], '');
    expect(reviewer.code).toBe(2);
    expect(reviewer.out).toMatch(/quarantine key does not match the key the queue was written with/);
    // The relay refuses to start with it (it could neither hold nor release), and says why; so does --check.
    const wrongKey = spawnSync(process.execPath, [join(REPO_ROOT, 'bin/relay.js'), '--check', '--config', configDir, '--data', dataDir], { encoding: 'utf8' });
    expect(wrongKey.status).toBe(2);
    expect(wrongKey.stderr).toMatch(/quarantine\.key is not the key the quarantine sqlite:.*quarantine\.sqlite was written with: put back the key file/);
    const starting = new ServiceRelay(configDir, dataDir);
    restored.push(starting);
    await expect(starting.ready()).rejects.toThrow(/exited with 2[^]*is not the key the quarantine/);
  }, 180_000);
});

describe('backup while running, database lost, restore: PostgreSQL', () => {
  const sink = new SmtpSink();
  const backend = postgresBackend();
  const admin = new pg.Client({ connectionString: testPostgresUrl() });
  const otherSchema = `dlp_other_${process.pid}_${randomBytes(3).toString('hex')}`;
  let work: string;
  let relay: HarakaRelay | undefined;
  let service: ServiceRelay | undefined;

  beforeAll(async () => {
    await backend.setUp();
    await admin.connect();
    await sink.start();
    work = mkdtempSync(join(tmpdir(), 'dlp-backup-pg-test-'));
  });
  afterAll(async () => {
    await service?.stop();
    await relay?.stop();
    await sink.stop();
    await admin.query(`drop schema if exists ${otherSchema} cascade`).catch(() => {});
    await admin.end().catch(() => {});
    await backend.tearDown();
    rmSync(work, { recursive: true, force: true });
  });

  it('dumps only the relay\'s schema, restores it into the configured database, and the DPO releases the held message once', async () => {
    const url = await backend.freshUrl();
    const schema = new URL(url).searchParams.get('options')!.replace('-c search_path=', '');
    // Another application's table in the same database: neither dumped nor touched by the restore.
    await admin.query(`create schema ${otherSchema}; create table ${otherSchema}.timetable (lesson text); insert into ${otherSchema}.timetable values ('maths')`);

    relay = await new HarakaRelay({
      dlpYaml: dlpYaml(sink.port, url),
      smarthostPort: sink.port,
      launcher: true,
      configFiles: { 'roster.csv': readFileSync(RIVERSIDE_ROSTER) },
    }).start();
    await relay.waitForOutput(/review queue listening/);
    const added = await dlpCommand(['reviewer', 'add', DPO.username, '--role', 'dpo', '--config', relay.configDir, '--data', relay.dataDir], `${DPO.password}\n`);
    expect(added.code, added.out).toBe(0);
    const held = await sendRaw(relay.port, { from: STAFF, to: [PERSONAL] }, forward('pg-held'));
    expect(held.response).toMatch(/^250 Held for review/);
    const reference = referenceIn(held.response);

    const backupDir = join(work, 'backup');
    const started = Date.now();
    const backup = await dlpCommand(['backup', backupDir, '--config', relay.configDir, '--data', relay.dataDir], '');
    const backupMs = Date.now() - started;
    expect(backup.code, backup.out).toBe(0);
    expect(backup.out).toContain(`pg_dump of schema ${schema}`);
    expect(backup.out).toMatch(/: 1 held, 1 in all, 1 reviewer account\(s\)/);
    console.log(`dlp backup (PostgreSQL) of a running relay: ${backupMs} ms\n${backup.out}`);
    expect(statSync(join(backupDir, 'quarantine.pgdump')).mode & 0o777).toBe(0o600);
    // Only the relay's tables, all in its schema: no schema object, nothing of the other application.
    const contents = execFileSync('pg_restore', ['--list', join(backupDir, 'quarantine.pgdump')]).toString();
    const tables = contents.split('\n').filter((line) => / TABLE /.test(line) && !/ TABLE DATA /.test(line));
    expect(tables.length).toBeGreaterThanOrEqual(7);
    for (const line of tables) expect(line).toContain(` TABLE ${schema} `);
    expect(contents).not.toContain(otherSchema);
    const objects = contents.split('\n').filter((line) => /^\d+;/.test(line));
    expect(objects.some((line) => / FUNCTION /.test(line))).toBe(true); // the audit log's append-only trigger function
    for (const line of objects) expect(line).toContain(` ${schema} `);

    await stopRelay(relay);
    rmSync(relay.configDir, { recursive: true });
    rmSync(relay.dataDir, { recursive: true });
    await admin.query(`drop schema ${schema} cascade`); // the database server was lost too

    const configDir = join(work, 'etc-dlp');
    const dataDir = join(work, 'var-lib-dlp');
    const restore = await dlpCommand(['restore', backupDir, '--config', configDir, '--data', dataDir], '');
    expect(restore.code, restore.out).toBe(0);
    expect(restore.out).toMatch(new RegExp(`PostgreSQL, schema ${schema}: 1 held, 1 in all, 1 reviewer account\\(s\\); the key opens it`));
    expect((await admin.query(`select lesson from ${otherSchema}.timetable`)).rows).toEqual([{ lesson: 'maths' }]);
    // Restoring again over the restored quarantine is refused.
    const again = await dlpCommand(['restore', backupDir, '--config', join(work, 'elsewhere'), '--data', join(work, 'elsewhere-data')], '');
    expect(again.code).toBe(2);
    expect(again.out).toContain(`schema ${schema} of the PostgreSQL database`);

    service = new ServiceRelay(configDir, dataDir);
    await service.ready();
    const review = new ReviewClient(service.reviewBase);
    await review.signIn(DPO.username, DPO.password);
    expect(await review.get(`/messages/${reference}`)).toContain('Fwd: Year 7 trip');
    expect(await review.release(reference)).toMatch(/Released/);
    await until('the released message arrives', () => arrivals(sink, 'pg-held').length === 1);
    await delay(1500);
    expect(arrivals(sink, 'pg-held')).toHaveLength(1);
    expect(await service.stop()).toBe(0);
  }, 180_000);
});
