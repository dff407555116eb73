/**
 * Attachments: extraction throughput per format (MB/s, the engine alone), and the relay's
 * latency for a message with a 1 MB PDF and with a 5 MB xlsx, with and without the dlp
 * plugin, with Haraka's event-loop delay while they are inspected. Fixtures are made by
 * LibreOffice and zip (scripts/install-test-tools.sh). Writes bench/results/attachments.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { InspectionEngine } from '../src/engine/inspect.js';
import { FixtureMaker, timetableCsv } from '../test/support/attachment-fixtures.js';
import { configDirWith } from '../test/support/config.js';
import { HarakaRelay } from '../test/support/haraka-relay.js';
import { REPO_ROOT } from '../test/support/paths.js';
import { sendRaw } from '../test/support/send.js';
import { SmtpSink } from '../test/support/smtp-sink.js';
import { loopDelaySince } from './support/loop-delay.js';
import { BENCH_PARTNER as PARTNER, BENCH_STAFF as STAFF, messageWithFiles, prose } from './support/corpus.js';

const RELAY_SENDS = Number(process.env['BENCH_ATTACHMENT_SENDS'] ?? 10);
const DLP_YAML = 'organisation:\n  name: Bench Trust\n  internal_domains: [example-trust.org.uk]\ninspection:\n  timeout_ms: 60000\n';

const fixtures = new FixtureMaker();
const sink = new SmtpSink();
let plain: HarakaRelay;
let withDlp: HarakaRelay;

const withAttachment = (name: string): Promise<Buffer> => messageWithFiles(fixtures, [name]);
const median = (xs: number[]): number => Math.round([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! * 100) / 100;

beforeAll(async () => {
  fixtures.file('letter.txt', prose(25_000));
  fixtures.convert('letter.txt', 'pdf');
  fixtures.convert('letter.txt', 'docx');
  fixtures.file('timetable.csv', timetableCsv(135_000));
  fixtures.convert('timetable.csv', 'xlsx');
  fixtures.zip('bundle.zip', ['letter.docx', 'timetable.csv']);
  await sink.start();
  plain = await new HarakaRelay({
    dlpYaml: DLP_YAML,
    smarthostPort: sink.port,
    pluginsDir: join(REPO_ROOT, 'bench/haraka-plugins'),
    plugins: ['loop-delay', 'relay', 'queue/smtp_forward'],
  }).start();
  withDlp = await new HarakaRelay({
    dlpYaml: DLP_YAML,
    smarthostPort: sink.port,
    pluginsDir: join(REPO_ROOT, 'bench/haraka-plugins'),
    plugins: ['loop-delay', 'dlp', 'queue/smtp_forward'],
  }).start();
}, 300_000);
afterAll(async () => {
  await plain?.stop();
  await withDlp?.stop();
  await sink.stop();
});

it('attachment extraction throughput, relay latency with large attachments, event-loop delay', async () => {
  const engine = new InspectionEngine(loadConfig(configDirWith(DLP_YAML)));
  const formats: Record<string, { MB: number; 'median ms': number; 'MB/s': number }> = {};
  for (const name of ['letter.pdf', 'letter.docx', 'timetable.xlsx', 'timetable.csv', 'bundle.zip']) {
    const raw = await withAttachment(name);
    const size = fixtures.read(name).length / 1e6;
    const samples: number[] = [];
    for (let i = 0; i < 6; i++) {
      const started = performance.now();
      await engine.parse(raw);
      samples.push(performance.now() - started);
    }
    const ms = median(samples.slice(1));
    formats[name] = { MB: Math.round(size * 100) / 100, 'median ms': ms, 'MB/s': Math.round((size / (ms / 1000)) * 100) / 100 };
  }

  const relay: Record<string, Record<string, number>> = {};
  for (const name of ['letter.pdf', 'timetable.xlsx']) {
    const raw = await withAttachment(name);
    const latency = { plain: [] as number[], dlp: [] as number[] };
    for (let i = 0; i < RELAY_SENDS; i++) {
      for (const [which, port] of [['plain', plain.port], ['dlp', withDlp.port]] as const) {
        const started = performance.now();
        const result = await sendRaw(port, { from: STAFF, to: [PARTNER] }, raw);
        if (result.code !== 250) throw new Error(`${name} via ${which}: ${result.response}`);
        latency[which].push(performance.now() - started);
      }
    }
    relay[`${name} (${formats[name]!.MB} MB)`] = {
      'plain Haraka median ms': median(latency.plain),
      'Haraka + dlp median ms': median(latency.dlp),
      'added ms': Math.round((median(latency.dlp) - median(latency.plain)) * 100) / 100,
    };
  }
  const loopDelay = (relay: HarakaRelay): Record<string, number> => {
    const delay = loopDelaySince(relay);
    return { 'worst per-second p99 ms': delay.worstP99, 'max ms': delay.max, seconds: delay.seconds };
  };
  const loop = { 'plain Haraka': loopDelay(plain), 'Haraka + dlp': loopDelay(withDlp) };

  console.log('\nAttachment extraction, engine alone:');
  console.table(formats);
  console.log(`Relay latency, ${RELAY_SENDS} messages each, interleaved:`);
  console.table(relay);
  console.log("Haraka's event-loop delay over the whole run:");
  console.table(loop);
  mkdirSync(join(REPO_ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(REPO_ROOT, 'bench/results/attachments.json'), `${JSON.stringify({ node: process.version, formats, relay, loop }, null, 2)}\n`);
});
