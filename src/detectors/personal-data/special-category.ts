/**
 * Special-category terms (health, SEN, safeguarding, exclusion, social care, free school
 * meals, ethnicity, religion, sex life) from the dictionary in rules/special-category.yaml,
 * matched as whole words and phrases. A term written in capitals there (SEND, LAC, CIN) is
 * an acronym and matches only in capitals, so that "send" and "lac" in prose do not.
 */
import AhoCorasick from 'modern-ahocorasick';
import type { SpecialCategoryTerm } from '../../config/settings.js';
import { dictionaryMatches, dictionaryShape, type DictionaryShape } from '../../text/dictionary-scan.js';
import { endsWord, foldTerm, originalSpan, type FoldedText } from '../../text/fold.js';

export type { SpecialCategoryTerm };

export interface TermHit {
  start: number;
  end: number;
  category: string;
  /** The term as the dictionary has it (not personal data on its own). */
  term: string;
}

export class SpecialCategoryDictionary {
  private readonly entries: Array<SpecialCategoryTerm & { acronym: boolean }> = [];
  private readonly matcher: AhoCorasick<number>;
  private readonly shape: DictionaryShape;

  constructor(terms: readonly SpecialCategoryTerm[]) {
    const seen = new Set<string>();
    const patterns: Array<{ pattern: string; data: number }> = [];
    for (const entry of terms) {
      const folded = foldTerm(entry.term);
      if (!folded || seen.has(folded)) continue;
      seen.add(folded);
      patterns.push({ pattern: ` ${folded}`, data: this.entries.length });
      this.entries.push({ ...entry, acronym: /\p{Lu}/u.test(entry.term) && entry.term === entry.term.toUpperCase() });
    }
    this.shape = dictionaryShape(patterns);
    this.matcher = new AhoCorasick(patterns);
  }

  find(text: FoldedText): TermHit[] {
    const hits: TermHit[] = [];
    const shouting = new ShoutedLines(text.original);
    for (const match of dictionaryMatches(this.matcher, text.folded, this.shape)) {
      if (!endsWord(text.folded, match.end)) continue;
      const entry = this.entries[match.data!]!;
      const foldedStart = match.start + 1;
      const span = originalSpan(text, foldedStart, match.end);
      if (entry.acronym) {
        if (text.cased.slice(foldedStart, match.end) !== text.folded.slice(foldedStart, match.end).toUpperCase()) continue;
        // In a line written all in capitals ("PLEASE SEND HER HOME"), capitals say nothing.
        if (shouting.around(span.start)) continue;
      }
      hits.push({ ...span, category: entry.category, term: entry.term });
    }
    return hits;
  }
}

/**
 * Whether the line around a position has letters but no lower-case ones. Hits come in order,
 * so the last line read is kept: finding each hit's line afresh meant scanning back to the
 * line's start every time, and 20,000 "SEND" on one line took 2.6 s.
 */
class ShoutedLines {
  private start = 0;
  private end = -1;
  private shouted = false;

  constructor(private readonly original: string) {}

  around(at: number): boolean {
    if (at < this.start || at > this.end) {
      this.start = this.original.lastIndexOf('\n', at) + 1;
      const lineEnd = this.original.indexOf('\n', at);
      this.end = lineEnd === -1 ? this.original.length : lineEnd;
      this.shouted = !/\p{Ll}/u.test(this.original.slice(this.start, this.end));
    }
    return this.shouted;
  }
}
