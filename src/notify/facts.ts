/**
 * What the sender's guidance email needs from the message itself, worked out in the
 * inspection process where the parsed message is at hand: the subject with pupils' names
 * and identifiers redacted, the subject to use instead (initials), the Message-ID to thread
 * the notice under, and whether the message was sent by a machine (no notice then).
 */
import { IDENTIFIER_FINDING_KINDS, type Finding, type HeaderLine, type NormalisedMessage } from '../engine/types.js';
import { PERSONAL_DATA_KINDS } from '../policy/conditions/personal-data.js';
import { oneLine } from '../text/one-line.js';
import { redactWords } from '../text/redact.js';

export interface SenderNoticeFacts {
  /** The subject as sent, with pupils' names and identifiers redacted ("Re: J*** S**** - homework"). */
  subject: string;
  /** The subject with each pupil's name as initials and identifiers left out ("Re: J.S. - homework"); set only when it differs. */
  suggestedSubject?: string;
  messageId?: string;
  /** Each attachment location a finding names (`attachment:report.xlsx`) as the sender may see it: words of a name that names a pupil starred. */
  attachmentNames: Record<string, string>;
  /** Why nobody is told about this message (it was sent by a machine), in words for the log; undefined when the sender may be told. */
  automatic?: string;
}

const NAME_KINDS = new Set<string>(['pupil-name']);
const REMOVED_KINDS = new Set<string>([...IDENTIFIER_FINDING_KINDS, 'date-of-birth', 'contact-details']);

/** Longer subjects are cut before they are rewritten: the notice shows a subject, not a document. */
const MAX_SUBJECT_CHARS = 1_000;

export function senderNoticeFacts(message: NormalisedMessage, findings: readonly Finding[], mailFrom: string): SenderNoticeFacts {
  const original = message.subject.length > MAX_SUBJECT_CHARS ? `${message.subject.slice(0, MAX_SUBJECT_CHARS)}…` : message.subject;
  const messageId = header(message.headers, 'message-id')?.trim();
  const automatic = automaticMessage(message.headers, mailFrom);
  const inSubject = findings.filter((f) => f.location === 'subject');
  const spans = everyOccurrence(
    original,
    inSubject.filter((f) => f.span?.in === 'subject' && (NAME_KINDS.has(f.kind) || REMOVED_KINDS.has(f.kind))).map((f) => ({ ...f.span!, kind: f.kind, excerpt: f.excerpt })),
  ).map((span) => withLabel(original, span));
  // Personal data in the subject whose place is unknown, or a password (never placed): every word is starred rather than risk showing it.
  const unplaced = inSubject.some((f) => ((NAME_KINDS.has(f.kind) || REMOVED_KINDS.has(f.kind)) && !f.span) || f.kind === 'password-in-message');
  const facts: SenderNoticeFacts = {
    subject: unplaced ? redactWords(oneLine(original)) : rewrite(original, spans, (s, text) => (NAME_KINDS.has(s.kind) ? redactWords(text) : s.excerpt)),
    attachmentNames: attachmentDisplayNames(findings),
    ...(messageId ? { messageId: oneLine(messageId).slice(0, 998) } : {}),
    ...(automatic ? { automatic } : {}),
  };
  if (spans.length > 0 && !unplaced) {
    const suggested = rewrite(original, spans, (s, text) => (NAME_KINDS.has(s.kind) ? initials(text) : ''));
    if (suggested !== facts.subject) facts.suggestedSubject = suggested;
  }
  return facts;
}

/**
 * The detectors report a name or number once per place it is found in, not once per time:
 * every other occurrence of the same text in the subject is redacted too.
 */
