/**
 * The data a guidance email is rendered from: what happened to the message, every rule it
 * broke with its clause and guidance (each once, however many times it fired), what was
 * found (redacted, never attachment contents), and per rule the details that make the
 * guidance concrete: the subject to use instead, which attachments, which recipients.
 * Pure: the same model renders the email and the README's examples.
 */
import type { ClassifiedRecipient, Finding, FindingKind, RecipientClass, RuleFired } from '../engine/types.js';
import { PERSONAL_DATA_KINDS } from '../policy/conditions/personal-data.js';
import type { NoticeOutcome } from '../config/vocabulary.js';
import type { SenderNoticeFacts } from './facts.js';

/** What the sender is told about: the relay's verdict (warn, hold, reject) or the DPO's later decision on a held message. */
export { NOTICE_OUTCOMES, type NoticeOutcome } from '../config/vocabulary.js';

export interface NoticeRecipient {
  address: string;
  class: RecipientClass;
  /** On the school's records as a parent/carer contact (of other pupils than the message is about). */
  knownContact: boolean;
}

export interface NoticeRule {
  id: string;
  action: string;
  reason: string;
  clause: string;
  /** How to send it properly; left out when an earlier rule in the same email gave the same advice. */
  guidance?: string;
  /** For the subject-line rules: the subject with initials instead of names. */
  suggestedSubject?: string;
  /** For the attachment rules: the attachments concerned (names redacted where they name a pupil). */
  attachments: string[];
  /** For the recipient rules: the recipients that made it fire. */
  recipients: NoticeRecipient[];
}

export interface NoticeFinding {
  /** Where: "the subject line", "the message", "attachment report.xlsx". */
  where: string;
  /** What, redacted: "a pupil's name (J*** S****)", "UPN A12…". */
  items: string[];
}

export interface NoticeModel {
  outcome: NoticeOutcome;
  reference: string;
  organisation: { name: string; dpoContact?: string; policyUrl?: string };
  /** The sender's address (the envelope's). */
  sender: string;
  /** All the message's recipients. */
  recipients: string[];
  /** The subject, redacted; "(no subject)" when empty. */
  subject: string;
  /** When the relay received it, in UK time ("23 Nov 2026, 09:12"). */
  sentAt: string;
  rules: NoticeRule[];
  found: NoticeFinding[];
  /** Findings beyond those listed. */
  moreFound: number;
  /** hold: how long a review usually takes, in hours. */
  reviewWithinHours?: number;
  /** rejected: the DPO's reason, as they wrote it. */
  dpoReason?: string;
}

export interface NoticeInput {
  outcome: NoticeOutcome;
  reference: string;
  organisation: NoticeModel['organisation'];
  sender: string;
  recipients: string[];
  receivedAt: Date;
  rules: readonly RuleFired[];
  findings: readonly (Pick<Finding, 'kind' | 'location' | 'excerpt'> & { evidence?: string })[];
  classified: readonly Pick<ClassifiedRecipient, 'address' | 'class' | 'knownContact'>[];
  facts: SenderNoticeFacts;
  reviewWithinHours?: number;
  dpoReason?: string;
}

const SUBJECT_RULES = new Set(['pupil-name-in-subject', 'sensitive-subject']);
/** Which findings name the attachments an attachment rule is about. */
const ATTACHMENT_RULES: Record<string, (kind: FindingKind) => boolean> = {
  'unencrypted-sensitive-attachment': (kind) => PERSONAL_DATA_KINDS.has(kind),
  'password-with-attachment': (kind) => kind === 'encrypted-attachment',
  'unscannable-attachment': (kind) => kind === 'unscannable-attachment',
};
const MAX_FOUND_ITEMS = 12;

export function noticeModel(input: NoticeInput): NoticeModel {
  const attachmentNames = new Map(Object.entries(input.facts.attachmentNames));
  const byAddress = new Map(input.classified.map((r) => [r.address.toLowerCase(), r]));
  const seenGuidance = new Set<string>();
  const seenRules = new Set<string>();
  const rules: NoticeRule[] = [];
  for (const rule of [...input.rules].sort((a, b) => severity(b.action) - severity(a.action))) {
    if (seenRules.has(rule.id)) continue;
    seenRules.add(rule.id);
    const guidance = rule.guidance.trim();
    const repeated = seenGuidance.has(guidance);
    seenGuidance.add(guidance);
    const matches = ATTACHMENT_RULES[rule.id];
    rules.push({
      id: rule.id,
      action: rule.action,
      reason: rule.reason,
      clause: rule.clause,
      ...(repeated ? {} : { guidance }),
      ...(SUBJECT_RULES.has(rule.id) && input.facts.suggestedSubject ? { suggestedSubject: input.facts.suggestedSubject } : {}),
      attachments: matches
        ? unique(input.findings.filter((f) => f.location.startsWith('attachment:') && matches(f.kind)).map((f) => attachmentNames.get(f.location) ?? 'an attachment'))
        : [],
      recipients: rule.recipients.map((address) => {
        const known = byAddress.get(address.toLowerCase());
        return { address, class: known?.class ?? 'external', knownContact: known?.knownContact ?? false };
      }),
    });
  }
  const { found, more } = describeFindings(input.findings, attachmentNames);
  return {
    outcome: input.outcome,
    reference: input.reference,
    organisation: input.organisation,
    sender: input.sender,
    recipients: input.recipients,
    subject: input.facts.subject || '(no subject)',
    sentAt: ukTime(input.receivedAt),
    rules,
    found,
    moreFound: more,
    ...(input.reviewWithinHours !== undefined ? { reviewWithinHours: input.reviewWithinHours } : {}),
    ...(input.dpoReason ? { dpoReason: input.dpoReason } : {}),
  };
}

