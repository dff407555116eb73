import type { ForwardingPatterns } from '../../config/load.js';

/** Earlier mail found inside a message body, and who took part in it. */
export interface QuotedMail {
  /** Evidence ids, in the order found: separators that only forwards write. */
  forwardMarkers: string[];
  /** Evidence ids of quoted mail written for replies and forwards alike. */
  quoteMarkers: string[];
  participants: Participants;
}

export interface Participants {
  addresses: Set<string>;
  /** The words of each quoted From/To/Cc value, for matching display names without addresses. */
  nameWords: Array<Set<string>>;
}

const MAX_BLOCK_LINES = 14;
const EMAIL = /[^\s<>"',;:()[\]]+@[^\s<>"',;:()[\]]+\.[a-z]{2,}/gi;
const ATTRIBUTION = /^On\s.{4,300}\bwrote:$/i;

/** Removes reply quoting (`> > `) and the non-breaking spaces HTML conversion leaves. */
export function unquoteLine(line: string): string {
  return line.replace(/\u00a0/g, ' ').replace(/^(?:\s*>)+/, '').trim();
}

/**
 * Looks for quoted earlier mail in the plain-text forms of a body: forward separators,
 * "Original Message" separators, quoted header blocks (From/Sent/To/Subject) and reply
 * attribution lines. Everything it returns is evidence ids and addresses, never content.
 */
export function findQuotedMail(texts: readonly string[], html: string, patterns: ForwardingPatterns): QuotedMail {
  const result: QuotedMail = { forwardMarkers: [], quoteMarkers: [], participants: { addresses: new Set(), nameWords: [] } };
  const fieldOf = fieldNameLookup(patterns.headerBlockFields);

  for (const text of texts) {
    const lines = text.split(/\r?\n/).map(unquoteLine);
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (!line) continue;
      const separator = patterns.separators.find((p) => p.regex.test(line));
      if (separator) {
        result.forwardMarkers.push(separator.id);
        continue;
      }
      const quoteSeparator = patterns.quoteSeparators.find((p) => p.regex.test(line));
      if (quoteSeparator) {
        result.quoteMarkers.push(quoteSeparator.id);
        continue;
      }
      if (ATTRIBUTION.test(line)) {
        addParticipants(result.participants, line.replace(/\bwrote:$/i, ''));
        continue;
      }
      const block = readHeaderBlock(lines, i, fieldOf);
      if (block) {
        result.quoteMarkers.push('quoted-header-block');
        for (const value of block.people) addParticipants(result.participants, value);
        i = block.end;
      }
    }
  }
  for (const marker of patterns.htmlMarkers) {
    if (html && marker.regex.test(html)) result.forwardMarkers.push(marker.id);
  }
  return result;
}

type FieldKind = keyof ForwardingPatterns['headerBlockFields'];

function fieldNameLookup(fields: ForwardingPatterns['headerBlockFields']): Map<string, FieldKind> {
  const lookup = new Map<string, FieldKind>();
  for (const [kind, names] of Object.entries(fields) as Array<[FieldKind, string[]]>) {
    for (const name of names) lookup.set(name.toLowerCase(), kind);
  }
  return lookup;
}

const FIELD_LINE = /^\*?([\p{L} ]{1,20}?)\*?\s*:\s*(.*)$/u;

/**
 * A quoted header block is a run of "Field: value" lines (blank lines and wrapped
 * recipient lists allowed) holding at least a from, a sent/date and a subject field.
 */
function readHeaderBlock(
  lines: readonly string[],
  start: number,
  fieldOf: Map<string, FieldKind>,
): { end: number; people: string[] } | undefined {
  const seen = new Set<FieldKind>();
  const people: string[] = [];
  let end = start;
  let lastKind: FieldKind | undefined;
  for (let j = start; j < lines.length && j < start + MAX_BLOCK_LINES; j++) {
    const line = lines[j]!;
    if (!line) continue;
    const match = FIELD_LINE.exec(line);
    const kind = match ? fieldOf.get(match[1]!.trim().toLowerCase()) : undefined;
    if (kind && match) {
      if (seen.has(kind)) break; // a second From: starts the next block
      seen.add(kind);
      if (kind === 'from' || kind === 'to' || kind === 'cc') people.push(match[2]!);
      lastKind = kind;
      end = j;
    } else if ((lastKind === 'to' || lastKind === 'cc') && /[@;]/.test(line)) {
      people.push(line); // a long recipient list wrapped onto the next line
      end = j;
    } else {
      break;
    }
  }
  const isBlock = seen.has('from') && seen.has('sent') && seen.has('subject');
  return isBlock ? { end, people } : undefined;
}

function addParticipants(participants: Participants, value: string): void {
  for (const address of value.match(EMAIL) ?? []) participants.addresses.add(address.toLowerCase());
  const words = nameWords(value.replace(EMAIL, ' '));
  if (words.size > 0) participants.nameWords.push(words);
}

export function nameWords(value: string): Set<string> {
  return new Set(
    value
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .split(/[^\p{L}'-]+/u)
      .filter((w) => w.length > 1 && w !== 'mailto'),
  );
}

/** Whether a recipient took part in the quoted mail: by address, or by a display name of two or more words. */
export function tookPart(participants: Participants, address: string, displayName: string): boolean {
  if (participants.addresses.has(address)) return true;
  const words = [...nameWords(displayName)];
  if (words.length < 2) return false;
  return participants.nameWords.some((set) => words.every((w) => set.has(w)));
}
