/**
 * Builds what the DPO's review page shows of a held message, in the inspection process that
 * has the parsed message at hand: the subject and body as text with the findings marked, the
 * attachments as the walker saw them, and each finding with the words around it. The page
 * itself then never parses mail, and never sees the message's HTML.
 */
import type { Finding, Mailbox, NormalisedMessage, TextSource, Verdict } from '../engine/types.js';
import { distinctPeople, personalDataFindings } from '../policy/conditions/personal-data.js';
import type { MarkedText, ReviewDocument, ReviewFinding } from './types.js';

/** More body than a reviewer reads on a page; the .eml download has it all. */
const MAX_BODY_CHARS = 200_000;
const CONTEXT_CHARS = 60;

export function buildReviewDocument(message: NormalisedMessage, verdict: Verdict): ReviewDocument {
  const bodyFrom = message.text.trim() ? 'text' : message.htmlText.trim() ? 'html' : 'none';
  const bodyText = bodyFrom === 'text' ? message.text : bodyFrom === 'html' ? message.htmlText : '';
  return {
    subject: marked(message.subject, verdict.findings, (f) => f.location === 'subject' && f.span?.in === 'subject'),
    headers: [
      { name: 'From', value: mailboxes(message.from) },
      { name: 'To', value: mailboxes(message.to) },
      { name: 'Cc', value: mailboxes(message.cc) },
      { name: 'Date', value: message.headers.find((h) => h.name === 'date')?.value ?? '' },
    ].filter((h) => h.value !== ''),
    body: { from: bodyFrom, ...marked(bodyText, verdict.findings, (f) => f.location === 'body' && f.span?.in === bodyFrom) },
    attachments: message.parts.map((part) => ({
      path: part.path,
      declaredType: part.declaredType,
      trueType: part.trueType,
      size: part.size,
      ...(part.encrypted ? { encrypted: part.encrypted.description } : {}),
      ...(part.unscannable ? { unscannable: part.unscannable.description } : {}),
      ...(part.typeMismatch ? { typeMismatch: part.typeMismatch } : {}),
    })),
    findings: verdict.findings.map((finding) => reviewFinding(finding, message)),
    people: distinctPeople(personalDataFindings(verdict.findings)),
  };
}

function marked(text: string, findings: readonly Finding[], belongs: (f: Finding) => boolean): MarkedText {
  const truncated = text.length > MAX_BODY_CHARS;
  const shown = truncated ? text.slice(0, MAX_BODY_CHARS) : text;
  const spans = findings
    .filter((f) => belongs(f) && f.span!.end <= shown.length)
    .map((f) => ({ start: f.span!.start, end: f.span!.end, kind: f.kind }))
    .sort((a, b) => a.start - b.start || b.end - a.end);
  const marks: MarkedText['marks'] = [];
  for (const span of spans) {
    const last = marks.at(-1);
    if (last && span.start < last.end) continue; // a term inside a marked name is marked already
    marks.push(span);
  }
  return { text: shown, marks, ...(truncated ? { truncated } : {}) };
}

function reviewFinding(finding: Finding, message: NormalisedMessage): ReviewFinding {
  const text = finding.span ? sourceText(finding.location, finding.span.in, message) : undefined;
  const context =
    text !== undefined && finding.span && finding.span.end <= text.length
      ? {
          before: squash(text.slice(Math.max(0, finding.span.start - CONTEXT_CHARS), finding.span.start)),
          match: squash(text.slice(finding.span.start, finding.span.end)),
          after: squash(text.slice(finding.span.end, finding.span.end + CONTEXT_CHARS)),
        }
      : undefined;
  return {
    kind: finding.kind,
    location: finding.location,
    excerpt: finding.excerpt,
    evidence: finding.evidence,
    pupils: finding.pupils?.length ?? 0,
    ...(finding.oneOf ? { oneOf: true } : {}),
    ...(context ? { context } : {}),
  };
}

/** The text a finding's span points into. */
export function sourceText(location: string, source: TextSource, message: NormalisedMessage): string | undefined {
  const path = location.startsWith('attachment:') ? location.slice('attachment:'.length) : undefined;
  switch (source) {
    case 'subject':
      return message.subject;
    case 'text':
      return message.text;
    case 'html':
      return message.htmlText;
    case 'name':
      return path;
    case 'entries':
      return message.parts.find((p) => p.path === path)?.entryNames.join('\n');
    case 'content':
      return message.parts.find((p) => p.path === path)?.text;
  }
}

function squash(text: string): string {
  return text.replace(/\s+/g, ' ');
}

function mailboxes(list: readonly Mailbox[]): string {
  return list.map((m) => (m.name ? `${m.name} <${m.address}>` : m.address)).join(', ');
}
