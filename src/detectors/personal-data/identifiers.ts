/**
 * UK identifiers in text: UPN, ULN, NHS number, National Insurance number. A candidate is a
 * finding only when it passes its check rule (src/identifiers/checks.ts). Ten-digit numbers
 * are also order numbers, timestamps and phone numbers, and about one in eleven passes
 * each mod-11 check by chance, so a ULN or NHS number also needs its name nearby ("ULN",
 * "NHS no") or, for NHS numbers, the NHS's own 3-3-4 spacing.
 */
import { isValidNhsNumber, isValidNino, isValidUln, isValidUpn } from '../../identifiers/checks.js';
import { redactIdentifier } from '../../text/redact.js';

export type IdentifierKind = 'upn' | 'uln' | 'nhs-number' | 'ni-number';

export interface IdentifierHit {
  kind: IdentifierKind;
  start: number;
  end: number;
  /** Upper case, no spaces: for looking up the roster and counting distinct people. Never shown or logged. */
  compact: string;
  excerpt: string;
}

const LABELS: Record<IdentifierKind, string> = { upn: 'UPN', uln: 'ULN', 'nhs-number': 'NHS no.', 'ni-number': 'NI no.' };

// How far before a number its name may be written: "ULN: 1234567899", "NHS number for Jane is 943 476 5919".
const CONTEXT_CHARS = 60;
const ULN_CONTEXT = /\b(?:ULN|unique learner|learner (?:number|no|ref)|LRS|PLR)\b/i;
const NHS_CONTEXT = /\b(?:NHS|CHI|patient|hospital|GP|health)\b/i;
const NINO_CONTEXT = /\b(?:NI|NINO|national insurance|insurance (?:no|number))\b/i;

// A UPN followed by "@" is a Microsoft 365 "user principal name", which is an email address.
const UPN_CANDIDATE = /(?<![\p{L}\p{N}])[A-Za-z]\d{11}[0-9A-Za-z](?![\p{L}\p{N}@])/gu;
const TEN_DIGITS = /(?<![\p{L}\p{N}]|\d[ -])(\d{3})([ -]?)(\d{3})\2(\d{4})(?![\p{L}\p{N}]|[ -]\d)/gu;
const NINO_CANDIDATE = /(?<![\p{L}\p{N}])([A-Za-z]{2}) ?(\d{2}) ?(\d{2}) ?(\d{2}) ?([A-Da-d])(?![\p{L}\p{N}])/gu;

export function findIdentifiers(text: string): IdentifierHit[] {
  const hits: IdentifierHit[] = [];
  const hit = (kind: IdentifierKind, match: RegExpExecArray, compact: string): void => {
    hits.push({ kind, start: match.index, end: match.index + match[0].length, compact, excerpt: redactIdentifier(LABELS[kind], compact) });
  };
  const before = (match: RegExpExecArray): string => text.slice(Math.max(0, match.index - CONTEXT_CHARS), match.index);

  for (const match of text.matchAll(UPN_CANDIDATE)) {
    const compact = match[0].toUpperCase();
    if (isValidUpn(compact)) hit('upn', match, compact);
  }
  for (const match of text.matchAll(TEN_DIGITS)) {
    const compact = `${match[1]}${match[3]}${match[4]}`;
    const nhsSpacing = match[2] === ' ';
    if (isValidNhsNumber(compact) && (nhsSpacing || NHS_CONTEXT.test(before(match)))) hit('nhs-number', match, compact);
    else if (isValidUln(compact) && ULN_CONTEXT.test(before(match))) hit('uln', match, compact);
  }
  for (const match of text.matchAll(NINO_CANDIDATE)) {
    const compact = `${match[1]}${match[2]}${match[3]}${match[4]}${match[5]}`;
    const upper = compact.toUpperCase();
    // Lower-case letters are more often a reference code; take them only where the number is named.
    if (isValidNino(upper) && (compact === upper || NINO_CONTEXT.test(before(match)))) hit('ni-number', match, upper);
  }
  return hits.sort((a, b) => a.start - b.start);
}
