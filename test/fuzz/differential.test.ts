/**
 * Fuzz against an oracle: two fixes for slow input replaced a library call with code of our
 * own, and each must still give the library's answers. The CSV reader must read well-formed
 * CSV as csv-parse does (and lose no letter of malformed CSV); the windowed dictionary scan
 * must find exactly the matches modern-ahocorasick finds in the whole text. See
 * test/fuzz/support/campaign.ts for FUZZ_SEED, FUZZ_RUNS and FUZZ_SECONDS.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import fc from 'fast-check';
import AhoCorasick from 'modern-ahocorasick';
import { describe, expect, it } from 'vitest';
import { csvAsText } from '../../src/attachments/csv-text.js';
import { dictionaryMatches, dictionaryShape } from '../../src/text/dictionary-scan.js';
import { campaignTimeoutMs, fuzzSettings, runCampaign } from './support/campaign.js';

const csvSettings = fuzzSettings({ runs: 3000, seconds: 5 });
const scanSettings = fuzzSettings({ runs: 80, seconds: 8 });

const cellText = fc.array(fc.constantFrom('a', 'b', ' ', ',', '"', '\n', '\r\n', 'Jane', 'Smith', 'é', "'", '\t'), { maxLength: 6 }).map((parts) => parts.join(''));
const wellFormedCsv = fc
  .record({
    rows: fc.array(fc.array(cellText, { minLength: 1, maxLength: 5 }), { maxLength: 8 }),
    newline: fc.constantFrom('\n', '\r\n'),
    trailingNewline: fc.boolean(),
  })
  .map(({ rows, newline, trailingNewline }) => {
    const quote = (cell: string): string => (/[",\r\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell);
    return rows.map((row) => row.map(quote).join(',')).join(newline) + (trailingNewline ? newline : '');
  });
const anyCsv = fc.array(fc.constantFrom('a', 'b', ' ', ',', '"', '""', '\n', '\r\n', '\r', 'Jane', 'é'), { maxLength: 40 }).map((parts) => parts.join(''));

const CSV_PARSE_OPTIONS = { relax_quotes: true, relax_column_count: true, skip_empty_lines: true } as const;

describe('fuzz: csvAsText against csv-parse', () => {
  it(
    'reads well-formed CSV as csv-parse does, and keeps every letter of any CSV',
    async () => {
      const letters = (text: string): string => text.replace(/[^a-zé]/gi, '');
      await runCampaign(
        'csv-text',
        csvSettings,
        fc.tuple(wellFormedCsv, anyCsv),
        ([wellFormed, any]) => {
          const expected = (parseCsv(wellFormed, CSV_PARSE_OPTIONS) as string[][]).map((row) => row.join('\t')).join('\n');
          expect(csvAsText(wellFormed)).toBe(expected);
          expect(letters(csvAsText(any))).toBe(letters(any));
        },
        { describe: ([wellFormed, any]) => `${wellFormed.length} + ${any.length} chars`, bytesOf: (pair) => JSON.stringify(pair) },
      );
    },
    campaignTimeoutMs(csvSettings),
  );
});

// Folded text is lower case, marks dropped, words apart by single spaces; these words add the
// scripts and clusters that segmentation could split differently (astral, Hangul jamo, a prepended letter).
const word = fc.constantFrom('jane', 'smith', 'zoe', 'a', 'b', ',', '.', '-', 'ж', 'жжж', '😀', '한', '\u1100\u1161\u11a8', '\u0d4e', 'x'.repeat(60), 'ж'.repeat(300), 'a'.repeat(1500));
const foldedText = fc
  .array(fc.tuple(word, fc.constantFrom(' ', ' ', '', '  ')), { minLength: 50, maxLength: 600 })
  .map((pairs) => pairs.map(([w, space]) => `${w}${space}`).join(''));
const patterns = fc.array(
  fc.tuple(fc.constantFrom(' ', ''), fc.array(word, { minLength: 1, maxLength: 3 })).map(([lead, words]) => `${lead}${words.join(' ')}`),
  { minLength: 1, maxLength: 6 },
);

describe('fuzz: the windowed dictionary scan against a whole-text scan', () => {
  it(
    'finds the same matches, at the same places',
    async () => {
      const key = (matches: Iterable<{ start: number; end: number; data: number | undefined }>): string[] =>
        [...matches].map((m) => `${m.start}-${m.end}-${m.data}`).sort();
      await runCampaign(
        'dictionary-scan',
        scanSettings,
        fc.record({ patterns, text: foldedText }),
        ({ patterns: list, text }) => {
          const entries = list.map((pattern, data) => ({ pattern, data }));
          const matcher = new AhoCorasick(entries);
          const shape = dictionaryShape(entries);
          // For an ASCII dictionary the scan reads non-ASCII as stand-ins: a prepended letter then
          // no longer joins the space after it into one grapheme, which would hide a name there.
          const oracleText = shape.asciiOnly ? text.replace(/\u0d4e/g, 'ж') : text;
          expect(key(dictionaryMatches(matcher, text, shape))).toEqual(key(matcher.iterate(oracleText)));
        },
        { describe: ({ text }) => `${text.length} chars`, bytesOf: (input) => JSON.stringify(input) },
      );
    },
    campaignTimeoutMs(scanSettings),
  );
});
