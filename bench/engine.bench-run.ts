/**
 * The inspection engine alone, on one core (this process, one message at a time): messages
 * per second and latency (median, p99) for each kind of message in a mixed corpus, with a
 * 2,000- and a 20,000-pupil roster, under the shipped policy (every rule on). The relay runs
 * `inspection.workers` such processes. Prints a table and writes bench/results/engine.json.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { beforeAll, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { InspectionEngine } from '../src/engine/inspect.js';
import { loadRosterFiles } from '../src/roster/load-roster.js';
import { Roster } from '../src/roster/roster.js';
import { FixtureMaker } from '../test/support/attachment-fixtures.js';
import { REPO_ROOT, SHIPPED_CONFIG_DIR } from '../test/support/paths.js';
import { attachmentMessages, BENCH_STAFF, everydayMessages, letterNamingPupils, type BenchMessage } from './support/corpus.js';
import { rosterCsv } from './support/roster-csv.js';
import { latencySummary, round2 } from './support/stats.js';

/** Inspections per message kind: everyday mail is fast, so it gets more samples than the large attachments. */
const EVERYDAY_RUNS = Number(process.env['BENCH_ENGINE_RUNS'] ?? 300);
const ATTACHMENT_RUNS = Number(process.env['BENCH_ENGINE_ATTACHMENT_RUNS'] ?? 6);
const ROSTERS = [2_000, 20_000];

let corpus: Array<BenchMessage & { runs: number }>;

beforeAll(async () => {
  const fixtures = new FixtureMaker();
  corpus = [
    ...[...everydayMessages(), letterNamingPupils()].map((m) => ({ ...m, runs: EVERYDAY_RUNS })),
    ...(await attachmentMessages(fixtures)).map((m) => ({ ...m, runs: ATTACHMENT_RUNS })),
  ];
}, 300_000);

function engineWithRoster(pupils: number): InspectionEngine {
  const dir = mkdtempSync(join(tmpdir(), 'dlp-bench-engine-'));
  writeFileSync(join(dir, 'dlp.yaml'), `${readFileSync(join(SHIPPED_CONFIG_DIR, 'dlp.yaml'), 'utf8')}\nroster:\n  file: roster.csv\n`);
  writeFileSync(join(dir, 'roster.csv'), rosterCsv(pupils));
  const config = loadConfig(dir);
  return new InspectionEngine(config, { roster: new Roster(loadRosterFiles([join(dir, 'roster.csv')]).pupils, config.personalData.commonWords) });
}

it('engine throughput and latency per message kind, 2,000 and 20,000 pupils', async () => {
  const envelope = { mailFrom: BENCH_STAFF, rcptTo: ['bookings@museum.example.org', 'parent@gmail.com'] };
  const table: Record<string, Record<string, number | string>> = {};
  const results: Record<string, Record<string, unknown>> = {};
  for (const pupils of ROSTERS) {
    const engine = engineWithRoster(pupils);
    const column = `${pupils.toLocaleString('en-GB')} pupils`;
    let mixedMs = 0;
    for (const { name, raw, runs } of corpus) {
      for (let i = 0; i < Math.min(20, runs); i++) await engine.inspect(raw, envelope); // warm-up: JIT, lazy loads
      const samples: number[] = [];
      let action = '';
      for (let i = 0; i < runs; i++) {
        const started = performance.now();
        const verdict = await engine.inspect(raw, envelope);
        samples.push(performance.now() - started);
        action = verdict.action;
      }
      const summary = latencySummary(samples);
      mixedMs += summary.mean;
      (results[name] ??= {})[column] = { ...summary, msgs_per_s: round2(1000 / summary.mean), verdict: action, kb: round2(raw.length / 1024) };
      const row = (table[`${name}`] ??= {});
      row[`${column}: msg/s`] = round2(1000 / summary.mean);
      row[`${column}: median ms`] = summary.median;
      row[`${column}: p99 ms`] = summary.p99;
    }
    // One of each kind, back to back: the corpus as a whole.
    const mixed = { messages: corpus.length, msgs_per_s: round2((corpus.length * 1000) / mixedMs) };
    (results['mixed corpus, one of each'] ??= {})[column] = mixed;
    (table['mixed corpus, one of each'] ??= {})[`${column}: msg/s`] = mixed.msgs_per_s;
  }

  console.log(`\nEngine alone, one core (${process.version}; ${EVERYDAY_RUNS} runs per everyday message, ${ATTACHMENT_RUNS} per attachment message):`);
  console.table(table);
  mkdirSync(join(REPO_ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(REPO_ROOT, 'bench/results/engine.json'), `${JSON.stringify({ node: process.version, date: new Date().toISOString(), results }, null, 2)}\n`);
});
