/**
 * Roster size against cost: loading a 2,000- and a 20,000-pupil roster (CSV read, then the
 * name automaton built), and the engine's time for the same typical messages with each.
 * The scan-time ratio should stay near 1: matching must not grow with the roster.
 * Prints a table and writes bench/results/roster.json. Run with `npm run bench`.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { InspectionEngine } from '../src/engine/inspect.js';
import { loadRosterFiles } from '../src/roster/load-roster.js';
import { Roster } from '../src/roster/roster.js';
import { REPO_ROOT } from '../test/support/paths.js';
import { crlf } from '../test/support/send.js';
import { LETTER_NAMING_PUPILS } from './support/corpus.js';
import { rosterCsv } from './support/roster-csv.js';
import { latencySummary } from './support/stats.js';

const ITERATIONS = Number(process.env['BENCH_SCANS'] ?? 300);
const STAFF = 's.jones@example-trust.org.uk';

function typicalMessages(): Array<{ name: string; raw: Buffer }> {
  const newsletter = Array.from({ length: 300 }, (_, i) => `<p>Item ${i}: the <b>Year ${(i % 6) + 1}</b> class assembly, with thanks to our volunteers and the PTA.</p>`).join('\n');
  const message = (subject: string, type: string, body: string): Buffer =>
    crlf(`From: ${STAFF}\nTo: parent@example.com\nSubject: ${subject}\nMIME-Version: 1.0\nContent-Type: ${type}; charset=utf-8\n\n${body}\n`);
  return [
    { name: 'letter naming two pupils', raw: message('Year 5 trip', 'text/plain', LETTER_NAMING_PUPILS) },
    { name: 'short note, no pupils', raw: message('Coach times', 'text/plain', 'We leave at 8.45 on Thursday.') },
    { name: 'HTML newsletter (29 KB)', raw: message('Newsletter', 'text/html', `<html><body>${newsletter}</body></html>`) },
  ];
}

it('roster load and scan time, 2,000 vs 20,000 pupils', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dlp-bench-roster-'));
  writeFileSync(join(dir, 'dlp.yaml'), 'organisation:\n  name: Bench Trust\n  internal_domains: [example-trust.org.uk]\nroster:\n  file: roster.csv\n');
  const config = loadConfig(dir);
  const columns: Record<string, Record<string, number>> = {};

  // A throwaway first round, so that neither measured roster pays for the JIT warming up.
  for (const pupils of [500, 2_000, 20_000]) {
    const file = join(dir, `roster-${pupils}.csv`);
    writeFileSync(file, rosterCsv(pupils));
    const t0 = performance.now();
    const data = loadRosterFiles([file]);
    const t1 = performance.now();
    const roster = new Roster(data.pupils, config.personalData.commonWords);
    const t2 = performance.now();
    const engine = new InspectionEngine(config, { roster });
    const column: Record<string, number> = {
      'CSV read ms': Math.round(t1 - t0),
      'name automaton build ms': Math.round(t2 - t1),
      'roster load total ms': Math.round(performance.now() - t0),
      'name patterns': roster.names.patternCount,
    };
    for (const { name, raw } of typicalMessages()) {
      const envelope = { mailFrom: STAFF, rcptTo: ['parent@gmail.com'] };
      for (let i = 0; i < 20; i++) await engine.inspect(raw, envelope); // warm up
      const samples: number[] = [];
      let names = 0;
      for (let i = 0; i < ITERATIONS; i++) {
        const started = performance.now();
        const verdict = await engine.inspect(raw, envelope);
        samples.push(performance.now() - started);
        names = verdict.findings.filter((f) => f.kind === 'pupil-name').length;
      }
      const summary = latencySummary(samples);
      column[`${name}: median ms`] = summary.median;
      column[`${name}: p99 ms`] = summary.p99;
      column[`${name}: pupil names found`] = names;
    }
    if (pupils !== 500) columns[`${pupils.toLocaleString('en-GB')} pupils`] = column;
  }
  const small = columns['2,000 pupils']!;
  const large = columns['20,000 pupils']!;
  const results: Record<string, Record<string, number>> = {};
  for (const metric of Object.keys(small)) {
    results[metric] = { '2,000 pupils': small[metric]!, '20,000 pupils': large[metric]!, ratio: small[metric] ? Math.round((large[metric]! / small[metric]!) * 100) / 100 : 1 };
  }

  console.table(results);
  mkdirSync(join(REPO_ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(REPO_ROOT, 'bench/results/roster.json'), `${JSON.stringify({ node: process.version, iterations: ITERATIONS, results }, null, 2)}\n`);
});
