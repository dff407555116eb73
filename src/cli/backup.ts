/**
 * `dlp backup DIR`: everything needed to bring the relay back on another machine, copied
 * while it runs: the configuration directory, the quarantine key, the quarantine database
 * (SQLite's online backup, or pg_dump), the relay's own emails waiting in the outbox, and
 * Haraka's queue of accepted messages not yet delivered. See restore.ts for the way back.
 */
import { chmodSync, existsSync, realpathSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { configDirOf, dataDirOf, loadConfig, type DlpConfig } from '../config/load.js';
import { maskDatabaseUrl } from '../quarantine/database.js';
import { loadOrCreateKey } from '../quarantine/sealed-box.js';
import { openQuarantineStore } from '../quarantine/store.js';
import { readTlsIni } from '../relay/tls-certificate.js';
import { copyFileHashed, copyHarakaQueue, copyTree, hashFile, isEmptyOrMissing, isWithin, makePrivateDir, PRIVATE_FILE, type CopiedFile } from './backup-files.js';
import { BACKUP_FORMAT, BACKUP_LAYOUT, modeText, relayVersion, writeManifest, type BackupManifest, type BackupPart, type SavedFile } from './backup-manifest.js';
import { dumpPostgres } from './postgres-dump.js';

export const BACKUP_USAGE = `Usage:
  dlp backup DIR [--config DIR] [--data DIR]
Copies everything needed to restore the relay into DIR, a new or empty directory: the
configuration directory (dlp.yaml, Haraka's files, roster, TLS key and certificate, templates),
the quarantine key, the quarantine database (an online copy: the relay may keep running),
the outbox and Haraka's queue. Everything is written readable by you only.
  --config DIR  the configuration (default: $DLP_CONFIG_DIR, else the package's config/)
  --data DIR    the relay's data directory (default: $DLP_DATA_DIR, else data/ beside the configuration)
Restore with dlp restore. Exit status: 0 saved, 1 it failed part way, 2 usage or configuration error.
`;

const KEEP_IT_SAFE =
  'Keep this backup as safe as the key itself: it holds the quarantine key and the held mail it ' +
  'opens, the most sensitive email the trust sends. Store it encrypted, off this machine, where ' +
  'only the people who may restore the relay can read it.\n';

interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Where the relay keeps each thing that goes into a backup. */
interface RelayPlaces {
  configDir: string;
  dataDir: string;
  config: DlpConfig;
  outboxDir: string;
  queueDir: string;
}

export async function backupCommand(argv: string[], io: Output): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: argv, allowPositionals: true, options: { config: { type: 'string' }, data: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (error) {
    io.err(`dlp backup: ${error instanceof Error ? error.message : String(error)}\n${BACKUP_USAGE}`);
    return 2;
  }
  if (args.values.help) {
    io.out(BACKUP_USAGE);
    return 0;
  }
  const [target, ...extra] = args.positionals;
  if (!target || extra.length > 0) {
    io.err(`dlp backup: give one directory to save the backup in\n${BACKUP_USAGE}`);
    return 2;
  }

  let places: RelayPlaces;
  const backupDir = resolve(target);
  try {
    places = relayPlaces(args.values.config, args.values.data);
    if (!isEmptyOrMissing(backupDir)) throw new Error(`${backupDir} already holds files: give a new or empty directory, so that no earlier backup is mixed in`);
    if (isWithin(backupDir, places.configDir) || isWithin(backupDir, places.dataDir)) {
      throw new Error(`${backupDir} is inside the relay's configuration or data directory: put the backup somewhere else`);
    }
  } catch (error) {
    io.err(`dlp backup: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }

  // Whatever the caller's umask, nothing in the backup is readable by anyone else.
  const umask = process.umask(0o077);
  try {
    const manifest = await saveRelay(places, backupDir);
    writeManifest(backupDir, manifest);
    io.out(describeBackup(backupDir, places, manifest));
    return 0;
  } catch (error) {
    io.err(`dlp backup: ${error instanceof Error ? error.message : String(error)}\nThe backup in ${backupDir} is incomplete: do not rely on it.\n`);
    return 1;
  } finally {
    process.umask(umask);
  }
}

function relayPlaces(configGiven: string | undefined, dataGiven: string | undefined): RelayPlaces {
  const given = configDirOf(configGiven);
  if (!existsSync(join(given, 'dlp.yaml'))) throw new Error(`${given} holds no dlp.yaml: give the configuration directory with --config or DLP_CONFIG_DIR`);
  const configDir = realpathSync(given);
  const dataDir = dataDirOf(configDir, dataGiven);
  const config = loadConfig(configDir, { dataDir });
  return { configDir, dataDir, config, outboxDir: config.notifications?.outboxDir ?? join(dataDir, 'outbox'), queueDir: join(dataDir, 'haraka', 'queue') };
}

async function saveRelay(places: RelayPlaces, backupDir: string): Promise<BackupManifest> {
  const { configDir, dataDir, config } = places;
  makePrivateDir(backupDir);
  const files: SavedFile[] = [];
  const notSaved: BackupManifest['notSaved'] = [];
  const record = (part: BackupPart, under: string, from: string, copied: CopiedFile[]): void => {
    for (const file of copied) files.push({ part, path: `${under}/${file.path}`, from: join(from, file.path), bytes: file.bytes, sha256: file.sha256, mode: modeText(file.mode) });
  };

  // The data directory may sit inside the configuration directory (data/ beside dlp.yaml in a trial install): its live files are saved below, their own way.
  const skip = (path: string): boolean => isWithin(path, dataDir) || isWithin(path, backupDir);
  record('configuration', BACKUP_LAYOUT.config, configDir, await copyTree(configDir, join(backupDir, BACKUP_LAYOUT.config), skip));
  for (const external of filesOutside(config)) notSaved.push({ path: external, why: `outside the configuration directory ${configDir}: back it up with the system, or move it into ${configDir}` });

  const keyFile = config.quarantine.keyFile;
  let key: Buffer | undefined;
  if (existsSync(keyFile)) {
    key = loadOrCreateKey(keyFile, { create: false }).key;
    const saved = await copyFileHashed(keyFile, join(backupDir, BACKUP_LAYOUT.key));
    files.push({ part: 'key', path: BACKUP_LAYOUT.key, from: keyFile, ...saved, mode: modeText(statSync(keyFile).mode) });
  } else {
    notSaved.push({ path: keyFile, why: 'there is no quarantine key yet (the relay makes one the first time it holds a message)' });
  }

  const database = await saveDatabase(config.quarantine.database, backupDir, key, files);
  if (database.kind === 'none') notSaved.push({ path: database.from, why: 'there is no quarantine database yet (the relay makes it the first time it holds a message)' });

  if (existsSync(places.outboxDir)) {
    // Half-written spool files (dot-named) are the outbox's own business: it removes them.
    const outbox = await copyTree(places.outboxDir, join(backupDir, BACKUP_LAYOUT.outbox), (path) => /\/\.[^/]*\.tmp$/.test(path));
    record('outbox', BACKUP_LAYOUT.outbox, places.outboxDir, outbox);
  }
  if (existsSync(places.queueDir)) record('queue', BACKUP_LAYOUT.queue, places.queueDir, await copyHarakaQueue(places.queueDir, join(backupDir, BACKUP_LAYOUT.queue)));

  return {
    format: BACKUP_FORMAT,
    createdAt: new Date().toISOString(),
    relayVersion: relayVersion(),
    host: hostname(),
    source: { configDir, dataDir },
    database: database.manifest,
    ...(database.counts ? { quarantine: database.counts } : {}),
    files,
    notSaved,
  };
}

interface SavedDatabase {
  kind: 'sqlite' | 'postgres' | 'none';
  from: string;
  manifest: BackupManifest['database'];
  counts?: { held: number; total: number; reviewers: number };
}

/**
 * SQLite: better-sqlite3's online backup (SQLite's backup API), a consistent copy taken while
 * the relay writes, which copying the file (and its write-ahead log) would not be. PostgreSQL:
 * pg_dump. Either way the saved key is then checked against the saved quarantine.
 */
async function saveDatabase(url: string, backupDir: string, key: Buffer | undefined, files: SavedFile[]): Promise<SavedDatabase> {
  const from = maskDatabaseUrl(url);
  if (url.startsWith('sqlite:')) {
    const source = url.slice('sqlite:'.length);
    if (!existsSync(source)) return { kind: 'none', from: source, manifest: { kind: 'none', from: source } };
    const copy = join(backupDir, BACKUP_LAYOUT.sqlite);
    const database = new Database(source, { fileMustExist: true });
    try {
      database.pragma('busy_timeout = 5000');
      // All remaining pages in one step: one short read transaction, which in WAL mode never blocks the relay's writes.
      await database.backup(copy, { progress: () => 0x7fffffff });
    } finally {
      database.close();
    }
    const counts = key ? await countQuarantine(`sqlite:${copy}`, key, 'the copy') : undefined;
    chmodSync(copy, PRIVATE_FILE);
    files.push({ part: 'database', path: BACKUP_LAYOUT.sqlite, from: source, ...(await hashFile(copy)), mode: modeText(statSync(source).mode) });
    return { kind: 'sqlite', from: source, manifest: { kind: 'sqlite', from: source }, ...(counts ? { counts } : {}) };
  }
  const dump = join(backupDir, BACKUP_LAYOUT.postgres);
  const { schema } = await dumpPostgres(url, dump);
  chmodSync(dump, PRIVATE_FILE);
  const counts = key ? await countQuarantine(url, key, 'the database') : undefined;
  files.push({ part: 'database', path: BACKUP_LAYOUT.postgres, from, ...(await hashFile(dump)), mode: modeText(PRIVATE_FILE) });
  return { kind: 'postgres', from, manifest: { kind: 'postgres', from, schema }, ...(counts ? { counts } : {}) };
}

/** Opens the quarantine with the saved key (so a backup whose key does not open it fails now, not on the day of the restore) and counts it. */
async function countQuarantine(url: string, key: Buffer, what: string): Promise<{ held: number; total: number; reviewers: number }> {
  let store;
  try {
    store = await openQuarantineStore({ url, key });
  } catch (error) {
    throw new Error(`the quarantine key does not open ${what} of the quarantine: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  try {
    const counts = await store.counts(new Date(0));
    const total = Object.entries(counts).reduce((sum, [status, n]) => (status === 'overdue' ? sum : sum + n), 0);
    return { held: counts.held + counts.releasing, total, reviewers: (await store.reviewers()).length };
  } finally {
    await store.close();
  }
}

/** Files dlp.yaml and tls.ini name that are not under the configuration directory (and so not in the copy of it). */
function filesOutside(config: DlpConfig): string[] {
  const tls = readTlsIni(config.configDir);
  const inConfig = (name: string): string => resolve(config.configDir, name);
  const named = [
    ...config.rosterFiles,
    ...tls.keyFiles.map(inConfig),
    ...tls.certFiles.map(inConfig),
    ...(config.notifications?.submission?.passwordFile ? [config.notifications.submission.passwordFile] : []),
  ];
  return [...new Set(named)].filter((path) => existsSync(path) && !isWithin(realpathSync(path), config.configDir));
}

function describeBackup(backupDir: string, places: RelayPlaces, manifest: BackupManifest): string {
  const of = (part: BackupPart): SavedFile[] => manifest.files.filter((f) => f.part === part);
  const size = (list: SavedFile[]): string => formatBytes(list.reduce((sum, f) => sum + f.bytes, 0));
  const lines = [`Backed up the relay into ${backupDir} (${size(manifest.files)}):`];
  lines.push(`  configuration  ${places.configDir}: ${of('configuration').length} files`);
  const key = of('key')[0];
  lines.push(`  quarantine key ${key ? key.from : 'none yet'}`);
  const database = of('database')[0];
  const counts = manifest.quarantine ? `: ${manifest.quarantine.held} held, ${manifest.quarantine.total} in all, ${manifest.quarantine.reviewers} reviewer account(s)` : '';
  const how = manifest.database.kind === 'sqlite' ? 'SQLite online backup' : manifest.database.kind === 'postgres' ? `pg_dump of schema ${manifest.database.schema}` : 'none yet';
  lines.push(`  quarantine     ${manifest.database.from} (${how}${database ? `, ${formatBytes(database.bytes)}` : ''})${counts}`);
  lines.push(`  outbox         ${places.outboxDir}: ${of('outbox').filter((f) => !f.path.includes('/failed/')).length} email(s) waiting`);
  lines.push(`  Haraka queue   ${places.queueDir}: ${of('queue').length} message(s) not yet delivered`);
  for (const missing of manifest.notSaved) lines.push(`Not saved: ${missing.path}: ${missing.why}.`);
  lines.push(`Manifest: ${join(backupDir, 'manifest.json')}. Restore with: dlp restore ${backupDir} --config DIR --data DIR`);
  return `${lines.join('\n')}\n${KEEP_IT_SAFE}`;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

