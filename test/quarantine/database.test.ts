import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskDatabaseUrl, openDatabase } from '../../src/quarantine/database.js';
import { openQuarantineStore } from '../../src/quarantine/store.js';
import { QuarantineUnavailableError } from '../../src/quarantine/types.js';
import { REPO_ROOT } from '../support/paths.js';
import { postgresBackend, sqliteBackend } from '../support/quarantine.js';

describe('quarantine database URLs', () => {
  it('refuses a URL that is neither SQLite nor PostgreSQL, saying what would do', () => {
    expect(() => openDatabase('mysql://u:pw@db/q')).toThrow(/sqlite:\/absolute\/path.*postgres:\/\/user:password@host/);
    expect(() => openDatabase('mysql://u:pw@db/q')).not.toThrow(/pw/);
    expect(() => openDatabase('sqlite:quarantine.sqlite')).toThrow(/must be absolute/);
  });

  it('masks passwords', () => {
    expect(maskDatabaseUrl('postgres://dlp:s3cret@db.example:5432/quarantine')).toBe('postgres://dlp:***@db.example:5432/quarantine');
    expect(maskDatabaseUrl('postgresql://dlp@db/q?password=s3cret&sslmode=require')).toBe('postgresql://dlp@db/q?password=***&sslmode=require');
    expect(maskDatabaseUrl('sqlite:/var/lib/dlp/quarantine.sqlite')).toBe('sqlite:/var/lib/dlp/quarantine.sqlite');
  });

  it('reports an unreachable PostgreSQL as unavailable, without its password', async () => {
    const opening = openQuarantineStore({ url: 'postgres://dlp:s3cret@127.0.0.1:1/quarantine', key: randomBytes(32) });
    await expect(opening).rejects.toThrow(QuarantineUnavailableError);
    await expect(opening).rejects.toThrow(/postgres:\/\/dlp:\*\*\*@127\.0\.0\.1:1\/quarantine cannot be used: .*ECONNREFUSED/);
    await expect(opening).rejects.not.toThrow(/s3cret/);
  });

  it('opens an in-memory SQLite store', async () => {
    const store = await openQuarantineStore({ url: 'sqlite::memory:', key: randomBytes(32) });
    expect((await store.list()).total).toBe(0);
    await store.close();
  });
});

describe('starting several relays on one new queue', () => {
  const sqlite = sqliteBackend();
  const postgres = postgresBackend();
  beforeAll(async () => {
    await sqlite.setUp();
    await postgres.setUp();
  });
  afterAll(async () => {
    await sqlite.tearDown();
    await postgres.tearDown();
  });

  it('SQLite: waits while another process writes, then migrates', async () => {
    const url = await sqlite.freshUrl();
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const db = new (require('better-sqlite3'))(process.argv[1]);
         db.pragma('journal_mode = WAL');
         db.exec('begin immediate');
         process.stdout.write('locked\\n');
         setTimeout(() => { db.exec('commit'); db.close(); }, 600);`,
        url.slice('sqlite:'.length),
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await once(holder.stdout, 'data');
    const started = Date.now();
    const store = await openQuarantineStore({ url, key: randomBytes(32) });
    expect(Date.now() - started).toBeGreaterThan(300);
    await store.close();
    await once(holder, 'exit');
  });

  it('PostgreSQL: three relays at once all open it', async () => {
    const url = await postgres.freshUrl();
    const key = randomBytes(32);
    const stores = await Promise.all([1, 2, 3].map(() => openQuarantineStore({ url, key })));
    for (const store of stores) await store.close();
  });
});
