/**
 * The quarantine's schema, as numbered migrations kept in code. Never edit a released
 * migration: add the next one.
 */
import { Migrator, sql } from 'kysely';
import type { Kysely, Migration, MigrationResultSet } from 'kysely';
import type { DatabaseDialect } from './database.js';

const MIGRATION_TABLE = 'quarantine_migration';
const MIGRATION_LOCK_TABLE = 'quarantine_migration_lock';
const SQLITE_BUSY_ATTEMPTS = 5;

function migrations(dialect: DatabaseDialect): Record<string, Migration> {
  return {
    '0001-initial': { up: (db) => initialSchema(db, dialect) },
    '0002-spent-signatures': {
      up: async (db) => {
        await db.schema
          .createTable('spent_signatures')
          .addColumn('signature_key', 'text', (column) => column.primaryKey())
          .addColumn('expires_at', 'text', (column) => column.notNull())
          .execute();
        await db.schema.createIndex('spent_signatures_expires_at').on('spent_signatures').column('expires_at').execute();
      },
    },
  };
}

/**
 * Brings the schema up to date; safe to run on every start and from several processes at
 * once. Throws naming the migration that failed.
 */
export async function migrateToLatest(db: Kysely<any>, dialect: DatabaseDialect): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations(dialect) },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
    // SQLite: one transaction of our own round the whole run (see migrateSqlite).
    disableTransactions: dialect === 'sqlite',
    // Kysely looks for its tables in every schema unless told which: name ours.
    ...(dialect === 'postgres' ? { migrationTableSchema: await currentSchema(db) } : {}),
  });
  for (let attempt = 1; ; attempt++) {
    const { error, results } = dialect === 'sqlite' ? await migrateSqlite(db, migrator) : await migrator.migrateToLatest();
    if (!error) return;
    // Another process held the write lock for longer than busy_timeout: wait for it again.
    if (dialect === 'sqlite' && attempt < SQLITE_BUSY_ATTEMPTS && isSqliteBusy(error)) continue;
    const failed = results?.find((result) => result.status === 'Error');
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(
      failed ? `quarantine schema migration ${failed.migrationName} failed: ${message}` : `quarantine schema migration failed: ${message}`,
      { cause: error },
    );
  }
}

/**
 * Kysely's SQLite transaction begins deferred, so two processes migrating one new file both
 * read "nothing done" and the second fails. `begin immediate` takes the write lock first
 * (waiting up to busy_timeout): the second process then finds the work done.
 */
async function migrateSqlite(db: Kysely<any>, migrator: Migrator): Promise<MigrationResultSet> {
  try {
    await sql`begin immediate`.execute(db);
  } catch (error) {
    return { error };
  }
  const outcome = await migrator.migrateToLatest();
  try {
    await sql.raw(outcome.error ? 'rollback' : 'commit').execute(db);
  } catch (error) {
    return outcome.error ? outcome : { error };
  }
  return outcome;
}

async function currentSchema(db: Kysely<any>): Promise<string> {
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
  const schema = rows[0]?.schema;
  if (!schema) throw new Error('the PostgreSQL connection has no current schema: check the search_path of the database user');
  return schema;
}

function isSqliteBusy(error: unknown): boolean {
  return typeof (error as { code?: unknown }).code === 'string' && (error as { code: string }).code.startsWith('SQLITE_BUSY');
}

