/**
 * What the relay keeps: the key that seals held messages, the data directory, and the
 * quarantine database. The key is never created here: doctor only looks.
 */
import { existsSync, statSync, type Stats } from 'node:fs';
import pg from 'pg';
import type { DlpConfig } from '../../config/load.js';
import { maskDatabaseUrl } from '../../quarantine/database.js';
import { keyFitsQuarantine } from '../../quarantine/key-fit.js';
import { loadOrCreateKey } from '../../quarantine/sealed-box.js';
import { fail, ok, skip, warn, type CheckResult } from './check-result.js';

const POSTGRES_TIMEOUT_MS = 5_000;
const GROUP_OR_OTHER = 0o077;

const modeText = (stats: Stats): string => `0${(stats.mode & 0o777).toString(8)}`;

export function checkKeyFile(config: DlpConfig): CheckResult {
  const check = 'quarantine-key';
  const path = config.quarantine.keyFile;
  const stats = statOf(path);
  if (stats === 'missing') {
    return warn(
      check,
      `${path} does not exist yet: the relay makes a new key there when it first starts`,
      `after the first start, back ${path} up somewhere safe, and give every relay that shares the quarantine database the same file: without it, held messages cannot be opened`,
    );
  }
  if ('error' in stats) return skip(check, `could not look at ${path} (${stats.error}): run dlp doctor as the relay's user, or as root`);
  if (!stats.isFile()) return fail(check, `${path} is not a regular file`, `restore the key file from its backup to ${path}`);
  if (stats.mode & GROUP_OR_OTHER) {
    return fail(check, `${path} has mode ${modeText(stats)}: other users of this machine can read the key that opens held messages`, `chmod 600 ${path}`);
  }
  try {
    loadOrCreateKey(path, { create: false });
  } catch (error) {
    const cause = (error as Error).cause as NodeJS.ErrnoException | undefined;
    if (cause?.code === 'EACCES') return skip(check, `${path} has mode ${modeText(stats)}, and could not be read to check it holds a key (EACCES): run dlp doctor as the relay's user, or as root`);
    return fail(check, (error as Error).message, `restore the key file from its backup (a new key cannot open the messages already held)`);
  }
  return ok(check, `${path} holds a key; mode ${modeText(stats)} (its owner only). Keep a backup of it: held messages cannot be opened without it`);
}

export function checkDataDirectory(config: DlpConfig): CheckResult {
  const check = 'data-directory';
  const dir = config.dataDir;
  const stats = statOf(dir);
  if (stats === 'missing') {
    return warn(check, `${dir} does not exist: the relay makes it when it first starts`, `if the relay has run already, give its data directory with --data (or DLP_DATA_DIR), as the relay's service does`);
  }
  if ('error' in stats) return skip(check, `could not look at ${dir} (${stats.error}): run dlp doctor as the relay's user, or as root`);
  if (!stats.isDirectory()) return fail(check, `${dir} is not a directory`, `move it away, or give the relay's data directory with --data`);
  if (stats.mode & GROUP_OR_OTHER) {
    return warn(check, `${dir} has mode ${modeText(stats)}: other users of this machine can look inside the relay's data (the quarantine, the outbox)`, `chmod 700 ${dir}`);
  }
  return ok(check, `${dir}: mode ${modeText(stats)} (the relay's user only)`);
}

/** The key file opens the quarantine that is there (read only: nothing is made or changed). */
export async function checkKeyFits(config: DlpConfig): Promise<CheckResult> {
  const check = 'quarantine-key-fits';
  const { keyFile, database } = config.quarantine;
  const shown = maskDatabaseUrl(database);
  let key: Buffer;
  try {
    key = loadOrCreateKey(keyFile, { create: false }).key;
  } catch {
    return skip(check, `no key in ${keyFile} to try on the quarantine ${shown} (see quarantine-key above)`);
  }
  try {
    const fit = await keyFitsQuarantine(database, key, POSTGRES_TIMEOUT_MS);
    if (fit === 'new') return ok(check, `the quarantine ${shown} has not been written yet: it will be sealed with ${keyFile}`);
    if (fit === 'fits') return ok(check, `${keyFile} is the key the quarantine ${shown} was written with`);
    return fail(
      check,
      `${keyFile} is not the key the quarantine ${shown} was written with: held messages cannot be opened, and the relay will not start`,
      `put back the key file the quarantine was written with (from the backup, or from the first relay that shares this database)`,
    );
  } catch (error) {
    return skip(check, `could not read the quarantine ${shown} to try the key: ${withoutPassword(error instanceof Error ? error.message : String(error), database)}`);
  }
}

export async function checkDatabase(config: DlpConfig): Promise<CheckResult> {
  const url = config.quarantine.database;
  return url.startsWith('sqlite:') ? checkSqliteFile(url) : checkPostgres(url);
}

function checkSqliteFile(url: string): CheckResult {
  const check = 'database';
  let path = url.slice('sqlite:'.length);
  if (path.startsWith('///')) path = path.slice(2);
  // SQLite's write-ahead log and shared memory hold recent rows too.
  const files = [path, `${path}-wal`, `${path}-shm`].filter((file) => existsSync(file));
  if (files.length === 0) return ok(check, `${path} does not exist yet: the relay makes it when it first starts`);
  const wide = files.filter((file) => {
    const stats = statOf(file);
    return stats !== 'missing' && !('error' in stats) && (stats.mode & GROUP_OR_OTHER) !== 0;
  });
  if (wide.length > 0) {
    const modes = wide.map((file) => `${file} (${modeText(statSync(file))})`).join(', ');
    return warn(check, `other users of this machine can open the quarantine database: ${modes}. Held messages are sealed, but their senders, recipients and subjects are not`, `chmod 600 ${wide.join(' ')}`);
  }
  return ok(check, `${path}: SQLite, mode ${modeText(statSync(path))}`);
}

async function checkPostgres(url: string): Promise<CheckResult> {
  const check = 'database';
  const shown = maskDatabaseUrl(url);
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: POSTGRES_TIMEOUT_MS, query_timeout: POSTGRES_TIMEOUT_MS });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return ok(check, `${shown}: connected, and it answered SELECT 1`);
  } catch (error) {
    return fail(
      check,
      `cannot use the quarantine database ${shown}: ${withoutPassword(error instanceof Error ? error.message : String(error), url)}`,
      "check the host, port, database and user in quarantine.database, that PostgreSQL accepts connections from this machine (listen_addresses, pg_hba.conf), and the password (PGPASSWORD or the relay's ~/.pgpass)",
    );
  } finally {
    await client.end().catch(() => {});
  }
}

/** An error message never shows the password, even if a driver were to quote the URL. */
function withoutPassword(message: string, url: string): string {
  let password = '';
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    // not a URL: nothing to hide beyond what maskDatabaseUrl hides
  }
  const masked = message.split(url).join(maskDatabaseUrl(url));
  return password ? masked.split(password).join('***') : masked;
}

function statOf(path: string): Stats | 'missing' | { error: string } {
  try {
    return statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    return code === 'ENOENT' ? 'missing' : { error: code };
  }
}
