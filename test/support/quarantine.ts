/** Test data for the quarantine store: a realistic held message, and the databases to run it on. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { newReference } from '../../src/engine/reference.js';
import { maskDatabaseUrl } from '../../src/quarantine/database.js';
import type { NewQueueItem } from '../../src/quarantine/types.js';

/** CI's PostgreSQL, and a developer's: the tests use it when it answers (test/support/postgres-global-setup.ts). */
export const DEFAULT_TEST_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';

/**
 * The PostgreSQL the store's contract tests run against; `DLP_TEST_POSTGRES_URL` points them
 * elsewhere. The global setup sets it to a throwaway cluster when nothing answers at the default.
 */
export function testPostgresUrl(): string {
  return process.env.DLP_TEST_POSTGRES_URL ?? DEFAULT_TEST_POSTGRES_URL;
}

/**
 * A message a member of staff sent to a parent's Gmail address and a colleague, naming a
 * pupil and her UPN: held by `personal-data-to-personal-address`. Each call has a new
 * random reference; `overrides` replace whole fields.
 */
export function newQueueItem(overrides: Partial<NewQueueItem> = {}): NewQueueItem {
  const subject = 'Jane Smith – EHCP review';
  const body = 'Hi, notes from Jane Smith\'s EHCP review attached. UPN A123456789012.\n';
  return {
    reference: newReference(),
    monitor: false,
    mailFrom: 's.jones@example-trust.org.uk',
    rcptTo: ['jane.parent@gmail.com', 'head@example-trust.org.uk'],
    action: 'hold',
    rules: [
      {
        id: 'personal-data-to-personal-address',
        action: 'hold',
        reason: 'Personal data about pupils sent to a personal email address',
        clause: 'personal data to a personal address',
        guidance: 'Send it from the school system, or to the parent’s address on the roster.',
        recipients: ['jane.parent@gmail.com'],
      },
    ],
    recipients: [
      {
        address: 'jane.parent@gmail.com',
        domain: 'gmail.com',
        class: 'personal',
        because: 'gmail.com is on the personal-domain list',
        knownContact: false,
      },
      {
        address: 'head@example-trust.org.uk',
        domain: 'example-trust.org.uk',
        class: 'internal',
        because: 'example-trust.org.uk is an internal domain',
        knownContact: false,
      },
    ],
    findings: [
      { kind: 'pupil-name', location: 'subject', excerpt: 'J… S…', evidence: 'roster-full-name', pupils: ['P1001'] },
      { kind: 'upn', location: 'body', excerpt: 'A12…012', evidence: 'upn-check-letter', pupils: ['P1001'] },
    ],
    review: {
      subject: { text: subject, marks: [{ start: 0, end: 10, kind: 'pupil-name' }] },
      headers: [
        { name: 'From', value: 'Sam Jones <s.jones@example-trust.org.uk>' },
        { name: 'To', value: 'jane.parent@gmail.com, head@example-trust.org.uk' },
      ],
      body: { from: 'text', text: body, marks: [{ start: body.indexOf('A123'), end: body.indexOf('A123') + 13, kind: 'upn' }] },
      attachments: [],
      findings: [
        {
          kind: 'pupil-name',
          location: 'subject',
          excerpt: 'J… S…',
          evidence: 'roster-full-name',
          pupils: 1,
          context: { before: '', match: 'Jane Smith', after: ' – EHCP review' },
        },
        { kind: 'upn', location: 'body', excerpt: 'A12…012', evidence: 'upn-check-letter', pupils: 1 },
      ],
      people: 1,
    },
    raw: Buffer.from(
      `From: Sam Jones <s.jones@example-trust.org.uk>\r\nTo: jane.parent@gmail.com, head@example-trust.org.uk\r\n` +
        `Subject: =?utf-8?q?Jane_Smith_=E2=80=93_EHCP_review?=\r\n\r\n${body.replace(/\n/g, '\r\n')}`,
    ),
    receivedAt: new Date('2025-03-03T09:00:00.000Z'),
    relay: 'relay-1.example-trust.org.uk',
    ...overrides,
  };
}

/** A database the contract suite can run against: each `freshUrl()` is empty and separate. */
export interface StoreBackend {
  name: 'SQLite' | 'PostgreSQL';
  /** Throws, saying what is needed, when the database cannot be reached. */
  setUp(): Promise<void>;
  freshUrl(): Promise<string>;
  tearDown(): Promise<void>;
}

/** SQLite: a new file in a temporary directory for each URL. */
export function sqliteBackend(): StoreBackend {
  let directory = '';
  let files = 0;
  return {
    name: 'SQLite',
    setUp: async () => {
      directory = mkdtempSync(join(tmpdir(), 'dlp-quarantine-'));
    },
    freshUrl: async () => `sqlite:${join(directory, `quarantine-${++files}.sqlite`)}`,
    tearDown: async () => {
      if (directory) rmSync(directory, { recursive: true, force: true });
    },
  };
}

/**
 * PostgreSQL at {@link testPostgresUrl}: a new schema for each URL (the URL sets search_path),
 * so runs repeat cleanly and never meet another test file's tables. All dropped at the end.
 */
export function postgresBackend(): StoreBackend {
  const base = testPostgresUrl();
  const admin = new pg.Client({ connectionString: base, connectionTimeoutMillis: 5000 });
  const schemas: string[] = [];
  return {
    name: 'PostgreSQL',
    setUp: async () => {
      try {
        await admin.connect();
      } catch (error) {
        throw new Error(
          `the PostgreSQL quarantine tests need PostgreSQL at ${maskDatabaseUrl(base)} (${errorText(error)}); ` +
            'start it there, or set DLP_TEST_POSTGRES_URL to a database in which the tests may create and drop schemas',
          { cause: error },
        );
      }
    },
    freshUrl: async () => {
      const schema = `dlp_test_${process.pid}_${randomBytes(4).toString('hex')}`;
      await admin.query(`create schema ${schema}`);
      schemas.push(schema);
      const url = new URL(base);
      url.searchParams.set('options', `-c search_path=${schema}`);
      return url.toString();
    },
    tearDown: async () => {
      try {
        for (const schema of schemas) await admin.query(`drop schema if exists ${schema} cascade`);
      } finally {
        await admin.end().catch(() => {});
      }
    },
  };
}

function errorText(error: unknown): string {
  if (error instanceof AggregateError && !error.message) return error.errors.map(errorText).join('; ');
  return error instanceof Error ? error.message : String(error);
}