function severity(action: string): number {
  return ['pass', 'warn', 'hold', 'reject'].indexOf(action);
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}

const KIND_WORDS: Record<string, string> = {
  'pupil-name': "a pupil's name",
  upn: 'a UPN',
  uln: 'a ULN',
  'nhs-number': 'an NHS number',
  'ni-number': 'a National Insurance number',
  'date-of-birth': 'a date of birth',
  'special-category': 'sensitive information',
  'contact-details': 'home contact details',
  'encrypted-attachment': 'an encrypted file',
  'unscannable-attachment': 'a file that could not be checked',
  'attachment-type-mismatch': 'a file whose name does not match its contents',
  'password-in-message': 'a password',
  forwarded: 'a forwarded message',
  'auto-forwarded': 'automatic forwarding',
};

/**
 * Findings grouped by where they were seen. Excerpts are already redacted by the detectors;
 * for special-category data only the category is shown ("sensitive information (health)"),
 * never the words the sender wrote, and nothing of an attachment's contents beyond that.
 */
function describeFindings(findings: NoticeInput['findings'], attachmentNames: Map<string, string>): { found: NoticeFinding[]; more: number } {
  const groups = new Map<string, { items: Set<string>; names: string[] }>();
  const omitted = new Set<string>();
  let listed = 0;
  for (const f of findings) {
    const where = whereSeen(f.location, attachmentNames);
    const group = groups.get(where) ?? { items: new Set<string>(), names: [] };
    groups.set(where, group);
    // Names are listed together ("pupils' names (J*** S****, G**** H***)"); everything else item by item.
    const isName = f.kind === 'pupil-name' && !SUMMARY.test(f.excerpt);
    const item = isName ? f.excerpt : describeFinding(f);
    if (isName ? group.names.includes(item) : group.items.has(item)) continue;
    if (listed >= MAX_FOUND_ITEMS) {
      omitted.add(`${where}\0${item}`);
      continue;
    }
    if (isName) group.names.push(item);
    else group.items.add(item);
    listed += 1;
  }
  const found: NoticeFinding[] = [];
  for (const [where, { items, names }] of groups) {
    const named = names.length === 0 ? [] : [names.length === 1 ? `a pupil's name (${names[0]})` : `pupils' names (${names.join(', ')})`];
    if (named.length + items.size > 0) found.push({ where, items: [...named, ...items] });
  }
  return { found, more: omitted.size };
}

const SUMMARY = /^and \d+ more /;

function whereSeen(location: string, attachmentNames: Map<string, string>): string {
  if (location === 'subject') return 'the subject line';
  if (location.startsWith('attachment:')) return `attachment ${attachmentNames.get(location) ?? location.slice('attachment:'.length)}`;
  if (location === 'body') return 'the message';
  if (location === 'headers') return "the message's headers";
  return 'how it was sent';
}

function describeFinding(f: NoticeInput['findings'][number]): string {
  const words = KIND_WORDS[f.kind] ?? f.kind;
  // The detectors' summary line ("and 12 more pupil names like these") is already plain words.
  if (SUMMARY.test(f.excerpt)) return f.excerpt;
  switch (f.kind) {
    case 'special-category':
      return `${words} (${f.excerpt.split(':')[0]!.trim()})`;
    case 'pupil-name':
      return `${words} (${f.excerpt})`;
    case 'unscannable-attachment':
      // The walker's description can name a file inside an archive: the sender gets the reason only.
      return `${words} (${UNSCANNABLE_WHY[f.evidence ?? ''] ?? 'it could not be opened'})`;
    case 'upn':
    case 'uln':
    case 'nhs-number':
    case 'ni-number':
    case 'date-of-birth':
    case 'contact-details':
    case 'password-in-message':
      return f.excerpt; // "UPN A12…", "date of birth 1*/0*/2***", "password W***-H*****-5*"
    default:
      return `${words}: ${f.excerpt}`;
  }
}

const UNSCANNABLE_WHY: Record<string, string> = {
  'over-limit': 'it is over a size, nesting or compression limit',
  damaged: 'it is damaged or not what its name says',
  'unopened-container': 'it is a kind of file that cannot be opened to check',
};

const UK_TIME = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });

function ukTime(date: Date): string {
  return UK_TIME.format(date);
}
