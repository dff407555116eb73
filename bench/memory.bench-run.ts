/**
 * Memory and Haraka's event loop under large messages: peak resident memory of Haraka (and of
 * Haraka with its inspection processes) for one 25 MB message and for 50 clients sending a
 * 5 MB message each at once, with and without the dlp plugin, each scenario on freshly started
 * relays; and Haraka's event-loop delay (p99, max) while those attachments are inspected.
 * Prints a table and writes bench/results/memory.json.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { beforeAll, it } from 'vitest';
import { FixtureMaker, timetableCsv } from '../test/support/attachment-fixtures.js';
import { HarakaRelay } from '../test/support/haraka-relay.js';
import { REPO_ROOT } from '../test/support/paths.js';
import { BENCH_PARTNER, BENCH_STAFF, messageWithFiles } from './support/corpus.js';
import { loopDelaySince } from './support/loop-delay.js';
import { PostfixSmtpSink } from './support/postfix-sink.js';
import { PeakMemorySampler } from './support/process-tree.js';
import { round2 } from './support/stats.js';

const DLP_YAML = 'organisation:\n  name: Bench Trust\n  internal_domains: [example-trust.org.uk]\n';
const fixtures = new FixtureMaker();
const scenarios: Array<{ name: string; file: string; clients: number; mb: number }> = [];

beforeAll(async () => {
  // A 25 MB message: a 17.6 MB CSV, base64-encoded. Haraka's own limit (connection.ini max.bytes) is 25 MiB.
  fixtures.file('year-timetable.csv', timetableCsv(355_000));
  const large = await messageWithFiles(fixtures, ['year-timetable.csv']);
  // A 5 MB message: a 3.6 MB xlsx (unzipped and its XML read by the inspection).
  fixtures.file('term-timetable.csv', timetableCsv(95_000));
  fixtures.convert('term-timetable.csv', 'xlsx');
  const medium = await messageWithFiles(fixtures, ['term-timetable.xlsx']);
  scenarios.push(
    { name: `one ${round2(large.length / 1e6)} MB message (CSV)`, file: fixtures.file('large.eml', large), clients: 1, mb: large.length / 1e6 },
    { name: `50 clients at once, ${round2(medium.length / 1e6)} MB each (xlsx)`, file: fixtures.file('medium.eml', medium), clients: 50, mb: medium.length / 1e6 },
  );
}, 300_000);

async function measure(plugins: string[], scenario: (typeof scenarios)[number]): Promise<Record<string, number | string>> {
  const sink = await new PostfixSmtpSink().start();
  const relay = await new HarakaRelay({ dlpYaml: DLP_YAML, smarthostPort: sink.port, pluginsDir: join(REPO_ROOT, 'bench/haraka-plugins'), plugins }).start();
  try {
    // Idle figures once Haraka has settled (and the inspection processes, if any, have started).
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const idle = new PeakMemorySampler(relay.pid!).start();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const idleMb = idle.stop();
    const outputFrom = relay.output.length;
    const sampler = new PeakMemorySampler(relay.pid!).start();
    const started = performance.now();
    const job = { port: relay.port, clients: scenario.clients, messages: scenario.clients, files: [scenario.file], from: BENCH_STAFF, to: [BENCH_PARTNER] };
    const { stdout } = await promisify(execFile)(process.execPath, [join(REPO_ROOT, 'bench/load/smtp-load.mjs'), JSON.stringify(job)], { maxBuffer: 16 * 1024 * 1024 });
    const load = JSON.parse(stdout) as { sent: number; failed: number; failures: string[]; elapsed_ms: number };
    await sink.waitFor(load.sent, 300_000);
    const deliveredMs = performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // the last second's loop-delay line
    const peak = sampler.stop();
    const loop = loopDelaySince(relay, outputFrom);
    return {
      'idle RSS, Haraka MB': idleMb.main_mb,
      'peak RSS, Haraka MB': peak.main_mb,
      'idle RSS, with inspection processes MB': idleMb.tree_mb,
      'peak RSS, with inspection processes MB': peak.tree_mb,
      processes: peak.processes,
      accepted: load.sent,
      refused: load.failed ? `${load.failed}: ${load.failures[0]}` : 0,
      'all accepted s': round2(load.elapsed_ms / 1000),
      'all delivered s': round2(deliveredMs / 1000),
      'event-loop delay p99 ms (worst second)': loop.worstP99,
      'event-loop delay max ms': loop.max,
    };
  } finally {
    await relay.stop();
    await sink.stop();
  }
}

it('peak memory for a 25 MB message and for 50 concurrent 5 MB messages; event-loop delay meanwhile', async () => {
  const results: Record<string, Record<string, Record<string, number | string>>> = {};
  for (const scenario of scenarios) {
    results[scenario.name] = {
      'plain Haraka': await measure(['loop-delay', 'relay', 'queue/smtp_forward'], scenario),
      'Haraka + dlp': await measure(['loop-delay', 'dlp', 'queue/smtp_forward'], scenario),
    };
    console.log(`\n${scenario.name} (${process.version}):`);
    console.table(results[scenario.name]);
  }
  mkdirSync(join(REPO_ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(REPO_ROOT, 'bench/results/memory.json'), `${JSON.stringify({ node: process.version, date: new Date().toISOString(), results }, null, 2)}\n`);
});
