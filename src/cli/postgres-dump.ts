/**
 * The quarantine in PostgreSQL, dumped and restored with PostgreSQL's own tools. Only the
 * relay's schema is touched: the one its connection uses (the URL's `options=-c
 * search_path=…`, else the database user's, usually `public`), never the rest of a database
 * the trust may share with other software.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { maskDatabaseUrl } from '../quarantine/database.js';

export class PostgresToolError extends Error {
  override readonly name = 'PostgresToolError';
}

/**
 * libpq's environment for the relay's URL, so that pg_dump and pg_restore reach the database
 * the relay reaches with no password on their command line (which `ps` would show). Without
 * a password in the URL, PGPASSWORD or ~/.pgpass supply it, as they do for the relay.
 */
export function libpqEnvironment(url: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const parsed = new URL(url);
  const env: NodeJS.ProcessEnv = { ...base };
  const param = (name: string): string | undefined => parsed.searchParams.get(name) ?? undefined;
  const host = param('host') ?? decodeURIComponent(parsed.hostname).replace(/^\[(.*)\]$/, '$1');
  const set = (name: string, value: string | undefined): void => {
    if (value) env[name] = value;
  };
  set('PGHOST', host);
  set('PGPORT', parsed.port || param('port'));
  set('PGUSER', decodeURIComponent(parsed.username) || param('user'));
  set('PGPASSWORD', decodeURIComponent(parsed.password) || param('password'));
  set('PGDATABASE', decodeURIComponent(parsed.pathname.replace(/^\//, '')) || param('dbname'));
  set('PGSSLMODE', param('sslmode') ?? (param('ssl') === 'true' || param('ssl') === '1' ? 'require' : undefined));
  set('PGSSLROOTCERT', param('sslrootcert'));
  set('PGSSLCERT', param('sslcert'));
  set('PGSSLKEY', param('sslkey'));
  set('PGOPTIONS', param('options'));
  env['PGCONNECT_TIMEOUT'] ??= '10';
  return env;
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on('error', () => {}); // a dropped connection fails the query in hand, which reports it
  try {
    await client.connect();
  } catch (error) {
    throw new PostgresToolError(`cannot connect to ${maskDatabaseUrl(url)}: ${describe(error)}`, { cause: error });
  }
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** The schema the relay's tables are in: the first schema on its search path that exists. */
export async function relaySchema(url: string): Promise<string> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ schema: string | null }>('select current_schema() as schema');
    const schema = rows[0]?.schema;
    if (!schema) throw new PostgresToolError(`${maskDatabaseUrl(url)}: no schema on the connection's search path exists, so there is no quarantine to back up`);
    return schema;
  });
}

/** True when the schema already holds held messages or reviewer accounts. */
export async function holdsQuarantine(url: string, schema: string): Promise<boolean> {
  return withClient(url, async (client) => {
    for (const table of ['queue_items', 'reviewers']) {
      const name = `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;
      const { rows } = await client.query<{ exists: string | null }>('select to_regclass($1)::text as exists', [name]);
      if (!rows[0]?.exists) continue;
      const { rowCount } = await client.query(`select 1 from ${name} limit 1`);
      if (rowCount) return true;
    }
    return false;
  });
}

/**
 * `pg_dump --format=custom` of the relay's schema (its tables, sequences, and the function
 * and triggers that keep the audit log append-only) into `file`. One pg_dump run reads one
 * snapshot, so the dump is consistent while the relay writes.
 */
export async function dumpPostgres(url: string, file: string): Promise<{ schema: string }> {
  const schema = await relaySchema(url);
  await runTool('pg_dump', ['--format=custom', '--no-password', `--schema=${quoteIdentifier(schema)}`, `--file=${file}`], libpqEnvironment(url), url);
  return { schema };
}

/**
 * Puts the dump back in `schema` (made if missing), replacing the objects of the same names,
 * in one transaction: either all of the backup is restored or nothing changes.
 */
export async function restorePostgres(url: string, file: string, schema: string): Promise<void> {
  await withClient(url, async (client) => {
    const { rows } = await client.query<{ exists: string | null }>('select to_regnamespace($1)::text as exists', [quoteIdentifier(schema)]);
    if (!rows[0]?.exists) await client.query(`create schema ${quoteIdentifier(schema)}`);
    const current = (await client.query<{ schema: string | null }>('select current_schema() as schema')).rows[0]?.schema;
    if (current !== schema) {
      throw new PostgresToolError(
        `the backup's quarantine is in schema "${schema}", but ${maskDatabaseUrl(url)} works in ${current ? `"${current}"` : 'no schema'}: ` +
          `give the URL options=-c search_path=${schema} (or set the database user's search_path)`,
      );
    }
  });
  const env = libpqEnvironment(url);
  // Everything in the dump but the schema itself: dropping and re-creating a schema needs its
  // owner (for public, the database owner), and would fail on other software's tables in it.
  const listing = await runTool('pg_restore', ['--list', file], env, url);
  const kept = listing.split('\n').filter((line) => !/^\d+; \d+ \d+ (SCHEMA|COMMENT - SCHEMA|ACL - SCHEMA) /.test(line));
  const listDir = mkdtempSync(join(tmpdir(), 'dlp-restore-'));
  try {
    const listFile = join(listDir, 'objects.list');
    writeFileSync(listFile, `${kept.join('\n')}\n`, { mode: 0o600 });
    // Without a database to restore into, pg_restore would only print the SQL. libpq's
    // default database is the one named after the user.
    const database = env['PGDATABASE'] ?? env['PGUSER'] ?? '';
    await runTool(
      'pg_restore',
      ['--clean', '--if-exists', '--no-owner', '--no-privileges', '--single-transaction', '--no-password', `--use-list=${listFile}`, `--dbname=${database}`, file],
      env,
      url,
    );
  } finally {
    rmSync(listDir, { recursive: true, force: true });
  }
}

function runTool(tool: 'pg_dump' | 'pg_restore', args: string[], env: NodeJS.ProcessEnv, url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(tool, args, { env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return reject(
          new PostgresToolError(
            `${tool} is not installed: install Debian's postgresql-client package (apt-get install postgresql-client), ` +
              'of the same major version as the PostgreSQL server or newer',
          ),
        );
      }
      reject(new PostgresToolError(`${tool} failed on ${maskDatabaseUrl(url)}: ${stderr.trim() || error.message}`, { cause: error }));
    });
  });
}

/** A PostgreSQL identifier in double quotes (also right in pg_dump's patterns). */
function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function describe(error: unknown): string {
  if (error instanceof AggregateError && !error.message) return error.errors.map(describe).join('; ');
  return error instanceof Error ? error.message : String(error);
}
