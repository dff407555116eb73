/**
 * The quarantine: held messages, the people who review them, and the audit trail of every
 * look and decision. One interface; SQLite and PostgreSQL behind it (./database.ts).
 */
import type { Action, ClassifiedRecipient, Finding, RuleFired } from '../engine/types.js';
import type { SenderNoticeFacts } from '../notify/facts.js';

/**
 * Where a queue item stands. `held` waits for a decision and is never released or deleted by
 * a timer; `releasing` is claimed by one reviewer and being handed to delivery; `monitored`
 * would have been held, but the relay runs in monitor mode and delivered it; `expired` is a
 * decided item whose content the retention period removed (the record and the audit stay).
 */
export const QUEUE_STATUSES = ['held', 'releasing', 'released', 'rejected', 'monitored', 'expired'] as const;
export type QueueStatus = (typeof QUEUE_STATUSES)[number];

export const REVIEWER_ROLES = ['dpo', 'viewer'] as const;
/** `dpo` decides and downloads; `viewer` reads the queue and the audit only. */
export type ReviewerRole = (typeof REVIEWER_ROLES)[number];

/** What a reviewer is shown of one part of the message, with the findings marked in it. */
export interface MarkedText {
  text: string;
  /** Character offsets into `text`, sorted, not overlapping. */
  marks: { start: number; end: number; kind: string }[];
  /** The text was longer and has been cut here. */
  truncated?: boolean;
}

/** One finding as a reviewer sees it: redacted excerpt, and the words around it when known. */
export interface ReviewFinding extends Pick<Finding, 'kind' | 'location' | 'excerpt' | 'evidence'> {
  /** How many roster pupils it refers to (ids are not shown). */
  pupils: number;
  oneOf?: boolean;
  context?: { before: string; match: string; after: string };
}

export interface ReviewAttachment {
  path: string;
  declaredType: string;
  trueType: string;
  size: number;
  encrypted?: string;
  unscannable?: string;
  typeMismatch?: string;
}

/**
 * Everything the review page shows, built in the inspection process when a message is held,
 * so that the reviewer's page never parses mail. Never the message's HTML: text only.
 */
export interface ReviewDocument {
  subject: MarkedText;
  headers: { name: string; value: string }[];
  body: MarkedText & { from: 'text' | 'html' | 'none' };
  attachments: ReviewAttachment[];
  findings: ReviewFinding[];
  /** Distinct people the message is about: roster pupils plus identifiers of nobody on the roster. */
  people: number;
  /** What the sender's email about the DPO's decision needs (absent on items held before there were notices). */
  notice?: SenderNoticeFacts;
}

/** What the relay stores when it holds a message (or, in monitor mode, would have). */
export interface NewQueueItem {
  reference: string;
  monitor: boolean;
  mailFrom: string;
  rcptTo: string[];
  action: Action;
  rules: RuleFired[];
  recipients: Omit<ClassifiedRecipient, 'contactOf'>[];
  findings: Finding[];
  review: ReviewDocument;
  raw: Buffer;
  receivedAt: Date;
  /** The relay host that held it (several relays can share one PostgreSQL queue). */
  relay: string;
}

/** One row of the queue list. Subject and recipients are decrypted for the page. */
export interface QueueEntry {
  reference: string;
  status: QueueStatus;
  monitor: boolean;
  mailFrom: string;
  rcptTo: string[];
  recipientClasses: string[];
  subject: string;
  rules: string[];
  people: number;
  size: number;
  receivedAt: Date;
  decidedAt?: Date;
  decidedBy?: string;
  decisionReason?: string;
  relay: string;
}

/** One queue item in full, for the message page (content gone once expired). */
export interface QueueItem extends QueueEntry {
  ruleDetails: RuleFired[];
  recipients: Omit<ClassifiedRecipient, 'contactOf'>[];
  review?: ReviewDocument;
  notes: Note[];
}

export interface Note {
  author: string;
  at: Date;
  text: string;
}

export interface QueueFilter {
  status?: QueueStatus;
  rule?: string;
  /** Part of the sender's address, case-insensitive. */
  sender?: string;
  /** Held items received before this time only (the overdue ones). */
  receivedBefore?: Date;
  limit?: number;
  offset?: number;
}

export interface Reviewer {
  username: string;
  displayName: string;
  role: ReviewerRole;
  createdAt: Date;
  disabled: boolean;
}

export interface Session {
  username: string;
  role: ReviewerRole;
  displayName: string;
  csrfToken: string;
  expiresAt: Date;
}

