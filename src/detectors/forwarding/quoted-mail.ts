import RE2 from 're2';
import type { ForwardingPatterns, HeaderBlockField } from './markers.js';

/** Earlier mail found inside a message body, and who took part in it. */
export interface QuotedMail {
  /** Evidence ids of lines and HTML that only forwards write. */
  forwardMarkers: string[];
  /** Evidence ids of quoted mail written for replies and forwards alike. */
  quoteMarkers: string[];
  /** Reply attribution lines ("On …, X <x@y> wrote:"), which only say who wrote. */
  attributions: number;
  participants: Participants;
}

export interface Participants {
  addresses: Set<string>;
  /** The words of each quoted name given without an address (Outlook shows only names for colleagues). */
  nameWords: Array<Set<string>>;
}

const MAX_BLOCK_LINES = 14;
// Message content is attacker-controlled: address extraction runs on RE2 (linear time).
const ADDRESS = new RE2('[^\\s<>"\',;:()\\[\\]@]{1,64}@[a-z0-9.-]{1,253}\\.[a-z]{2,24}', 'gi');
const NAMED_ADDRESS = new RE2('[^;,<>\\[\\]]{0,200}(?:<[^<>]{0,400}>|\\[mailto:[^\\]]{0,400}\\])', 'gi');
const ATTRIBUTION = /^On\s.{4,300}\bwrote:$/i;
const FIELD_LINE = /^\*?([\p{L} ]{1,20}?)\*?\s*:\s*(.*)$/u;

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
  const result: QuotedMail = {
    forwardMarkers: [],
    quoteMarkers: [],
    attributions: 0,
    participants: { addresses: new Set(), nameWords: [] },
  };
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
        result.attributions++;
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

function fieldNameLookup(fields: Record<HeaderBlockField, string[]>): Map<string, HeaderBlockField> {
  const lookup = new Map<string, HeaderBlockField>();
  for (const [kind, names] of Object.entries(fields) as Array<[HeaderBlockField, string[]]>) {
    for (const name of names) lookup.set(name.toLowerCase(), kind);
  }
  return lookup;
}

/**
 * A quoted header block is a run of "Field: value" lines (blank lines and wrapped
 * recipient lists allowed) holding at least a from, a sent/date and a subject field.
 */
function readHeaderBlock(
  lines: readonly string[],
  start: number,
  fieldOf: Map<string, HeaderBlockField>,
): { end: number; people: string[] } | undefined {
  const seen = new Set<HeaderBlockField>();
  const people: string[] = [];
  let end = start;
  let lastKind: HeaderBlockField | undefined;
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

/** Adds the addresses of a quoted From/To/Cc value, and the names written without an address. */
function addParticipants(participants: Participants, value: string): void {
  for (const address of value.match(ADDRESS) ?? []) participants.addresses.add(address.toLowerCase());
  const withoutAddresses = value.replace(NAMED_ADDRESS, ';').replace(ADDRESS, ';');
  for (const piece of withoutAddresses.split(';')) {
    const words = nameWords(piece);
    if (words.size > 0) participants.nameWords.push(words);
  }
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

/**
 * Whether a recipient took part in the quoted mail: by address, or (when a display name is
 * given) by a name of two or more words that the quoted mail wrote without an address.
 */
export function tookPart(participants: Participants, address: string, displayName?: string): boolean {
  if (participants.addresses.has(address)) return true;
  if (displayName === undefined) return false;
  const words = [...nameWords(displayName)];
  if (words.length < 2) return false;
  return participants.nameWords.some((set) => words.every((w) => set.has(w)));
}
