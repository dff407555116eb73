import type AhoCorasick from 'modern-ahocorasick';
import type { Match } from 'modern-ahocorasick';

/** Text with any non-ASCII character, past this length, is scanned a window at a time. */
const WINDOW_CHARS = 1024;
const NON_ASCII = /[^\0-\x7f]/;
const NON_ASCII_UNITS = /[^\0-\x7f]/g;
// Folded text and patterns never hold control characters (./fold.ts makes them spaces).
const STAND_IN = '\x01';

/** What the scan needs to know of a dictionary's patterns. */
export interface DictionaryShape {
  /** UTF-16 length of the longest pattern. */
  longestPattern: number;
  /** Every pattern is ASCII (folding leaves Latin names so). */
  asciiOnly: boolean;
}

export function dictionaryShape(patterns: Iterable<{ pattern: string }>): DictionaryShape {
  let longestPattern = 0;
  let asciiOnly = true;
  for (const { pattern } of patterns) {
    longestPattern = Math.max(longestPattern, pattern.length);
    asciiOnly &&= !NON_ASCII.test(pattern);
  }
  return { longestPattern, asciiOnly };
}

/**
 * Every match of `matcher` in `folded` (see ./fold.ts), in linear time. modern-ahocorasick
 * reads ASCII directly but everything after the first other character grapheme by grapheme
 * with Intl.Segmenter, whose cost per grapheme on Node's ICU grows with the length of the
 * string and jumps past 64K UTF-16 units: a 68,000-character letter in Cyrillic took 16 s
 * to scan whole.
 *
 * No pattern of an ASCII dictionary can match across a non-ASCII character, so for one the
 * text is scanned whole with a control character standing in for each non-ASCII UTF-16 unit
 * (offsets stay the same). Otherwise long text is scanned in windows of about WINDOW_CHARS,
 * each starting and ending between two ASCII characters (a grapheme boundary) where there
 * are some, and starting early by the longest pattern so that every match lies whole in the
 * window that reports it: the one its end falls in.
 */
export function* dictionaryMatches<T>(matcher: AhoCorasick<T>, folded: string, shape: DictionaryShape): Generator<Match<T>> {
  if (folded.length <= WINDOW_CHARS || !NON_ASCII.test(folded)) {
    yield* matcher.iterate(folded);
    return;
  }
  if (shape.asciiOnly) {
    yield* matcher.iterate(folded.replace(NON_ASCII_UNITS, STAND_IN));
    return;
  }
  for (let from = 0; from < folded.length; ) {
    const to = windowEnd(folded, from + WINDOW_CHARS);
    const start = windowStart(folded, from - shape.longestPattern);
    for (const match of matcher.iterate(folded.slice(start, to))) {
      // Matches ending at or before `from` belong to the previous window.
      if (start + match.end > from) yield { ...match, start: start + match.start, end: start + match.end };
    }
    from = to;
  }
}

/** The first cut at or after `at`; without one near, `at` itself (not inside a surrogate pair). */
function windowEnd(folded: string, at: number): number {
  if (at >= folded.length) return folded.length;
  for (let i = at; i < folded.length && i - at <= WINDOW_CHARS; i++) if (isCut(folded, i)) return i;
  return outsidePair(folded, at);
}

/** The last cut at or before `at`; without one near, `at` itself (not inside a surrogate pair). */
function windowStart(folded: string, at: number): number {
  if (at <= 0) return 0;
  for (let i = at; i > 0 && at - i <= WINDOW_CHARS; i--) if (isCut(folded, i)) return i;
  return outsidePair(folded, at);
}

/**
 * Between two ASCII characters: a grapheme boundary under every rule (only CR joins what
 * follows it, and folding leaves none), so a window that starts or ends there is segmented
 * as the whole text is. Before a space is not enough: a prepended letter (U+0D4E) joins the
 * space after it.
 */
function isCut(folded: string, at: number): boolean {
  return folded.charCodeAt(at - 1) < 0x80 && folded.charCodeAt(at) < 0x80;
}

function outsidePair(text: string, at: number): number {
  const code = text.charCodeAt(at);
  return code >= 0xdc00 && code <= 0xdfff ? at - 1 : at;
}
