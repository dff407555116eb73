/**
 * Relay latency and throughput: the same Haraka with and without the dlp plugin, measured
 * in one run against one downstream sink, plus the engine alone. Prints a table and writes
 * bench/results/relay.json. Run with `npm run bench`.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { InspectionEngine } from '../src/engine/inspect.js';
import { HarakaRelay } from '../test/support/haraka-relay.js';
import { FIXTURES, REPO_ROOT, SHIPPED_CONFIG_DIR } from '../test/support/paths.js';
import { crlf } from '../test/support/send.js';
import { SmtpSink } from '../test/support/smtp-sink.js';

const SEQUENTIAL = Number(process.env['BENCH_MESSAGES'] ?? 400);
const CONCURRENT_CLIENTS = 10;
const STAFF = 's.jones@example-trust.org.uk';
const RECIPIENT = 'bookings@museum.example.org';

/** Deliverable messages (nothing the policy refuses), so both relays do the whole round trip. */
function corpus(): Array<{ name: string; raw: Buffer }> {
  const newsletterBody = Array.from({ length: 400 }, (_, i) => `<p>Item ${i}: the <b>Year ${(i % 6) + 7}</b> trip letter and <a href="https://example.org/${i}">details</a>.</p>`).join('\n');
  return [
    { name: 'short text', raw: crlf(`From: ${STAFF}\nTo: ${RECIPIENT}\nSubject: Coach times\nMessage-ID: <b1@example-trust.org.uk>\nDate: Mon, 23 Nov 2026 09:00:00 +0000\n\nWe leave at 8.45 on Thursday.\n`) },
    { name: 'Outlook forward (to a partner)', raw: crlf(readFileSync(join(FIXTURES, 'forwarding/outlook-web-forward.eml'))) },
    { name: 'Gmail forward (to a partner)', raw: crlf(readFileSync(join(FIXTURES, 'forwarding/gmail-forward.eml'))) },
    {
      name: 'HTML newsletter',
      raw: crlf(`From: ${STAFF}\nTo: ${RECIPIENT}\nSubject: Newsletter\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n<html><body>${newsletterBody}</body></html>\n`),
    },
  ];
}

function stats(samples: number[]): { n: number; median: number; p95: number; p99: number; mean: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const round = (x: number) => Math.round(x * 100) / 100;
  return { n: sorted.length, median: round(at(0.5)), p95: round(at(0.95)), p99: round(at(0.99)), mean: round(sorted.reduce((a, b) => a + b, 0) / sorted.length) };
}

async function sendTimed(port: number, raw: Buffer): Promise<number> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  const started = performance.now();
  await transport.sendMail({ envelope: { from: STAFF, to: [RECIPIENT] }, raw });
  const elapsed = performance.now() - started;
  transport.close();
  return elapsed;
}

const sink = new SmtpSink();
let plain: HarakaRelay;
let withDlp: HarakaRelay;
const DLP_YAML = readFileSync(join(SHIPPED_CONFIG_DIR, 'dlp.yaml'), 'utf8');

beforeAll(async () => {
  await sink.start();
  plain = await new HarakaRelay({ dlpYaml: DLP_YAML, smarthostPort: sink.port, plugins: ['relay', 'queue/smtp_forward'] }).start();
  withDlp = await new HarakaRelay({ dlpYaml: DLP_YAML, smarthostPort: sink.port }).start();
});
afterAll(async () => {
  await plain?.stop();
  await withDlp?.stop();
  await sink.stop();
});

it('relay with the dlp plugin against the same relay without it', async () => {
  const messages = corpus();
  const results: Record<string, unknown> = { node: process.version, date: new Date().toISOString(), sequential_messages: SEQUENTIAL };

  // Warm up both (JIT, DNS-free connection set-up, Haraka's lazy loads).
  for (let i = 0; i < 20; i++) for (const relay of [plain, withDlp]) await sendTimed(relay.port, messages[i % messages.length]!.raw);

  // Sequential: one client, one message per connection, relays interleaved so drift hits both alike.
  const latency = { plain: [] as number[], dlp: [] as number[] };
  for (let i = 0; i < SEQUENTIAL; i++) {
    const raw = messages[i % messages.length]!.raw;
    latency.plain.push(await sendTimed(plain.port, raw));
    latency.dlp.push(await sendTimed(withDlp.port, raw));
  }
  const sequential = { plain: stats(latency.plain), dlp: stats(latency.dlp) };

  // Concurrent: 10 clients, each sending its share back to back.
  const throughput = async (port: number): Promise<number> => {
    const perClient = Math.ceil(SEQUENTIAL / CONCURRENT_CLIENTS);
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENT_CLIENTS }, async (_, c) => {
        for (let i = 0; i < perClient; i++) await sendTimed(port, messages[(c + i) % messages.length]!.raw);
      }),
    );
    return (perClient * CONCURRENT_CLIENTS) / ((performance.now() - started) / 1000);
  };
  const concurrent = { plain: Math.round(await throughput(plain.port)), dlp: Math.round(await throughput(withDlp.port)) };

  // The engine alone, per corpus message.
  const engine = new InspectionEngine(loadConfig(SHIPPED_CONFIG_DIR));
  const engineMs: Record<string, ReturnType<typeof stats>> = {};
  for (const { name, raw } of messages) {
    const samples: number[] = [];
    for (let i = 0; i < 300; i++) {
      const started = performance.now();
      await engine.inspect(raw, { mailFrom: STAFF, rcptTo: [RECIPIENT] });
      samples.push(performance.now() - started);
    }
    engineMs[`${name}, ${(raw.length / 1024).toFixed(1)} KB`] = stats(samples.slice(50));
  }

  Object.assign(results, {
    sequential_ms: sequential,
    added_latency_ms: { median: Math.round((sequential.dlp.median - sequential.plain.median) * 100) / 100, p95: Math.round((sequential.dlp.p95 - sequential.plain.p95) * 100) / 100 },
    latency_ratio_median: Math.round((sequential.dlp.median / sequential.plain.median) * 100) / 100,
    concurrent_msgs_per_s: { clients: CONCURRENT_CLIENTS, ...concurrent, ratio: Math.round((concurrent.dlp / concurrent.plain) * 100) / 100 },
    engine_ms: engineMs,
  });

  const rows = [
    ['', 'plain Haraka', 'Haraka + dlp', 'difference / ratio'],
    ['median latency, 1 client (ms)', sequential.plain.median, sequential.dlp.median, `+${(results['added_latency_ms'] as { median: number }).median} ms (x${results['latency_ratio_median']})`],
    ['p95 latency, 1 client (ms)', sequential.plain.p95, sequential.dlp.p95, `+${(results['added_latency_ms'] as { p95: number }).p95} ms`],
    [`throughput, ${CONCURRENT_CLIENTS} clients (msg/s)`, concurrent.plain, concurrent.dlp, `x${(results['concurrent_msgs_per_s'] as { ratio: number }).ratio}`],
  ];
  console.log(`\nRelay benchmark (${SEQUENTIAL} messages each, ${process.version})`);
  console.table(rows.slice(1).map((r) => Object.fromEntries(rows[0]!.map((h, i) => [h || 'measure', r[i]]))));
  console.log('Engine alone (ms per message, after warm-up):');
  console.table(Object.fromEntries(Object.entries(engineMs).map(([k, v]) => [k, { median: v.median, p95: v.p95, p99: v.p99 }])));

  mkdirSync(join(REPO_ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(REPO_ROOT, 'bench/results/relay.json'), `${JSON.stringify(results, null, 2)}\n`);
});