/** One line of the audit trail: who did what, to which item, when, from where. */
export interface AuditEntry {
  id: number;
  at: Date;
  actor: string;
  ip: string;
  action: string;
  reference?: string;
  detail: string;
}
export type NewAuditEntry = Omit<AuditEntry, 'id' | 'at'> & { at?: Date };

export interface AuditFilter {
  reference?: string;
  actor?: string;
  limit?: number;
  offset?: number;
}

/** The store could not be reached or refused the write: the relay answers 451 and the sender retries. */
export class QuarantineUnavailableError extends Error {
  override readonly name = 'QuarantineUnavailableError';
}

/** Result of trying to decide an item: only a `held` item can be decided, and only once. */
export type DecisionOutcome = { ok: true; item: QueueItem } | { ok: false; status?: QueueStatus };

/**
 * The quarantine store. Every method is one atomic step; a decision is a compare-and-set on
 * the item's status, so two reviewers (or two relays sharing PostgreSQL) cannot both decide.
 */
export interface QuarantineStore {
  /** Commits a held message durably; resolves only once it is on disk (or in PostgreSQL). */
  hold(item: NewQueueItem): Promise<void>;
  list(filter?: QueueFilter): Promise<{ entries: QueueEntry[]; total: number }>;
  /** How many items per status, plus the held ones received before `overdueBefore`. */
  counts(overdueBefore: Date): Promise<Record<QueueStatus, number> & { overdue: number }>;
  get(reference: string): Promise<QueueItem | undefined>;
  /** The message exactly as received (undefined once expired). */
  raw(reference: string): Promise<Buffer | undefined>;
  /** held → releasing, for one caller only. The caller then delivers and calls `finishRelease` or `abandonRelease`. */
  claimRelease(reference: string, actor: string): Promise<DecisionOutcome>;
  finishRelease(reference: string, actor: string): Promise<void>;
  /** Delivery could not take the message: releasing → held again. */
  abandonRelease(reference: string): Promise<void>;
  /** held → rejected with the reviewer's reason. */
  reject(reference: string, actor: string, reason: string): Promise<DecisionOutcome>;
  addNote(reference: string, author: string, text: string): Promise<boolean>;
  /** Removes the content of items decided before `before` (status becomes `expired`); returns how many. */
  purgeDecided(before: Date): Promise<number>;
  /**
   * Claims a signature for a message being taken (a Google Workspace source's proof), until
   * `expiresAt`: false when another message holds it, or was accepted under it, and its record
   * has not expired. One caller wins, however many relays share the store.
   */
  claimSignature(key: string, expiresAt: Date, now: Date): Promise<boolean>;
  /** Keeps a claimed signature until `expiresAt`: mail was accepted (or refused for good) under it. */
  spendSignature(key: string, expiresAt: Date): Promise<void>;
  /** Gives a claim back: the message was answered 4xx, and its retry carries the same signature. */
  releaseSignature(key: string): Promise<void>;
  /** Removes expired signature records; returns how many. */
  purgeSpentSignatures(now: Date): Promise<number>;
  /** True for exactly one caller per period: the one that should send the overdue reminder. */
  claimReminder(now: Date, every: number): Promise<boolean>;

  audit(entry: NewAuditEntry): Promise<void>;
  auditLog(filter?: AuditFilter): Promise<{ entries: AuditEntry[]; total: number }>;

  addReviewer(reviewer: { username: string; displayName: string; role: ReviewerRole; password: string }): Promise<void>;
  setPassword(username: string, password: string): Promise<boolean>;
  setDisabled(username: string, disabled: boolean): Promise<boolean>;
  removeReviewer(username: string): Promise<boolean>;
  reviewers(): Promise<Reviewer[]>;
  /** The reviewer if the password is right and the account enabled; constant work either way. */
  verifyPassword(username: string, password: string): Promise<Reviewer | undefined>;
  reviewer(username: string): Promise<Reviewer | undefined>;

  /** A new session; returns the cookie value (only its hash is stored). */
  createSession(username: string, ttlMs: number): Promise<{ token: string; session: Session }>;
  session(token: string): Promise<Session | undefined>;
  endSession(token: string): Promise<void>;

  /** Sign-in throttling, shared by every relay on the store. Returns the time the key is locked until, if it is. */
  lockedUntil(key: string, now: Date): Promise<Date | undefined>;
  recordSignInFailure(key: string, now: Date, policy: { maxFailures: number; windowMs: number; lockMs: number }): Promise<void>;
  clearSignInFailures(key: string): Promise<void>;

  close(): Promise<void>;
}
