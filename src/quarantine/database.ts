/**
 * Opens the quarantine database named by a URL: a SQLite file for one relay, or PostgreSQL
 * shared by several relays.
 */
import { mkdirSync } from 'node:fs';
import { dirname, isAbsolute } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { CustomTypesConfig } from 'pg';
import type { QuarantineTables } from './tables.js';

export type DatabaseDialect = 'sqlite' | 'postgres';

export interface OpenedDatabase {
  db: Kysely<QuarantineTables>;
  dialect: DatabaseDialect;
}

const PG_INT8_OID = 20;

// bigint (ids, count(*)) as a number; set on our pool only, not on pg's global parsers.
const bigintAsNumber: CustomTypesConfig = {
  getTypeParser: (oid, format) =>
    oid === PG_INT8_OID && format !== 'binary' ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format),
};

export interface DatabaseOptions {
  /**
   * SQLite: how long a statement waits for another process's write lock before failing
   * (default 5000). better-sqlite3 waits synchronously, blocking the whole event loop.
   */
  sqliteBusyTimeoutMs?: number;
}

/**
 * Opens (without migrating) `sqlite:/absolute/path.sqlite`, `sqlite::memory:`, or
 * `postgres://user:password@host:port/database` (also `postgresql://`). A SQLite file's
 * directory is created. Nothing is connected for PostgreSQL until the first query.
 */
export function openDatabase(url: string, options: DatabaseOptions = {}): OpenedDatabase {
  if (url.startsWith('sqlite:')) return { db: openSqlite(sqlitePath(url), options.sqliteBusyTimeoutMs ?? 5000), dialect: 'sqlite' };
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return { db: openPostgres(url), dialect: 'postgres' };
  throw new Error(
    `quarantine database ${maskDatabaseUrl(url)} is not a URL this relay knows: ` +
      'use sqlite:/absolute/path/quarantine.sqlite, or postgres://user:password@host:5432/database',
  );
}

/** The URL with any password replaced by `***`, for messages and logs. */
export function maskDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'sqlite:') return url;
    if (parsed.password) parsed.password = '***';
    if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***');
    return parsed.toString();
  } catch {
    return url.replace(/(\/\/[^/:@]*:)[^@/]*@/, '$1***@').replace(/(password=)[^&]*/gi, '$1***');
  }
}

function sqlitePath(url: string): string {
  let path = url.slice('sqlite:'.length);
  if (path.startsWith('///')) path = path.slice(2);
  if (path === ':memory:') return path;
  if (!isAbsolute(path)) {
    throw new Error(`quarantine database ${url}: a SQLite path must be absolute, as in sqlite:/var/lib/dlp/quarantine.sqlite`);
  }
  return path;
}

function openSqlite(path: string, busyTimeoutMs: number): Kysely<QuarantineTables> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const database = new Database(path);
  try {
    database.pragma('journal_mode = WAL');
    // FULL: a held message is on disk before the relay tells the sender it was accepted.
    database.pragma('synchronous = FULL');
    database.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
    database.pragma('foreign_keys = ON');
  } catch (error) {
    database.close();
    throw error;
  }
  return new Kysely<QuarantineTables>({ dialect: new SqliteDialect({ database }) });
}

function openPostgres(url: string): Kysely<QuarantineTables> {
  const pool = new pg.Pool({
    connectionString: url,
    max: 5,
    connectionTimeoutMillis: 5000,
    // A query on a connection that has silently stopped (a network partition, a stalled server)
    // fails after this long rather than holding its pool slot until the kernel gives up.
    query_timeout: 10_000,
    // bigint (ids, count(*)) as a number; set on this pool only, not on pg's global parsers.
    types: bigintAsNumber,
  });
  // An idle client losing its connection emits 'error' on the pool, which would otherwise
  // crash the process; the next query reports the problem to its caller instead.
  pool.on('error', () => {});
  // A client lent out for a query has no pool listener: losing its connection mid-query would
  // emit an unhandled 'error' and kill the relay. The query itself still fails (and the pool
  // drops the broken client when it comes back), so this listener only has to exist.
  pool.on('connect', (client) => client.on('error', () => {}));
  return new Kysely<QuarantineTables>({ dialect: new PostgresDialect({ pool }) });
}
