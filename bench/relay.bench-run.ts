/**
 * The relay under load: the same Haraka with and without the dlp plugin, in one run, each
 * delivering to its own downstream SMTP server (postfix's smtp-sink), with 1, 10 and 50 concurrent SMTP clients.
 * The load comes from a separate process (bench/load/smtp-load.mjs, nodemailer, one open
 * connection per client). Reports messages per second accepted and delivered end to end,
 * latency to the client's 250 (median, p99), CPU per message (Haraka and its inspection
 * processes) and Haraka's event-loop delay, with the ratio of the two relays. Prints a
 * table and writes bench/results/relay.json.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { afterAll, beforeAll, it } from 'vitest';
import { HarakaRelay } from '../test/support/haraka-relay.js';
import { REPO_ROOT, SHIPPED_CONFIG_DIR } from '../test/support/paths.js';
import { BENCH_PARTNER, BENCH_STAFF, everydayMessages } from './support/corpus.js';
import { loopDelaySince } from './support/loop-delay.js';
import { PostfixSmtpSink } from './support/postfix-sink.js';
import { treeCpuMs } from './support/process-tree.js';
import { latencySummary, round2, type LatencySummary } from './support/stats.js';

const MESSAGES = Number(process.env['BENCH_MESSAGES'] ?? 600);
const CONCURRENCY = (process.env['BENCH_CLIENTS'] ?? '1,10,50').split(',').map(Number);
const DLP_YAML = readFileSync(join(SHIPPED_CONFIG_DIR, 'dlp.yaml'), 'utf8');

interface LoadResult {
  sent: number;
  failed: number;
  failures: string[];
  elapsed_ms: number;
  latencies_ms: number[];
}

interface Side {
  name: 'plain Haraka' | 'Haraka + dlp';
  relay: HarakaRelay;
  sink: PostfixSmtpSink;
}

let sides: Side[];
let corpusFiles: string[];

async function load(port: number, clients: number, messages: number): Promise<LoadResult> {
  const job = { port, clients, messages, files: corpusFiles, from: BENCH_STAFF, to: [BENCH_PARTNER] };
  const { stdout } = await promisify(execFile)(process.execPath, [join(REPO_ROOT, 'bench/load/smtp-load.mjs'), JSON.stringify(job)], { maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout) as LoadResult;
}

interface RunFigures {
  accepted_msgs_per_s: number;
  delivered_msgs_per_s: number;
  latency_ms: LatencySummary;
  cpu_ms_per_msg: number;
  loop_delay_p99_ms: number;
}

/** One load run against one relay: until every accepted message has reached the sink. */
async function run(side: Side, clients: number, messages: number): Promise<RunFigures> {
  const receivedBefore = side.sink.received;
  const outputFrom = side.relay.output.length;
  const cpuBefore = treeCpuMs(side.relay.pid!);
  const started = performance.now();
  const result = await load(side.relay.port, clients, messages);
  if (result.failed) throw new Error(`${side.name}, ${clients} clients: ${result.failed} refused, e.g. ${result.failures.join(' | ')}`);
  await side.sink.waitFor(receivedBefore + result.sent, 600_000);
  const delivered = performance.now() - started;
  const cpu = treeCpuMs(side.relay.pid!) - cpuBefore;
  return {
    accepted_msgs_per_s: round2(result.sent / (result.elapsed_ms / 1000)),
    delivered_msgs_per_s: round2(result.sent / (delivered / 1000)),
    latency_ms: latencySummary(result.latencies_ms),
    cpu_ms_per_msg: round2(cpu / result.sent),
    loop_delay_p99_ms: loopDelaySince(side.relay, outputFrom).worstP99,
  };
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dlp-bench-corpus-'));
  corpusFiles = everydayMessages().map(({ raw }, i) => {
    const file = join(dir, `${i}.eml`);
    writeFileSync(file, raw);
    return file;
  });
  const start = async (name: Side['name'], plugins: string[]): Promise<Side> => {
    const sink = await new PostfixSmtpSink().start();
    const relay = await new HarakaRelay({ dlpYaml: DLP_YAML, smarthostPort: sink.port, pluginsDir: join(REPO_ROOT, 'bench/haraka-plugins'), plugins }).start();
    return { name, relay, sink };
  };
  sides = [await start('plain Haraka', ['loop-delay', 'relay', 'queue/smtp_forward']), await start('Haraka + dlp', ['loop-delay', 'dlp', 'queue/smtp_forward'])];
}, 120_000);

afterAll(async () => {
  for (const side of sides ?? []) {
    await side.relay.stop();
    await side.sink.stop();
  }
});

it('relay throughput and latency with 1, 10 and 50 clients, with the dlp plugin and without', async () => {
  // Warm-up: JIT, Haraka's lazy loads, the inspection processes started.
  for (const side of sides) await run(side, 10, 100);

  const results: Record<string, Record<string, RunFigures | Record<string, number>>> = {};
  const table: Record<string, Record<string, string | number>> = {};
  for (const clients of CONCURRENCY) {
    // Alternate which relay goes first, so that drift in the machine hits both alike.
    const order = clients % 2 ? sides : [...sides].reverse();
    const figures = {} as Record<Side['name'], RunFigures>;
    for (const side of order) figures[side.name] = await run(side, clients, MESSAGES);
    const plain = figures['plain Haraka'];
    const dlp = figures['Haraka + dlp'];
    const ratios = {
      accepted: round2(dlp.accepted_msgs_per_s / plain.accepted_msgs_per_s),
      delivered: round2(dlp.delivered_msgs_per_s / plain.delivered_msgs_per_s),
      median_latency: round2(dlp.latency_ms.median / plain.latency_ms.median),
      p99_latency: round2(dlp.latency_ms.p99 / plain.latency_ms.p99),
    };
    results[`${clients} clients`] = { ...figures, ratio_dlp_to_plain: ratios };
    const row = (measure: string, a: number | string, b: number | string, ratio: number | string): void => {
      table[`${clients} clients: ${measure}`] = { 'plain Haraka': a, 'Haraka + dlp': b, 'dlp / plain': ratio };
    };
    row('accepted msg/s', plain.accepted_msgs_per_s, dlp.accepted_msgs_per_s, `x${ratios.accepted}`);
    row('delivered msg/s (end to end)', plain.delivered_msgs_per_s, dlp.delivered_msgs_per_s, `x${ratios.delivered}`);
    row('latency median ms', plain.latency_ms.median, dlp.latency_ms.median, `x${ratios.median_latency}`);
    row('latency p99 ms', plain.latency_ms.p99, dlp.latency_ms.p99, `x${ratios.p99_latency}`);
    row('CPU ms per message', plain.cpu_ms_per_msg, dlp.cpu_ms_per_msg, `x${round2(dlp.cpu_ms_per_msg / plain.cpu_ms_per_msg)}`);
    row('event-loop delay p99 ms', plain.loop_delay_p99_ms, dlp.loop_delay_p99_ms, '');
  }

  console.log(`\nRelay under load (${MESSAGES} messages per run: short text, 39 KB HTML newsletter, Outlook and Gmail forwards; ${process.version})`);
  console.table(table);
  mkdirSync(join(REPO_ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(REPO_ROOT, 'bench/results/relay.json'), `${JSON.stringify({ node: process.version, date: new Date().toISOString(), messages_per_run: MESSAGES, results }, null, 2)}\n`);
});
