/**
 * Inputs the fuzz campaigns found (test/fixtures/fuzz/, minimised by fast-check's shrinking,
 * gzipped when large), replayed the way the campaign that found them ran them. Each is named
 * after its bug; test/fixtures/fuzz/SOURCES.md says what each one was.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import AhoCorasick from 'modern-ahocorasick';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../support/paths.js';
import { senderNoticeFacts } from '../../src/notify/facts.js';
import { dictionaryMatches, dictionaryShape } from '../../src/text/dictionary-scan.js';
import { engineWithRoster, STAFF } from '../support/roster.js';
import { fuzzSettings } from './support/campaign.js';
import { expectSpansInside, messageWithText, type DetectorInput } from './support/detector-input.js';
import { envelopeFor, inspectAsRelayDoes, judgeAsRelayDoes } from './support/inspect-as-relay.js';
import { walkOne } from './support/walk-attachment.js';

const engine = engineWithRoster();
const { inputBudgetMs } = fuzzSettings({ runs: 1, seconds: 1 });

function fixture(name: string): Buffer {
  const bytes = readFileSync(join(FIXTURES, 'fuzz', name));
  return name.endsWith('.gz') ? gunzipSync(bytes) : bytes;
}

/** Runs one input and checks its CPU time against the campaigns' per-input budget. */
async function withinBudget<T>(run: () => Promise<T> | T): Promise<T> {
  const started = process.cpuUsage();
  const result = await run();
  const used = process.cpuUsage(started);
  expect((used.user + used.system) / 1000, 'CPU milliseconds for this input').toBeLessThan(inputBudgetMs);
  return result;
}