async function initialSchema(db: Kysely<any>, dialect: DatabaseDialect): Promise<void> {
  const blob = dialect === 'sqlite' ? 'blob' : 'bytea';
  const serialId = (name: string, table: ReturnType<Kysely<any>['schema']['createTable']>) =>
    dialect === 'sqlite'
      ? table.addColumn(name, 'integer', (column) => column.primaryKey().autoIncrement())
      : table.addColumn(name, 'bigserial', (column) => column.primaryKey());

  await db.schema
    .createTable('queue_items')
    .addColumn('reference', 'text', (column) => column.primaryKey())
    .addColumn('status', 'text', (column) => column.notNull())
    .addColumn('monitor', 'integer', (column) => column.notNull())
    .addColumn('mail_from', 'text', (column) => column.notNull())
    .addColumn('rcpt_to', 'text', (column) => column.notNull())
    .addColumn('rules', 'text', (column) => column.notNull())
    .addColumn('people', 'integer', (column) => column.notNull())
    .addColumn('size', 'integer', (column) => column.notNull())
    .addColumn('received_at', 'text', (column) => column.notNull())
    .addColumn('decided_at', 'text')
    .addColumn('decided_by', 'text')
    .addColumn('decision_reason', 'text')
    .addColumn('relay', 'text', (column) => column.notNull())
    .addColumn('key_id', 'text', (column) => column.notNull())
    .addColumn('summary', blob)
    .addColumn('details', blob)
    .addColumn('raw', blob)
    .addColumn('purged_at', 'text')
    .execute();
  await db.schema.createIndex('queue_items_status_received').on('queue_items').columns(['status', 'received_at']).execute();

  await serialId('id', db.schema.createTable('queue_notes'))
    .addColumn('reference', 'text', (column) => column.notNull().references('queue_items.reference'))
    .addColumn('author', 'text', (column) => column.notNull())
    .addColumn('at', 'text', (column) => column.notNull())
    .addColumn('text', 'text', (column) => column.notNull())
    .execute();
  await db.schema.createIndex('queue_notes_reference').on('queue_notes').column('reference').execute();

  await serialId('id', db.schema.createTable('audit_log'))
    .addColumn('at', 'text', (column) => column.notNull())
    .addColumn('actor', 'text', (column) => column.notNull())
    .addColumn('ip', 'text', (column) => column.notNull())
    .addColumn('action', 'text', (column) => column.notNull())
    .addColumn('reference', 'text')
    .addColumn('detail', 'text', (column) => column.notNull())
    .execute();
  await db.schema.createIndex('audit_log_reference').on('audit_log').column('reference').execute();
  await makeAuditLogAppendOnly(db, dialect);

  await db.schema
    .createTable('reviewers')
    .addColumn('username', 'text', (column) => column.primaryKey())
    .addColumn('display_name', 'text', (column) => column.notNull())
    .addColumn('role', 'text', (column) => column.notNull())
    .addColumn('password_hash', 'text', (column) => column.notNull())
    .addColumn('created_at', 'text', (column) => column.notNull())
    .addColumn('disabled', 'integer', (column) => column.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('sessions')
    .addColumn('token_hash', 'text', (column) => column.primaryKey())
    .addColumn('username', 'text', (column) => column.notNull().references('reviewers.username').onDelete('cascade'))
    .addColumn('csrf_token', 'text', (column) => column.notNull())
    .addColumn('created_at', 'text', (column) => column.notNull())
    .addColumn('expires_at', 'text', (column) => column.notNull())
    .execute();
  await db.schema.createIndex('sessions_username').on('sessions').column('username').execute();

  await db.schema
    .createTable('sign_in_failures')
    .addColumn('key', 'text', (column) => column.primaryKey())
    .addColumn('failures', 'integer', (column) => column.notNull())
    .addColumn('window_started_at', 'text', (column) => column.notNull())
    .addColumn('locked_until', 'text')
    .execute();

  await db.schema
    .createTable('store_meta')
    .addColumn('key', 'text', (column) => column.primaryKey())
    .addColumn('value', 'text', (column) => column.notNull())
    .execute();
}

async function makeAuditLogAppendOnly(db: Kysely<any>, dialect: DatabaseDialect): Promise<void> {
  if (dialect === 'sqlite') {
    for (const event of ['update', 'delete']) {
      await sql
        .raw(
          `create trigger audit_log_no_${event} before ${event} on audit_log ` +
            `begin select raise(abort, 'the audit log is append-only'); end`,
        )
        .execute(db);
    }
    return;
  }
  await sql
    .raw(
      `create function audit_log_append_only() returns trigger language plpgsql as $$ ` +
        `begin raise exception 'the audit log is append-only'; end $$`,
    )
    .execute(db);
  await sql
    .raw(`create trigger audit_log_no_change before update or delete on audit_log for each row execute function audit_log_append_only()`)
    .execute(db);
  await sql.raw(`create trigger audit_log_no_truncate before truncate on audit_log for each statement execute function audit_log_append_only()`).execute(db);
}