function everyOccurrence(subject: string, spans: SubjectSpan[]): SubjectSpan[] {
  const all = [...spans];
  for (const span of spans) {
    const words = subject.slice(span.start, span.end).split(/\s+/u).filter(Boolean);
    if (words.length === 0) continue;
    // The same words, in any case and with any spacing between them (a double space, a no-break space).
    const pattern = new RegExp(words.map((w) => w.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('\\s+'), 'giu');
    for (const match of subject.matchAll(pattern)) {
      if (match.index !== span.start) all.push({ ...span, start: match.index, end: match.index + match[0].length });
    }
  }
  return all;
}

// The label written before a number or date ("UPN", "DOB:") goes with it: the redacted excerpt names it already.
const LABEL_BEFORE = /(?:\b(?:UPN|ULN|NHS(?:\s*(?:no\.?|number))?|NI(?:\s*(?:no\.?|number))?|national insurance(?:\s*(?:no\.?|number))?|D\.?O\.?B\.?|date of birth|born)\s*[:#.]?\s*)$/i;

function withLabel(subject: string, span: SubjectSpan): SubjectSpan {
  if (!REMOVED_KINDS.has(span.kind)) return span;
  const label = LABEL_BEFORE.exec(subject.slice(0, span.start));
  return label ? { ...span, start: span.start - label[0].length } : span;
}

/** "Jane O'Connor-Smith" → "J.O." : the first letter of the first and last names, as staff write initials ("Smith, Jane" → "J.S."). */
export function initials(name: string): string {
  const comma = name.indexOf(',');
  if (comma > 0) return initials(`${name.slice(comma + 1)} ${name.slice(0, comma)}`);
  const words = name.split(/[\s\u00a0]+/).filter((w) => /\p{L}/u.test(w));
  const letters = (words.length > 2 ? [words[0]!, words.at(-1)!] : words).map((w) => [...w.replace(/^[^\p{L}]+/u, '')][0]!.toUpperCase());
  return letters.map((l) => `${l}.`).join('');
}

type SubjectSpan = { start: number; end: number; kind: string; excerpt: string };

/** The subject with each span replaced, spans inside an earlier one skipped, then tidied to one line. */
function rewrite(subject: string, spans: SubjectSpan[], replace: (span: SubjectSpan, text: string) => string): string {
  const sorted = [...spans].sort((a, b) => a.start - b.start || b.end - a.end);
  let out = '';
  let at = 0;
  for (const span of sorted) {
    if (span.start < at || span.end > subject.length) continue;
    out += subject.slice(at, span.start) + replace(span, subject.slice(span.start, span.end));
    at = span.end;
  }
  out += subject.slice(at);
  // A removed identifier leaves its punctuation behind: "Re: , homework" reads as "Re: homework".
  return oneLine(out)
    .replace(/\(\s*\)|\[\s*\]/g, '')
    .replace(/\s+([,;:.)\]])/g, '$1')
    .replace(/([(\[])\s+/g, '$1')
    .replace(/([-–—,:;])(\s*[-–—,;])+/g, '$1')
    .replace(/\s{2,}/g, ' ')
    .replace(/^[\s,;:\-–—]+|[\s,;:\-–—]+$/g, '')
    .trim();
}

function header(headers: readonly HeaderLine[], name: string): string | undefined {
  return headers.find((h) => h.name === name)?.value;
}

const LIST_HEADERS = ['list-id', 'list-post', 'list-unsubscribe', 'list-help'];
const AUTOREPLY_HEADERS = ['x-autoreply', 'x-autorespond', 'x-auto-reply'];

/**
 * Why a message was sent by a machine, or undefined for one a person sent (RFC 3834 and what
 * mail systems write in practice): no return path, a bounce or receipt, an automatic reply,
 * mailing-list traffic. Nobody is told about those: no mail loops, no backscatter.
 */
export function automaticMessage(headers: readonly HeaderLine[], mailFrom: string): string | undefined {
  if (mailFrom === '') return 'it has no return address (MAIL FROM:<>), as bounces and system messages do';
  if (/^mailer-daemon@/i.test(mailFrom)) return 'it comes from a mailer daemon (a bounce)';
  const autoSubmitted = header(headers, 'auto-submitted')?.trim().toLowerCase();
  if (autoSubmitted && !/^no\b/.test(autoSubmitted)) return `it was sent automatically (Auto-Submitted: ${autoSubmitted.slice(0, 40)})`;
  const precedence = header(headers, 'precedence')?.trim().toLowerCase();
  if (precedence && /^(bulk|list|junk|auto_reply)\b/.test(precedence)) return `it is bulk or list mail (Precedence: ${precedence.slice(0, 20)})`;
  const list = LIST_HEADERS.find((name) => header(headers, name) !== undefined);
  if (list) return `it is mailing-list traffic (${list} header)`;
  const autoreply = AUTOREPLY_HEADERS.find((name) => header(headers, name) !== undefined);
  if (autoreply) return `it is an automatic reply (${autoreply} header)`;
  const suppress = header(headers, 'x-auto-response-suppress')?.toLowerCase() ?? '';
  if (/\b(all|autoreply|oof)\b/.test(suppress)) return 'its sender asked for no automatic replies (X-Auto-Response-Suppress)';
  const contentType = header(headers, 'content-type')?.toLowerCase() ?? '';
  if (/^\s*multipart\/report\b/.test(contentType)) return 'it is a delivery or read report (multipart/report)';
  return undefined;
}

/**
 * The attachment paths the findings name, as the sender may see them: a name in which a
 * pupil's name or an identifier was found has its words starred, its extension kept.
 */
function attachmentDisplayNames(findings: readonly Finding[]): Record<string, string> {
  const personal = findings.filter((f) => f.location.startsWith('attachment:') && PERSONAL_DATA_KINDS.has(f.kind));
  // A name is judged where it was seen: `attachment:a.zip` for a.zip's own name, also when shown as part of `a.zip/b.docx`.
  // Two attachments of one name are told apart as "name (2)": a name that names someone does so in every copy.
  const naming = new Set<string>(personal.filter((f) => f.span?.in === 'name').map((f) => withoutCopyNumber(f.location)));
  // A name inside an archive is seen in the archive's entry list: every name beneath that archive is starred.
  const listing = new Set<string>(personal.filter((f) => f.span?.in === 'entries').map((f) => withoutCopyNumber(f.location)));
  const names: Record<string, string> = {};
  for (const f of findings) {
    if (!f.location.startsWith('attachment:') || f.location in names) continue;
    const segments = f.location.slice('attachment:'.length).split('/');
    if (segments.length > MAX_JUDGED_SEGMENTS) {
      names[f.location] = oneLine(segments.map((segment) => redactFileName(segment)).join('/'));
      continue;
    }
    // Each path is built once, walking down, and whether one above lists names is carried along:
    // an attachment's name can be 100,000 characters with a slash in every date.
    let path = 'attachment:';
    let listedAbove = false;
    const shown = segments.map((segment, i) => {
      path += i === 0 ? segment : `/${segment}`;
      const judged = withoutCopyNumber(path);
      const redact = naming.has(judged) || listedAbove;
      listedAbove ||= listing.has(judged);
      return redact ? redactFileName(segment) : segment;
    });
    names[f.location] = oneLine(shown.join('/'));
  }
  return names;
}

/** Deeper than the walker nests (20 levels of a few folders each): a name full of slashes, shown with every word starred. */
const MAX_JUDGED_SEGMENTS = 100;

const COPY_NUMBER = / \(\d+\)$/;

function withoutCopyNumber(location: string): string {
  return location.replace(COPY_NUMBER, '');
}

/** "John Smith EHCP.docx" → "J*** S**** E***.docx"; "John Smith.docx (2)" → "J*** S****.docx (2)". */
function redactFileName(name: string): string {
  const copy = COPY_NUMBER.exec(name)?.[0] ?? '';
  const base = name.slice(0, name.length - copy.length);
  const dot = base.lastIndexOf('.');
  const extension = dot > 0 && base.length - dot <= 6 ? base.slice(dot) : '';
  return redactWords(base.slice(0, base.length - extension.length)) + extension + copy;
}