describe('fuzz regressions', () => {
  it('empty-content-type-in-multipart: a part with an empty Content-Type is read as text/plain, not a TypeError', async () => {
    const raw = fixture('empty-content-type-in-multipart.eml');
    const outcome = await inspectAsRelayDoes(engine, raw, envelopeFor(1));
    expect(outcome.kind).toBe('verdict');
    const message = await engine.parse(raw);
    expect(message.attachments.map((a) => a.contentType)).toEqual(['text/plain']);
  });

  it('grapheme-segmenter-cliff-past-64k-chars: 68,000 characters of CJK and NUL are scanned for names and terms in linear time', async () => {
    const input = JSON.parse(fixture('grapheme-segmenter-cliff-past-64k-chars.json.gz').toString('utf8')) as DetectorInput;
    const message = messageWithText(input);
    const verdict = await withinBudget(() => judgeAsRelayDoes(engine, message, envelopeFor(input.recipients)));
    expectSpansInside(verdict.findings, message);
  });

  it('grapheme-segmenter-cliff-past-64k-chars: a long letter in Cyrillic still finds the pupil it names, where it names her', async () => {
    const letter = `${'Шановні батьки, нагадуємо про шкільну поїздку. '.repeat(2000)}Jane Smith має астму.`;
    const message = messageWithText({ text: letter, places: ['text'], recipients: 1 });
    const verdict = await withinBudget(() => judgeAsRelayDoes(engine, message, envelopeFor(1)));
    const name = verdict.findings.find((f) => f.kind === 'pupil-name');
    expect(name?.span && letter.slice(name.span.start, name.span.end)).toBe('Jane Smith');
  });

  it('astral-text-segmented-grapheme-by-grapheme: 57,000 astral and CJK characters in the body and entry names are scanned without the segmenter', async () => {
    const input = JSON.parse(fixture('astral-text-segmented-grapheme-by-grapheme.json.gz').toString('utf8')) as DetectorInput;
    const message = messageWithText(input);
    expectSpansInside((await withinBudget(() => judgeAsRelayDoes(engine, message, envelopeFor(input.recipients)))).findings, message);
  });

  it('shouted-line-rescanned-per-acronym: 18,675 "SEND" on one line, in the body and an attachment\'s text, are judged in linear time', async () => {
    const input = JSON.parse(fixture('shouted-line-rescanned-per-acronym.json.gz').toString('utf8')) as DetectorInput;
    const message = messageWithText(input);
    expectSpansInside((await withinBudget(() => judgeAsRelayDoes(engine, message, envelopeFor(input.recipients)))).findings, message);
  });

  it('shouted-line-rescanned-per-acronym: three times as many, still in time', async () => {
    const message = messageWithText({ text: 'SEND '.repeat(60_000), places: ['text'], recipients: 1 });
    await withinBudget(() => judgeAsRelayDoes(engine, message, envelopeFor(1)));
  });

  it('shouted-line-rescanned-per-acronym: an acronym on a line in capitals is still not a finding, and one in prose is', async () => {
    const shouted = messageWithText({ text: `${'JANE SMITH PLEASE SEND HER HOME '.repeat(3000)}\nJane Smith is on the SEND register`, places: ['text'], recipients: 1 });
    const verdict = await withinBudget(() => judgeAsRelayDoes(engine, shouted, envelopeFor(1)));
    const terms = verdict.findings.filter((f) => f.kind === 'special-category');
    expect(terms).toHaveLength(1);
    expect(terms[0]!.span!.start).toBeGreaterThan(3000 * 32);
  });

  it('long-attachment-name-copied-per-finding: 100,000 characters of pupils\' names as an attachment\'s name are judged in linear time', async () => {
    const input = JSON.parse(fixture('long-attachment-name-copied-per-finding.json.gz').toString('utf8')) as DetectorInput;
    const message = messageWithText(input);
    expectSpansInside((await withinBudget(() => judgeAsRelayDoes(engine, message, envelopeFor(input.recipients)))).findings, message);
  });

  it('long-attachment-name-copied-per-finding: three times as long, still in time', async () => {
    const message = messageWithText({ text: 'Jane Smith '.repeat(27_000), places: ['attachment name'], recipients: 1 });
    const verdict = await withinBudget(() => judgeAsRelayDoes(engine, message, envelopeFor(1)));
    expect(verdict.findings.map((f) => f.kind)).toContain('pupil-name');
  });

  it('slashes-in-attachment-name-cubic-notice: a UPN and 160 dates as an attachment\'s name make a sender\'s notice in time', async () => {
    const input = JSON.parse(fixture('slashes-in-attachment-name-cubic-notice.json').toString('utf8')) as DetectorInput;
    const message = messageWithText(input);
    await withinBudget(() => {
      const verdict = judgeAsRelayDoes(engine, message, envelopeFor(input.recipients));
      return senderNoticeFacts(message, verdict.findings, STAFF);
    });
  });

  it('slashes-in-attachment-name-cubic-notice: the sender\'s notice names a 10,000-character attachment name full of dates, starred, in time', async () => {
    const message = messageWithText({ text: 'Jane Smith DOB 04/02/2015 '.repeat(400), places: ['attachment name'], recipients: 1 });
    const verdict = await withinBudget(() => judgeAsRelayDoes(engine, message, envelopeFor(1)));
    const shown = Object.values(senderNoticeFacts(message, verdict.findings, STAFF).attachmentNames);
    expect(shown).toHaveLength(1);
    expect(shown[0]).not.toContain('Jane');
  });

  it('ragged-csv-rows-build-an-error-each: 40,000 rows shorter than the header are read in linear time', async () => {
    const bytes = fixture('ragged-csv-rows-build-an-error-each.csv.gz');
    const parts = await withinBudget(() => walkOne(engine.config, 'list.csv', bytes, 'application/octet-stream'));
    expect(parts[0]!.text.split('\n')).toHaveLength(39_603);
  });

  it('prepended-letter-at-window-start: a window that starts after a prepended letter finds what the whole-text scan finds', () => {
    const { patterns, text } = JSON.parse(fixture('prepended-letter-at-window-start.json').toString('utf8')) as { patterns: string[]; text: string };
    const entries = patterns.map((pattern, data) => ({ pattern, data }));
    const matcher = new AhoCorasick(entries);
    const key = (matches: Iterable<{ start: number; end: number; data: number | undefined }>): string[] => [...matches].map((m) => `${m.start}-${m.end}-${m.data}`).sort();
    expect(key(dictionaryMatches(matcher, text, dictionaryShape(entries)))).toEqual(key(matcher.iterate(text)));
  });

  it('deeply-nested-html-quadratic-parse: 650 KB of unclosed tags named .html is read in linear time', async () => {
    const bytes = fixture('deeply-nested-html-quadratic-parse.html.gz');
    const parts = await withinBudget(() => walkOne(engine.config, 'x.html', bytes, ''));
    expect(parts[0]!.trueType).toBe('text');
  });

  it('deeply-nested-html-quadratic-parse: the same nesting as an HTML body still shows its text to the detectors', async () => {
    const body = `<html><body>${'<c t="inlineStr"><is><t>'.repeat(40_000)}Jane Smith</body></html>`;
    const raw = Buffer.from(`From: teacher@example-trust.org.uk\r\nTo: helper@gmail.com\r\nSubject: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n${body}\r\n`);
    const outcome = await withinBudget(() => inspectAsRelayDoes(engine, raw, envelopeFor(1)));
    expect(outcome.kind === 'verdict' && outcome.verdict.findings.map((f) => `${f.kind}@${f.location}`)).toContain('pupil-name@body');
  });
});
