/**
 * `dlp restore BACKUP --config DIR --data DIR`: puts a backup made by `dlp backup` back, with
 * the relay stopped: the configuration directory, the quarantine key, the database (the
 * SQLite file, or pg_restore into the configured PostgreSQL), the outbox and Haraka's queue.
 * The backup is checked whole first, and a quarantine already in place is never replaced
 * without --force. Afterwards the restored key must open the restored quarantine.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, unlinkSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { configDirOf, dataDirOf, loadConfig } from '../config/load.js';
import { loadOrCreateKey } from '../quarantine/sealed-box.js';
import { openQuarantineStore } from '../quarantine/store.js';
import { copyFileHashed, isEmptyOrMissing, isWithin, makePrivateDir, PRIVATE_FILE, replaceFile } from './backup-files.js';
import { BACKUP_LAYOUT, modeOf, readManifest, relayVersion, verifyBackupFiles, type BackupManifest, type SavedFile } from './backup-manifest.js';
import { holdsQuarantine, restorePostgres } from './postgres-dump.js';

export const RESTORE_USAGE = `Usage:
  dlp restore BACKUP [--config DIR] [--data DIR] [--force]
Puts a backup made by dlp backup back, with the relay stopped: the configuration into the
configuration directory; the quarantine key, the database (SQLite; or pg_restore into the
PostgreSQL that the restored dlp.yaml names), the outbox and Haraka's queue into the data directory.
  --config DIR  where the configuration goes (default: $DLP_CONFIG_DIR, else the package's config/)
  --data DIR    where the relay's data goes (default: $DLP_DATA_DIR, else data/ beside the configuration)
  --force       replace a configuration directory that is not empty, and a quarantine already there
  --allow-outside  write the key, database or outbox where the backup's dlp.yaml puts them outside
                the configuration and data directories (otherwise refused: a backup must not choose
                where a restore run as root writes)
Exit status: 0 restored, 1 it failed part way, 2 usage error, or refused (nothing was changed).
`;

const RELAY_BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/relay.js');

/** A directory the relay's account must be able to read (files keep their saved modes). */
const CONFIG_DIR_MODE = 0o750;

interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Where the restored relay will look for each part. */
interface RestoreTargets {
  configDir: string;
  dataDir: string;
  keyFile: string;
  database: string;
  outboxDir: string;
  queueDir: string;
}

/** The restore will not go ahead; nothing has been written. */
class RefusedError extends Error {
  override readonly name = 'RefusedError';
}

export async function restoreCommand(argv: string[], io: Output): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { config: { type: 'string' }, data: { type: 'string' }, force: { type: 'boolean' }, 'allow-outside': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    io.err(`dlp restore: ${error instanceof Error ? error.message : String(error)}\n${RESTORE_USAGE}`);
    return 2;
  }
  if (args.values.help) {
    io.out(RESTORE_USAGE);
    return 0;
  }
  const [backup, ...extra] = args.positionals;
  if (!backup || extra.length > 0) {
    io.err(`dlp restore: give the backup directory\n${RESTORE_USAGE}`);
    return 2;
  }
  const backupDir = resolve(backup);
  const force = args.values.force ?? false;

  let manifest: BackupManifest;
  let targets: RestoreTargets;
  try {
    manifest = readManifest(backupDir);
    await verifyBackupFiles(backupDir, manifest);
    const configDir = configDirOf(args.values.config);
    targets = restoreTargets(backupDir, configDir, dataDirOf(configDir, args.values.data));
    if (isWithin(targets.configDir, backupDir) || isWithin(targets.dataDir, backupDir)) throw new RefusedError('restore somewhere outside the backup directory');
    if (!args.values['allow-outside']) refuseOutside(targets);
    await refuseToReplace(targets, manifest, force);
  } catch (error) {
    io.err(`dlp restore: ${error instanceof Error ? error.message : String(error)}\nNothing was restored.\n`);
    return 2;
  }

  try {
    const restored = await restoreAll(backupDir, manifest, targets);
    const quarantine = await checkQuarantine(targets, manifest);
    io.out(describeRestore(manifest, targets, restored, quarantine));
    return 0;
  } catch (error) {
    io.err(`dlp restore: ${error instanceof Error ? error.message : String(error)}\nThe restore is incomplete: do not start the relay on it.\n`);
    return 1;
  }
}

/**
 * Where the restored relay will keep its key, database and outbox: the backup's dlp.yaml
 * (which is checked here, before anything is written) read as if it were already in place.
 */
