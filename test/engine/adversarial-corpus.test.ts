import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import RE2 from 're2';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { InspectionEngine } from '../../src/engine/inspect.js';
import { MessageLimitError, parsingLimitOf } from '../../src/engine/normalise.js';
import type { Envelope, Verdict } from '../../src/engine/types.js';
import {
  BUILT_IN_STRESS,
  adversarialCorpus,
  builtInStressMessage,
  configuredPatterns,
  patternStressCases,
  type CorpusCase,
} from '../support/adversarial-corpus.js';
import { configDirWith } from '../support/config.js';
import { SHIPPED_CONFIG_DIR } from '../support/paths.js';

const today = (): Date => new Date('2026-11-23T10:00:00Z');
// The configuration as shipped: every verdict below is what a trust gets out of the box.
const shipped = new InspectionEngine(loadConfig(SHIPPED_CONFIG_DIR), { today });

// The shipped configuration plus separators a trust might add, one of them the textbook
// exponential-backtracking pattern: RE2 must make it as safe as the others.
const TRUST_PATTERNS = `
forwarding:
  extra_separators:
    - id: german-forward-line
      pattern: '^-{2,}\\s*Weitergeleitete Nachricht\\s*-{2,}'
    - id: nested-quantifier
      pattern: '^(a+)+$'
    - id: words-before-colon
      pattern: '(\\w+\\s?)+:$'
`;
const withTrustPatterns = loadConfig(configDirWith(`${readFileSync(join(SHIPPED_CONFIG_DIR, 'dlp.yaml'), 'utf8')}${TRUST_PATTERNS}`));
const customised = new InspectionEngine(withTrustPatterns, { today });

const corpus = adversarialCorpus();

async function outcome(engine: InspectionEngine, raw: Buffer, envelope: Envelope): Promise<Verdict | Error> {
  return engine.inspect(raw, envelope).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
}

/** The fastest of `runs` timings of `work`, in ms: the least disturbed by other processes on the machine. */
async function fastest(runs: number, work: () => unknown): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await work();
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

/**
 * Four times the input should take about four times as long; sixteen times would be
 * quadratic. Asserted loosely (other tests share the 2 cores), and a few ms are noise.
 */
function expectLinear(small: number, large: number, floorMs: number): void {
  expect(large, `4x the input took ${large.toFixed(1)} ms against ${small.toFixed(1)} ms`).toBeLessThan(Math.max(small * 10, floorMs));
}

describe('adversarial corpus: every case through the engine, in bounded time', () => {
  it('is generated the same on every run', () => {
    const digest = (cases: CorpusCase[]) => cases.map((c) => `${c.name}:${createHash('sha256').update(c.raw).digest('hex')}`);
    expect(digest(adversarialCorpus())).toEqual(digest(corpus));
    expect(new Set(corpus.map((c) => c.name)).size).toBe(corpus.length);
  });

  it.each(corpus.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const started = performance.now();
    const result = await outcome(shipped, c.raw, c.envelope);
    const elapsed = performance.now() - started;

    if (c.expected.kind === 'over-limit') {
      // A clear, permanent refusal the relay turns into 554, never a crash or a verdict on half a message.
      expect(result).toBeInstanceOf(MessageLimitError);
      expect(parsingLimitOf(result)).toMatch(/more than 1000 MIME parts, or a header block over 1 MB/);
    } else {
      if (result instanceof Error) throw result;
      expect({ action: result.action, rules: result.rules.map((r) => r.id).sort() }).toEqual({ action: c.expected.action, rules: [...c.expected.rules].sort() });
      if (c.expected.seenIn) {
        expect(result.findings.filter((f) => f.kind === 'nhs-number').map((f) => f.location)).toContain(c.expected.seenIn);
      }
    }
    expect(elapsed).toBeLessThan(c.withinMs);
  });
});

describe('every configured pattern runs on RE2, in linear time', () => {
  const configured = configuredPatterns(withTrustPatterns.forwarding);
  const stress = patternStressCases(withTrustPatterns.forwarding);

  it('compiles every pattern of rules/forwarding.yaml and the trust\'s own with RE2', () => {
    const ids = configured.map(({ pattern }) => pattern.id);
    expect(ids).toEqual(expect.arrayContaining(['forwarded-message-line', 'outlook-original-message', 'gmail-forward-quote', 'srs-envelope-sender', 'auto-submitted-forward', 'nested-quantifier']));
    for (const { pattern } of configured) expect(pattern.regex, pattern.id).toBeInstanceOf(RE2);
  });

  it('has a pathological input for every pattern', () => {
    for (const { pattern } of configured) expect(stress.some((s) => s.pattern === pattern), pattern.id).toBe(true);
  });

  it.each(stress.map((s) => [s.name, s] as const))('%s: 4x the input, about 4x the time', async (_, s) => {
    const small = s.input(1_000_000);
    const large = s.input(4_000_000);
    const smallMs = await fastest(5, () => s.pattern.regex.test(small));
    const largeMs = await fastest(5, () => s.pattern.regex.test(large));
    expectLinear(smallMs, largeMs, 60);
  });

  // One shape per pattern through the whole engine (parsing, every detector, the policy): the
  // input sits where the pattern is matched, and in the Subject.
  const throughEngine = stress.filter((s, i) => stress.findIndex((t) => t.pattern === s.pattern) === i);
  it.each(throughEngine.map((s) => [s.name, s] as const))('engine, %s: passed, in time linear in its size', async (_, s) => {
    const small = s.message(25_000);
    const large = s.message(100_000);
    const verdict = await customised.inspect(large.raw, large.envelope);
    expect(verdict.action).toBe('pass');
    const smallMs = await fastest(2, () => customised.inspect(small.raw, small.envelope));
    const largeMs = await fastest(2, () => customised.inspect(large.raw, large.envelope));
    expectLinear(smallMs, largeMs, 300);
    expect(largeMs).toBeLessThan(5_000);
  });

  it.each(BUILT_IN_STRESS.map((b) => [b.name, b] as const))('built-in expressions, %s: in time linear in its size', async (_, b) => {
    const small = builtInStressMessage(b, 25_000);
    const large = builtInStressMessage(b, 100_000);
    await shipped.inspect(large.raw, large.envelope);
    const smallMs = await fastest(2, () => shipped.inspect(small.raw, small.envelope));
    const largeMs = await fastest(2, () => shipped.inspect(large.raw, large.envelope));
    expectLinear(smallMs, largeMs, 300);
    expect(largeMs).toBeLessThan(5_000);
  });
});
