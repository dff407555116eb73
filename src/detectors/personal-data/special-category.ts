/**
 * Special-category terms (health, SEN, safeguarding, exclusion, social care, free school
 * meals, ethnicity, religion, sex life) from the dictionary in rules/special-category.yaml,
 * matched as whole words and phrases. A term written in capitals there (SEND, LAC, CIN) is
 * an acronym and matches only in capitals, so that "send" and "lac" in prose do not.
 */
import AhoCorasick from 'modern-ahocorasick';
import { endsWord, foldTerm, originalSpan, type FoldedText } from '../../text/fold.js';

export interface SpecialCategoryTerm {
  category: string;
  term: string;
}

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
    this.matcher = new AhoCorasick(patterns);
  }

  find(text: FoldedText): TermHit[] {
    const hits: TermHit[] = [];
    const shouting = new Map<number, boolean>();
    for (const match of this.matcher.iterate(text.folded)) {
      if (!endsWord(text.folded, match.end)) continue;
      const entry = this.entries[match.data!]!;
      const foldedStart = match.start + 1;
      const span = originalSpan(text, foldedStart, match.end);
      if (entry.acronym) {
        if (text.cased.slice(foldedStart, match.end) !== text.folded.slice(foldedStart, match.end).toUpperCase()) continue;
        // In a line written all in capitals ("PLEASE SEND HER HOME"), capitals say nothing.
        if (isShouted(text.original, span.start, shouting)) continue;
      }
      hits.push({ ...span, category: entry.category, term: entry.term });
    }
    return hits;
  }
}

/** The line around `at` has letters but no lower-case ones (memoised per line). */
function isShouted(original: string, at: number, memo: Map<number, boolean>): boolean {
  const lineStart = original.lastIndexOf('\n', at) + 1;
  let shouted = memo.get(lineStart);
  if (shouted === undefined) {
    const lineEnd = original.indexOf('\n', at);
    const line = original.slice(lineStart, lineEnd === -1 ? undefined : lineEnd);
    shouted = !/\p{Ll}/u.test(line);
    memo.set(lineStart, shouted);
  }
  return shouted;
}
