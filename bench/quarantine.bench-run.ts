/**
 * The quarantine store's throughput: holds per second (each one sealed with AES-256-GCM and
 * committed before it returns, as the relay needs before its 250), one at a time and 10 at
 * once, for a 20 KB note and a 1 MB message with an attachment; then listing the queue.
 * SQLite (the default) and PostgreSQL (the shared option). Writes bench/results/quarantine.json.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { it } from 'vitest';
import { openQuarantineStore } from '../src/quarantine/store.js';
import { REPO_ROOT } from '../test/support/paths.js';
import { newQueueItem, postgresBackend, sqliteBackend } from '../test/support/quarantine.js';

const HOLDS = Number(process.env['BENCH_HOLDS'] ?? 400);

interface Row {
  backend: string;
  message: string;
  concurrency: number;
  holdsPerSecond: number;
  medianMs: number;
  p99Ms: number;
}

it('quarantine store throughput', async () => {
  const rows: Row[] = [];
  const listings: Record<string, number> = {};
  for (const backend of [sqliteBackend(), postgresBackend()]) {
    await backend.setUp();
    try {
      for (const [label, size] of [['20 KB', 20_000], ['1 MB', 1_000_000]] as const) {
        for (const concurrency of [1, 10]) {
          const store = await openQuarantineStore({ url: await backend.freshUrl(), key: randomBytes(32) });
          const raw = randomBytes(size);
          const count = size > 100_000 ? Math.ceil(HOLDS / 4) : HOLDS;
          const latencies: number[] = [];
          const started = performance.now();
          let next = 0;
          await Promise.all(
            Array.from({ length: concurrency }, async () => {
              while (next < count) {
                next++;
                const item = newQueueItem({ raw });
                const t = performance.now();
                await store.hold(item);
                latencies.push(performance.now() - t);
              }
            }),
          );
          const seconds = (performance.now() - started) / 1000;
          latencies.sort((a, b) => a - b);
          rows.push({
            backend: backend.name,
            message: label,
            concurrency,
            holdsPerSecond: Math.round(count / seconds),
            medianMs: round(latencies[Math.floor(latencies.length / 2)]!),
            p99Ms: round(latencies[Math.floor(latencies.length * 0.99)]!),
          });
          if (label === '20 KB' && concurrency === 1) {
            const t = performance.now();
            for (let i = 0; i < 20; i++) await store.list({ status: 'held', limit: 50 });
            listings[backend.name] = round((performance.now() - t) / 20);
          }
          await store.close();
        }
      }
    } finally {
      await backend.tearDown();
    }
  }
  console.table(rows);
  console.table(Object.entries(listings).map(([backend, ms]) => ({ backend, 'queue page of 50 (ms)': ms })));
  mkdirSync(join(REPO_ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(REPO_ROOT, 'bench/results/quarantine.json'), `${JSON.stringify({ holds: rows, listPageMs: listings, node: process.version }, null, 2)}\n`);
});

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
