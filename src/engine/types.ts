/** Types shared by the engine, the detectors, the policy and the adapters. */
import { ACTIONS, type Action, type Mode } from '../config/vocabulary.js';

export { ACTIONS, type Action, type Mode } from '../config/vocabulary.js';

export function actionSeverity(action: Action): number {
  return ACTIONS.indexOf(action);
}

export function mostSevere(actions: Iterable<Action>): Action {
  let worst: Action = 'pass';
  for (const action of actions) if (actionSeverity(action) > actionSeverity(worst)) worst = action;
  return worst;
}

/** The SMTP envelope: the addresses the message is really going to, which may differ from its headers. */
export interface Envelope {
  /** MAIL FROM; empty string for the null reverse-path. */
  mailFrom: string;
  rcptTo: string[];
}

export const RECIPIENT_CLASSES = ['internal', 'trusted', 'personal', 'external'] as const;
export type RecipientClass = (typeof RECIPIENT_CLASSES)[number];

export interface ClassifiedRecipient {
  address: string;
  domain: string;
  class: RecipientClass;
  /** Why it has that class, in words a DPO can read ("gmail.com is on the personal-domain list"). */
  because: string;
  /** The roster lists this address as a parent/carer contact of at least one pupil. */
  knownContact: boolean;
  /** The roster pupils this address is a contact of (ids; empty when not a known contact). */
  contactOf: string[];
}

/** Identifiers that pass their check rules. */
export const IDENTIFIER_FINDING_KINDS = ['upn', 'uln', 'nhs-number', 'ni-number'] as const;

/** Findings that are personal data about someone. */
export const PERSONAL_DATA_FINDING_KINDS = [
  'pupil-name',
  ...IDENTIFIER_FINDING_KINDS,
  'date-of-birth',
  'special-category',
  'contact-details',
] as const;

export const FINDING_KINDS = [
  ...PERSONAL_DATA_FINDING_KINDS,
  'encrypted-attachment',
  'unscannable-attachment',
  'attachment-type-mismatch',
  'password-in-message',
  'forwarded',
  'auto-forwarded',
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

/** Where a finding was seen: `subject`, `body`, `headers`, `attachment:<name>` (nested `attachment:<outer>/<inner>`). */
export type FindingLocation = 'subject' | 'body' | 'headers' | 'envelope' | `attachment:${string}`;

/** Which of a location's texts a finding was seen in: its subject, text or HTML body, an attachment's name, entry names or contents. */
export type TextSource = 'subject' | 'text' | 'html' | 'name' | 'entries' | 'content';

export interface Finding {
  kind: FindingKind;
  location: FindingLocation;
  /** What was found, safe to show a reviewer or log: redacted, never message content verbatim when it is personal data. */
  excerpt: string;
  /** Stable name of the evidence that produced it (`gmail-forward-separator`), for tuning and tests. */
  evidence: string;
  /**
   * When set, the finding concerns only these envelope recipients (lower-case addresses):
   * a quoted thread is a forward only for recipients who were not part of it.
   */
  recipients?: string[];
  /** The roster pupils it refers to (ids from the roster, never names). */
  pupils?: string[];
  /** `pupils` share the name that was found: the finding is about one of them, not all. */
  oneOf?: boolean;
  /**
   * For identifiers of nobody on the roster: keys of their values, keyed afresh for each
   * message, so that within the message the same number twice counts as one person and two
   * numbers as two. Never the values, and not comparable between messages.
   */
  identifiers?: string[];
  /** Where in that text it was seen (character offsets), so a reviewer can be shown it in context. */
  span?: { in: TextSource; start: number; end: number };
}

/** An attachment, or a file inside one, as the attachment walker opened it. */
export interface ExtractedPart {
  /** `outer.zip/inner.docx`, as shown after `attachment:`; a repeated name gets " (2)". */
  path: string;
  /** 0 for the message's own attachments, 1 inside them, and so on. */
  depth: number;
  /** What the bytes are (file-type's extension, `text` or `unknown`). */
  trueType: string;
  /** The type the message declared, or '' inside an archive. */
  declaredType: string;
  size: number;
  /** Text a reader would see; '' when there is none or it could not be read. */
  text: string;
  /** Names of entries (an encrypted zip still shows them): searched for pupil names too. */
  entryNames: string[];
  /** When a password is needed to open it: how it is encrypted, and the evidence id for the finding. */
  encrypted?: { description: string; evidence: string };
  /** Why it could not be inspected: damage, a limit, or a container that is not opened. */
  unscannable?: { description: string; evidence: 'over-limit' | 'damaged' | 'unopened-container' };
  /** The name or declared type says one thing and the bytes another. */
  typeMismatch?: string;
}

export interface AttachmentSummary {
  filename: string;
  contentType: string;
  size: number;
  /** An attached message (message/rfc822, or a file named .eml). */
  isMessage: boolean;
  content: Buffer;
}

export interface HeaderLine {
  /** Lower-case header name. */
  name: string;
  /** Unfolded, undecoded value. */
  value: string;
}

/** An address from a header, lower-cased, with its display name ('' when none). */
export interface Mailbox {
  address: string;
  name: string;
}

/** A parsed message in the shape every detector reads. */
export interface NormalisedMessage {
  headers: HeaderLine[];
  subject: string;
  from: Mailbox[];
  to: Mailbox[];
  cc: Mailbox[];
  bcc: Mailbox[];
  /** The text/plain parts. */
  text: string;
  /** The text/html parts as sent: read as data, never rendered. */
  html: string;
  /** The HTML parts as plain text, so detectors see what a reader sees even when the text part is thin. */
  htmlText: string;
  attachments: AttachmentSummary[];
  /** Every attachment opened as what it really is, archives and attached messages walked (see src/attachments). */
  parts: ExtractedPart[];
  size: number;
  /** Why parsers may split the message differently (a multipart naming two boundaries, or none); absent when they may not. */
  ambiguousStructure?: string;
}

export interface RuleFired {
  id: string;
  action: Action;
  reason: string;
  clause: string;
  guidance: string;
  /** Envelope recipients that made the rule fire. */
  recipients: string[];
}

export interface Verdict {
  reference: string;
  /** The most severe action of the rules that fired, as policy says; in monitor mode it is recorded, not enforced. */
  action: Action;
  mode: Mode;
  rules: RuleFired[];
  findings: Finding[];
  recipients: ClassifiedRecipient[];
  timings: { parseMs: number; detectMs: number; totalMs: number };
}
