/**
 * The quarantine's tables as Kysely sees them. Both dialects store the same values: times as
 * ISO-8601 text (`toISOString()`, which sorts lexically), booleans as 0/1, content sealed.
 */
import type { Generated } from 'kysely';

export interface QueueItemsTable {
  reference: string;
  status: string;
  monitor: number;
  mail_from: string;
  /** JSON array of envelope recipients. */
  rcpt_to: string;
  /** Rule ids as `,id1,id2,`, so one rule is found with `like '%,id,%'`. */
  rules: string;
  people: number;
  size: number;
  received_at: string;
  decided_at: string | null;
  decided_by: string | null;
  decision_reason: string | null;
  relay: string;
  key_id: string;
  /** Sealed JSON: subject and classified recipients, for the list; null once expired. */
  summary: Buffer | null;
  /** Sealed JSON: rules, recipients, findings, review document; null once expired. */
  details: Buffer | null;
  /** The sealed message; null once expired. */
  raw: Buffer | null;
  purged_at: string | null;
}

export interface QueueNotesTable {
  id: Generated<number>;
  reference: string;
  author: string;
  at: string;
  text: string;
}

/** Append-only: triggers refuse UPDATE and DELETE. */
export interface AuditLogTable {
  id: Generated<number>;
  at: string;
  actor: string;
  ip: string;
  action: string;
  reference: string | null;
  detail: string;
}

export interface ReviewersTable {
  /** Trimmed and lower-cased. */
  username: string;
  display_name: string;
  role: string;
  /** `scrypt$N$r$p$saltB64$hashB64` */
  password_hash: string;
  created_at: string;
  disabled: number;
}

export interface SessionsTable {
  /** SHA-256 hex of the cookie token: the token itself is never stored. */
  token_hash: string;
  username: string;
  csrf_token: string;
  created_at: string;
  expires_at: string;
}

export interface SignInFailuresTable {
  key: string;
  failures: number;
  window_started_at: string;
  locked_until: string | null;
}

/** Small named values: `key_check`, `last_reminder_at`. */
export interface StoreMetaTable {
  key: string;
  value: string;
}

/** DKIM signatures mail has been accepted under (Google Workspace sources): a copy re-sent is refused. */
export interface SpentSignaturesTable {
  /** SHA-256 of the signing domain and the signature. */
  signature_key: string;
  /** ISO time after which the record may go: the signature is too old to be accepted anyway. */
  expires_at: string;
}

export interface QuarantineTables {
  queue_items: QueueItemsTable;
  queue_notes: QueueNotesTable;
  audit_log: AuditLogTable;
  reviewers: ReviewersTable;
  sessions: SessionsTable;
  sign_in_failures: SignInFailuresTable;
  store_meta: StoreMetaTable;
  spent_signatures: SpentSignaturesTable;
}