function restoreTargets(backupDir: string, configDir: string, dataDir: string): RestoreTargets {
  const savedConfig = join(backupDir, BACKUP_LAYOUT.config);
  let config;
  try {
    config = loadConfig(savedConfig, { dataDir });
  } catch (error) {
    throw new RefusedError(`the configuration in the backup does not load: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  // Paths dlp.yaml gives relative to its own directory point into the backup's copy: move them to where it is restored.
  const placed = (path: string): string => (isWithin(path, savedConfig) ? join(configDir, relative(savedConfig, path)) : path);
  const database = config.quarantine.database.startsWith('sqlite:') ? `sqlite:${placed(config.quarantine.database.slice('sqlite:'.length))}` : config.quarantine.database;
  return {
    configDir,
    dataDir,
    keyFile: placed(config.quarantine.keyFile),
    database,
    outboxDir: placed(config.notifications?.outboxDir ?? join(dataDir, 'outbox')),
    queueDir: join(dataDir, 'haraka', 'queue'),
  };
}

/**
 * The key, the database and the outbox go where the backup's own dlp.yaml says. A backup made
 * by (or tampered with through) the relay's account must not choose where a restore run as
 * root writes: anything outside the configuration and data directories needs --allow-outside.
 */
function refuseOutside(targets: RestoreTargets): void {
  const places: Array<[string, string]> = [
    ['quarantine.key_file', targets.keyFile],
    ['notifications.outbox', targets.outboxDir],
  ];
  if (targets.database.startsWith('sqlite:')) places.push(['quarantine.database', targets.database.slice('sqlite:'.length)]);
  const outside = places.filter(([, path]) => !isWithin(path, targets.configDir) && !isWithin(path, targets.dataDir));
  if (outside.length > 0) {
    throw new RefusedError(
      `the backup's dlp.yaml puts ${outside.map(([key, path]) => `${key} at ${path}`).join(', ')}, outside ${targets.configDir} and ${targets.dataDir}: ` +
        'check the backup is yours and those places are right, then add --allow-outside',
    );
  }
}

async function refuseToReplace(targets: RestoreTargets, manifest: BackupManifest, force: boolean): Promise<void> {
  const kind = targets.database.startsWith('sqlite:') ? 'sqlite' : 'postgres';
  if (manifest.database.kind !== 'none' && manifest.database.kind !== kind) {
    throw new RefusedError(`the backup holds a ${manifest.database.kind} quarantine, but its dlp.yaml names a ${kind} database`);
  }
  if (force) return;
  if (!isEmptyOrMissing(targets.configDir)) {
    throw new RefusedError(`${targets.configDir} is not empty: restore into a new or empty configuration directory, or add --force to replace the files the backup holds`);
  }
  const found: string[] = [];
  if (existsSync(targets.keyFile)) found.push(targets.keyFile);
  if (kind === 'sqlite' && existsSync(targets.database.slice('sqlite:'.length))) found.push(targets.database.slice('sqlite:'.length));
  if (kind === 'postgres' && manifest.database.kind === 'postgres' && (await holdsQuarantine(targets.database, manifest.database.schema))) {
    found.push(`schema ${manifest.database.schema} of the PostgreSQL database`);
  }
  for (const dir of [targets.outboxDir, targets.queueDir]) if (holdsAnyFile(dir)) found.push(dir);
  if (found.length > 0) {
    throw new RefusedError(
      `a quarantine is already there (${found.join(', ')}): restoring would replace it and the held mail in it. ` +
        'Stop the relay and move it aside, or add --force to replace it',
    );
  }
}

/** True when there is a file anywhere under `dir` (the outbox keeps an empty failed/ directory). */
function holdsAnyFile(dir: string): boolean {
  if (!existsSync(dir)) return false;
  return readdirSync(dir, { recursive: true, withFileTypes: true }).some((entry) => entry.isFile());
}

interface Restored {
  configuration: number;
  key: boolean;
  outbox: number;
  queue: number;
  /** Outbox and queue files already there (kept as they were). */
  kept: number;
}

