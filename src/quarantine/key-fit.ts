/**
 * Whether a key file opens an existing quarantine, read without changing anything (no file
 * made, no schema migrated, no connection pool): for the start-up check and `dlp doctor`.
 * A relay with the wrong key could hold nothing and release nothing; better it does not start.
 */
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import pg from 'pg';
import { keyCheckValue } from './store.js';

/** `new`: no quarantine there yet (the key becomes its key); `fits`; `mismatch`. */
export type KeyFit = 'new' | 'fits' | 'mismatch';

export async function keyFitsQuarantine(url: string, key: Buffer, timeoutMs = 5_000): Promise<KeyFit> {
  const stored = url.startsWith('sqlite:') ? storedCheckSqlite(url.slice('sqlite:'.length)) : await storedCheckPostgres(url, timeoutMs);
  if (stored === undefined) return 'new';
  return stored === keyCheckValue(key) ? 'fits' : 'mismatch';
}

function storedCheckSqlite(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  const db = new Database(path, { readonly: true, fileMustExist: true, timeout: 2_000 });
  try {
    const table = db.prepare("select name from sqlite_master where type = 'table' and name = 'store_meta'").get();
    if (!table) return undefined;
    const row = db.prepare("select value from store_meta where key = 'key_check'").get() as { value: string } | undefined;
    return row?.value;
  } finally {
    db.close();
  }
}

async function storedCheckPostgres(url: string, timeoutMs: number): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const result = await client.query<{ value: string }>("select value from store_meta where key = 'key_check'");
    return result.rows[0]?.value;
  } catch (error) {
    // 42P01: no such table, so no quarantine has been made in this database (schema) yet.
    if ((error as { code?: string }).code === '42P01') return undefined;
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
}
