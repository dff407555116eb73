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
// Hyphens join a double-barrelled name; en and em dashes ("Jane Smith—see attached") separate words.
const HYPHENS = new Set(['-', '\u2010', '\u2011']);
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

/** Growable parallel buffers for the folded text, the cased text and the origin map. */
class FoldBuffer {
  folded = new Uint16Array(64);
  cased = new Uint16Array(64);
  origin = new Int32Array(65);
  length = 0;
  lastWasSpace = false;

  constructor(expected: number) {
    this.grow(expected + 16);
  }

  private grow(size: number): void {
    if (size <= this.folded.length) return;
    const capacity = Math.max(size, this.folded.length * 2);
    const folded = new Uint16Array(capacity);
    folded.set(this.folded.subarray(0, this.length));
    const cased = new Uint16Array(capacity);
    cased.set(this.cased.subarray(0, this.length));
    const origin = new Int32Array(capacity + 1);
    origin.set(this.origin.subarray(0, this.length));
    [this.folded, this.cased, this.origin] = [folded, cased, origin];
  }

  push(lower: number, withCase: number, at: number): void {
    if (this.length === this.folded.length) this.grow(this.length + 1);
    this.folded[this.length] = lower;
    this.cased[this.length] = withCase;
    this.origin[this.length] = at;
    this.length++;
  }

  pushString(lower: string, withCase: string, at: number): void {
    for (let k = 0; k < lower.length; k++) this.push(lower.charCodeAt(k), withCase.charCodeAt(k), at);
  }

  space(at: number): void {
    if (this.lastWasSpace) return;
    this.push(SPACE, SPACE, at);
    this.lastWasSpace = true;
  }

  token(code: number, at: number): void {
    // Hyphens join a double-barrelled name; any other punctuation is a token of its own.
    if (code === HYPHEN && !this.lastWasSpace) {
      this.push(HYPHEN, HYPHEN, at);
      return;
    }
    this.space(at);
    this.push(code, code, at);
    this.lastWasSpace = false;
    this.space(at);
  }
}

const SPACE = 0x20;
const HYPHEN = 0x2d;
const COMMA = 0x2c;
const FULL_STOP = 0x2e;

// What each ASCII character folds to: a letter or digit (its lower-case code), or one of these.
const SKIP = -1;
const AS_SPACE = -2;
const ASCII_CLASS = new Int16Array(128).map((_, code) => {
  const char = String.fromCharCode(code);
  if (/[A-Za-z0-9]/.test(char)) return char.toLowerCase().charCodeAt(0);
  if (APOSTROPHES.has(char)) return SKIP;
  if (/\s/.test(char) || SPACE_LIKE.has(char) || code < 0x20 || code === 0x7f) return AS_SPACE;
  if (char === '-' || char === ',') return code;
  return FULL_STOP;
});

export function foldText(original: string): FoldedText {
  const out = new FoldBuffer(original.length + 2);
  out.push(SPACE, SPACE, 0);
  out.lastWasSpace = true;

  for (let index = 0; index < original.length; ) {
    const at = index;
    const code = original.charCodeAt(index);
    if (code < 0x80) {
      index++;
      const cls = ASCII_CLASS[code]!;
      if (cls >= 0 && cls !== HYPHEN && cls !== COMMA && cls !== FULL_STOP) {
        out.push(cls, code, at);
        out.lastWasSpace = false;
      } else if (cls === AS_SPACE) out.space(at);
      else if (cls !== SKIP) out.token(cls, at);
      continue;
    }
    // Outside ASCII, iterate by code point so that astral letters stay whole.
    const char = String.fromCodePoint(original.codePointAt(index)!);
    index += char.length;
    // Apostrophes, and combining marks of text in decomposed form, fold to nothing.
    if (APOSTROPHES.has(char) || IS_MARK.test(char)) continue;
    if (LETTER_OR_DIGIT.test(char)) {
      const withCase = foldLetter(char);
      const lower = withCase.toLowerCase();
      // A few letters change length when lower-cased; keep the two strings aligned.
      out.pushString(lower, lower.length === withCase.length ? withCase : lower, at);
      out.lastWasSpace = false;
    } else if (SPACE_LIKE.has(char) || /\s/u.test(char)) {
      out.space(at);
    } else {
      out.token(HYPHENS.has(char) ? HYPHEN : FULL_STOP, at);
    }
  }
  out.space(original.length);
  const decoder = new TextDecoder('utf-16le');
  const text = (codes: Uint16Array): string => decoder.decode(codes.subarray(0, out.length));
  const origin = out.origin.slice(0, out.length + 1);
  origin[out.length] = original.length;
  return { original, folded: text(out.folded), cased: text(out.cased), origin };
}

/** Folds a dictionary entry (a name, a term) exactly as text is folded, without the padding. */
export function foldTerm(term: string): string {
  return foldText(term).folded.trim();
}

/**
 * True when `folded[end]` ends a word: a space or punctuation token, the end of the text,
 * a hyphen ("Jane Smith-EHCP review"; a longer name such as Smith-Jones, when on the roster,
 * is preferred by the caller), or a plural/possessive "s" (Smith's, seizures).
 */
export function endsWord(folded: string, end: number): boolean {
  const next = folded[end];
  if (next === undefined || next === ' ' || next === ',' || next === '.' || next === '-') return true;
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