async function restoreAll(backupDir: string, manifest: BackupManifest, targets: RestoreTargets): Promise<Restored> {
  const restored: Restored = { configuration: 0, key: false, outbox: 0, queue: 0, kept: 0 };
  const filesOf = (part: SavedFile['part']): SavedFile[] => manifest.files.filter((file) => file.part === part);
  const inside = (file: SavedFile, under: string): string => file.path.slice(under.length + 1);

  mkdirSync(targets.configDir, { recursive: true, mode: CONFIG_DIR_MODE });
  chmodSync(targets.configDir, CONFIG_DIR_MODE);
  for (const file of filesOf('configuration')) {
    const destination = join(targets.configDir, inside(file, BACKUP_LAYOUT.config));
    for (let dir = dirname(destination); isWithin(dir, targets.configDir) && dir !== targets.configDir; dir = dirname(dir)) {
      mkdirSync(dir, { recursive: true, mode: CONFIG_DIR_MODE });
    }
    await replaceFile(join(backupDir, file.path), destination, modeOf(file.mode));
    restored.configuration += 1;
  }

  makePrivateDir(targets.dataDir);
  const key = filesOf('key')[0];
  if (key) {
    await replaceFile(join(backupDir, key.path), targets.keyFile, PRIVATE_FILE);
    restored.key = true;
  }
  const database = filesOf('database')[0];
  if (database && manifest.database.kind === 'sqlite') {
    const path = targets.database.slice('sqlite:'.length);
    // A write-ahead log left by another database would be replayed into this one.
    for (const leftover of [`${path}-wal`, `${path}-shm`]) if (existsSync(leftover)) unlinkSync(leftover);
    await replaceFile(join(backupDir, database.path), path, PRIVATE_FILE);
  }
  if (database && manifest.database.kind === 'postgres') await restorePostgres(targets.database, join(backupDir, database.path), manifest.database.schema);

  // Mail waiting to go: put back what is not there already (a name already there is the same message).
  const putBack = async (file: SavedFile, destination: string): Promise<boolean> => {
    if (existsSync(destination)) return false;
    makePrivateDir(dirname(destination));
    await copyFileHashed(join(backupDir, file.path), destination);
    return true;
  };
  for (const file of filesOf('outbox')) {
    if (await putBack(file, join(targets.outboxDir, inside(file, BACKUP_LAYOUT.outbox)))) restored.outbox += 1;
    else restored.kept += 1;
  }
  for (const file of filesOf('queue')) {
    if (await putBack(file, join(targets.queueDir, inside(file, BACKUP_LAYOUT.queue)))) restored.queue += 1;
    else restored.kept += 1;
  }
  return restored;
}

/** Opens the restored quarantine with the restored key, as the relay will: a key that does not match fails here. */
async function checkQuarantine(targets: RestoreTargets, manifest: BackupManifest): Promise<string> {
  if (manifest.database.kind === 'none') return 'none in the backup (the relay makes one when it first holds a message)';
  if (!existsSync(targets.keyFile)) {
    return `restored, but the backup holds no key: the held mail in it cannot be read until ${targets.keyFile} is the key it was written with`;
  }
  const { key } = loadOrCreateKey(targets.keyFile, { create: false });
  let store;
  try {
    store = await openQuarantineStore({ url: targets.database, key });
  } catch (error) {
    throw new Error(`the restored key does not open the restored quarantine: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  try {
    const counts = await store.counts(new Date(0));
    const total = Object.entries(counts).reduce((sum, [status, n]) => (status === 'overdue' ? sum : sum + n), 0);
    return `${counts.held + counts.releasing} held, ${total} in all, ${(await store.reviewers()).length} reviewer account(s); the key opens it`;
  } finally {
    await store.close();
  }
}

function describeRestore(manifest: BackupManifest, targets: RestoreTargets, restored: Restored, quarantine: string): string {
  const lines = [`Restored the backup made ${manifest.createdAt} on ${manifest.host} (relay ${manifest.relayVersion}):`];
  lines.push(`  configuration  ${targets.configDir}: ${restored.configuration} files`);
  lines.push(`  quarantine key ${restored.key ? targets.keyFile : 'none in the backup'}`);
  lines.push(`  quarantine     ${manifest.database.kind === 'sqlite' ? targets.database : manifest.database.kind === 'postgres' ? `PostgreSQL, schema ${manifest.database.schema}` : '-'}: ${quarantine}`);
  lines.push(`  outbox         ${targets.outboxDir}: ${restored.outbox} email(s)`);
  lines.push(`  Haraka queue   ${targets.queueDir}: ${restored.queue} message(s)`);
  if (restored.kept > 0) lines.push(`  (${restored.kept} outbox or queue file(s) were there already and were kept)`);
  for (const missing of manifest.notSaved) lines.push(`Not in the backup: ${missing.path}: ${missing.why}.`);
  if (manifest.relayVersion !== relayVersion()) {
    lines.push(`The backup was made by relay ${manifest.relayVersion}; this is ${relayVersion()}. The relay brings the quarantine's tables up to date when it starts.`);
  }
  lines.push('Next:');
  if (process.getuid?.() === 0) {
    lines.push(`  chown -R root:dlp ${targets.configDir} && chmod -R g+rX,g-w,o= ${targets.configDir}`);
    lines.push(`  chown -R dlp:dlp ${targets.dataDir}`);
  }
  lines.push(`  node ${RELAY_BIN} --check --config ${targets.configDir} --data ${targets.dataDir}`);
  lines.push('  then start the relay (systemctl start dlp-relay).');
  return `${lines.join('\n')}\n`;
}
