/**
 * Folds text for dictionary matching: lower case, accents removed (Zoë = Zoe), apostrophes
 * dropped (O'Connor = O’Connor = OConnor), every run of white space, line breaks and quote
 * markers one space, and other punctuation a token of its own, so that a name split by a
 * line break or an HTML tag still reads as one name while "Smith. Jane" does not.
 *
 * The folded text keeps a map back to the original, so a match can be checked for
 * capitals and shown to a reviewer (redacted) as it was written.
 */
export interface FoldedText {
  /** The original text. */
  readonly original: string;
  /** Lower case, folded; begins and ends with a space. */
  readonly folded: string;
  /** As `folded` but with the original case, for telling "Grace Hall" from "grace hall". */
  readonly cased: string;
  /** For each index in `folded`, the index in `original` it came from. One longer than `folded`. */
  readonly origin: Int32Array;
}

// Letters that Unicode decomposition does not split into a base letter and a mark.
const SPECIAL_LETTERS: Record<string, string> = {
  ß: 'ss', ẞ: 'SS', æ: 'ae', Æ: 'AE', œ: 'oe', Œ: 'OE', ø: 'o', Ø: 'O', ł: 'l', Ł: 'L',
  đ: 'd', Đ: 'D', ð: 'd', Ð: 'D', þ: 'th', Þ: 'TH', ı: 'i',
};

const APOSTROPHES = new Set(["'", '\u2019', '\u2018', '\u02bc', '\u0060', '\u00b4', '\u2032']);
const HYPHENS = new Set(['-', '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2212']);
// Quote markers and bullets read as white space: "> Jane\n> Smith" is still Jane Smith.
const SPACE_LIKE = new Set(['>', '|', '*', '_', '"', '\u201c', '\u201d', '\u00ab', '\u00bb', '\u2022', '\u00b7', '\u00a0']);

const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
const COMBINING_MARK = /\p{M}/gu;
const IS_MARK = /^\p{M}$/u;

/** Folds one character that is a letter or digit, keeping its case. */
function foldLetter(char: string): string {
  const special = SPECIAL_LETTERS[char];
  if (special !== undefined) return special;
  if (char.charCodeAt(0) < 0x80) return char;
  return char.normalize('NFKD').replace(COMBINING_MARK, '');
}

export function foldText(original: string): FoldedText {
  const folded: string[] = [' '];
  const cased: string[] = [' '];
  const origin: number[] = [0];
  let lastWasSpace = true;

  const push = (lower: string, withCase: string, at: number): void => {
    for (let k = 0; k < lower.length; k++) {
      folded.push(lower[k]!);
      cased.push(withCase[k] ?? lower[k]!);
      origin.push(at);
    }
  };
  const space = (at: number): void => {
    if (lastWasSpace) return;
    push(' ', ' ', at);
    lastWasSpace = true;
  };

  // Iterate by code point so that astral letters stay whole.
  let index = 0;
  for (const char of original) {
    const at = index;
    index += char.length;
    // Apostrophes, and combining marks of text in decomposed form, fold to nothing.
    if (APOSTROPHES.has(char) || IS_MARK.test(char)) continue;
    if (LETTER_OR_DIGIT.test(char)) {
      const withCase = foldLetter(char);
      const lower = withCase.toLowerCase();
      // A few letters change length when lower-cased; keep the two strings aligned.
      push(lower, lower.length === withCase.length ? withCase : lower, at);
      lastWasSpace = false;
    } else if (SPACE_LIKE.has(char) || /\s/u.test(char)) {
      space(at);
    } else {
      // Hyphens join a double-barrelled name; any other punctuation is a token of its own.
      const token = HYPHENS.has(char) ? '-' : char === ',' ? ',' : '.';
      if (token === '-' && !lastWasSpace) {
        push('-', '-', at);
        continue;
      }
      space(at);
      push(token, token, at);
      lastWasSpace = false;
      space(at);
    }
  }
  space(index);
  origin.push(index);
  return { original, folded: folded.join(''), cased: cased.join(''), origin: Int32Array.from(origin) };
}

/** Folds a dictionary entry (a name, a term) exactly as text is folded, without the padding. */
export function foldTerm(term: string): string {
  return foldText(term).folded.trim();
}

/**
 * True when `folded[end]` ends a word: a space or punctuation token, the end of the text,
 * or a plural/possessive "s" (Smith's, Smiths', allergies are matched by "allergie"+"s").
 */
export function endsWord(folded: string, end: number): boolean {
  const next = folded[end];
  if (next === undefined || next === ' ' || next === ',' || next === '.') return true;
  if (next === 's') {
    const after = folded[end + 1];
    return after === undefined || after === ' ' || after === ',' || after === '.';
  }
  return false;
}

/** The original text behind folded[start, end). */
export function originalSpan(text: FoldedText, start: number, end: number): { start: number; end: number } {
  const from = text.origin[start] ?? 0;
  // origin[end - 1] is the last character's start; take the whole of that character.
  const lastStart = text.origin[Math.max(start, end - 1)] ?? from;
  const lastChar = text.original.codePointAt(lastStart);
  const to = lastStart + (lastChar !== undefined && lastChar > 0xffff ? 2 : 1);
  return { start: from, end: Math.min(to, text.original.length) };
}
