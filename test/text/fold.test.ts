import { describe, expect, it } from 'vitest';
import { endsWord, foldTerm, foldText, originalSpan } from '../../src/text/fold.js';
import { redactWords } from '../../src/text/redact.js';

describe('folding text for matching', () => {
  it.each([
    ['Jane  SMITH', ' jane smith '],
    ['Zoë O’Connor', ' zoe oconnor '],
    ['Zoe\u0308 O`Connor', ' zoe oconnor '],
    ['Smith-Jones, Mary.', ' smith-jones , mary . '],
    ['Jane – Smith', ' jane . smith '],
    ['> Jane\r\n> Smith', ' jane smith '],
    ['Straße Ærø Łódź', ' strasse aero lodz '],
    ['a\u0000b', ' a b '],
  ])('folds %j to %j', (text, folded) => expect(foldText(text).folded).toBe(folded));

  it('keeps the case in a parallel string of the same length', () => {
    const text = foldText('Grace HALL Zoë');
    expect(text.cased).toBe(' Grace HALL Zoe ');
    expect(text.cased.length).toBe(text.folded.length);
  });

  it('maps folded positions back to the original text, astral characters included', () => {
    const original = '😀 Zoë O’Connor!';
    const text = foldText(original);
    const start = text.folded.indexOf('zoe');
    const end = text.folded.indexOf('oconnor') + 'oconnor'.length;
    const span = originalSpan(text, start, end);
    expect(original.slice(span.start, span.end)).toBe('Zoë O’Connor');
  });

  it('ends a word at a space, punctuation, the end, or a plural/possessive s', () => {
    const { folded } = foldText("Smith's Smiths Smithson");
    const at = (word: string): number => folded.indexOf(word) + 'smith'.length;
    expect(endsWord(folded, at('smiths '))).toBe(true);
    expect(endsWord(folded, at('smithson'))).toBe(false);
    expect(foldTerm("  O'Connor ")).toBe('oconnor');
  });

  it('folds a large message in linear time and bounded memory', () => {
    const text = foldText('Zoë O’Connor, café. '.repeat(100_000));
    expect(text.folded.length).toBeGreaterThan(1_900_000);
    expect(text.origin.length).toBe(text.folded.length + 1);
  });
});

describe('redaction', () => {
  it('keeps the first letter of each word', () => {
    expect(redactWords("Jane O'Connor-Smith 04/02/2015")).toBe("J*** O*******-S**** 0*/0*/2***");
  });
});
