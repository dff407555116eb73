/**
 * Finds pupils' full names from the roster in text: forename (legal or preferred, with or
 * without middle names) and surname (legal or preferred), or "Surname, Forename". One
 * Aho–Corasick automaton holds every name, so a scan costs the same for 200 pupils or
 * 20,000. Text and names are folded alike (case, accents, apostrophes, line breaks).
 */
import AhoCorasick from 'modern-ahocorasick';
import type { RosterPupil } from '../../roster/load-roster.js';
import { dictionaryMatches, dictionaryShape, type DictionaryShape } from '../../text/dictionary-scan.js';
import { endsWord, foldTerm, originalSpan, type FoldedText } from '../../text/fold.js';
import { redactWords } from '../../text/redact.js';

export interface NameHit {
  /** Span in the original text. */
  start: number;
  end: number;
  /** The roster pupils with this name (more than one when pupils share a name). */
  pupils: string[];
  /** Redacted as written: "J*** S****". */
  excerpt: string;
}

interface NameEntry {
  pupils: string[];
  /** Every word of the name is an ordinary word (Grace Hall): match it only when written with capitals. */
  needsCapitals: boolean;
}

export class PupilNameIndex {
  private readonly entries: NameEntry[] = [];
  private readonly matcher: AhoCorasick<number>;
  private readonly shape: DictionaryShape;
  readonly patternCount: number;

  constructor(pupils: Iterable<RosterPupil>, commonWords: ReadonlySet<string>) {
    const byPattern = new Map<string, NameEntry>();
    const add = (pattern: string, pupilId: string): void => {
      let entry = byPattern.get(pattern);
      if (!entry) {
        const words = pattern.split(/[ ,-]+/).filter(Boolean);
        entry = { pupils: [], needsCapitals: words.every((word) => commonWords.has(word)) };
        byPattern.set(pattern, entry);
      }
      if (!entry.pupils.includes(pupilId)) entry.pupils.push(pupilId);
    };
    for (const pupil of pupils) {
      const forenames = pupil.forenames.flatMap((forename) =>
        pupil.middleNames ? [forename, `${forename} ${pupil.middleNames}`] : [forename],
      );
      for (const forename of forenames.flatMap(spellings)) {
        for (const surname of pupil.surnames.flatMap(spellings)) {
          add(` ${forename} ${surname}`, pupil.id);
          add(` ${surname} , ${forename}`, pupil.id);
        }
      }
    }
    const patterns = [...byPattern.entries()].map(([pattern, entry], index) => {
      this.entries.push(entry);
      return { pattern, data: index };
    });
    this.patternCount = patterns.length;
    this.shape = dictionaryShape(patterns);
    this.matcher = new AhoCorasick(patterns);
  }

  find(text: FoldedText): NameHit[] {
    const hits: Array<NameHit & { foldedStart: number; foldedEnd: number }> = [];
    for (const match of dictionaryMatches(this.matcher, text.folded, this.shape)) {
      if (!endsWord(text.folded, match.end)) continue;
      const entry = this.entries[match.data!]!;
      const foldedStart = match.start + 1; // the pattern's leading space is the word boundary
      if (entry.needsCapitals && !writtenAsName(text.cased.slice(foldedStart, match.end))) continue;
      const span = originalSpan(text, foldedStart, match.end);
      hits.push({
        ...span,
        foldedStart,
        foldedEnd: match.end,
        pupils: entry.pupils,
        excerpt: redactWords(text.original.slice(span.start, span.end).replace(/\s+/g, ' ')),
      });
    }
    // "Mary Ann Smith" also contains "Ann Smith": drop a name inside a longer one.
    hits.sort((a, b) => a.foldedStart - b.foldedStart || b.foldedEnd - a.foldedEnd);
    let reach = -1;
    const kept: NameHit[] = [];
    for (const { foldedStart: _start, foldedEnd, ...hit } of hits) {
      if (foldedEnd <= reach) continue;
      reach = foldedEnd;
      kept.push(hit);
    }
    return kept;
  }
}

/** The folded name, plus "Smith Jones" for "Smith-Jones" (people drop the hyphen). */
function spellings(name: string): string[] {
  const folded = foldTerm(name).replace(/ ?\. ?/g, ' ');
  if (!folded) return [];
  return folded.includes('-') ? [folded, folded.replace(/-/g, ' ')] : [folded];
}

/** Each word starts with a capital ("Grace Hall", "GRACE HALL"), as a name is written; not "grace hall". */
function writtenAsName(cased: string): boolean {
  return cased
    .split(/[ ,-]+/)
    .filter(Boolean)
    .every((word) => word[0] !== word[0]!.toLowerCase());
}
