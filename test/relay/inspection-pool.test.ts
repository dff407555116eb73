import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../dist/config/load.js';
import { InspectionEngine } from '../../dist/engine/inspect.js';
import { InspectionPool } from '../../dist/relay/inspection-pool.js';
import { BASE_DLP_YAML, configDirWith } from '../support/config.js';
import { FIXTURES } from '../support/paths.js';

// The compiled pool and worker (dist/), as the relay runs them: `npm test` builds first.
const configFrom = (yaml = BASE_DLP_YAML) => loadConfig(configDirWith(yaml));
const STAFF = 's.jones@example-trust.org.uk';
const envelope = { mailFrom: STAFF, rcptTo: ['sarah.jones1984@gmail.com'] };
const forward = readFileSync(join(FIXTURES, 'forwarding/gmail-forward.eml'));
const never = new AbortController().signal;

/** This test process's inspection worker processes. */
function workerPids(): number[] {
  return execSync(`ps -o pid=,args= --ppid ${process.pid}`)
    .toString()
    .split('\n')
    .filter((line) => line.includes('inspection-worker'))
    .map((line) => Number(line.trim().split(/\s+/)[0]));
}

async function eventually(condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('InspectionPool (worker processes)', () => {
  const config = configFrom();
  const pool = new InspectionPool(config, 2);
  afterAll(() => pool.close());

  it('gives the same verdict as the engine in this process', async () => {
    const inThread = await new InspectionEngine(config).inspect(forward, envelope, 'DLP-SAME0-SAME0');
    const inWorker = (await pool.inspect(forward, envelope, 'DLP-SAME0-SAME0', never)).verdict;
    expect({ ...inWorker, timings: null }).toEqual({ ...inThread, timings: null });
  });

  it('judges by a new configuration once it is in use', async () => {
    pool.use(configFrom(BASE_DLP_YAML.replace('enforce', 'monitor')), '');
    expect((await pool.inspect(forward, envelope, 'DLP-A', never)).verdict.mode).toBe('monitor');
    pool.use(config, '');
    expect((await pool.inspect(forward, envelope, 'DLP-B', never)).verdict.mode).toBe('enforce');
  });

  it('kills a process whose inspection runs past its budget, and keeps serving', async () => {
    // 5 MB of HTML takes the HTML-to-text converter more than a second on this hardware.
    const html = `<p>${'<b>Year 7</b> trip letter. '.repeat(200_000)}</p>`;
    const huge = Buffer.from(`From: ${STAFF}\r\nTo: a@gmail.com\r\nSubject: news\r\nContent-Type: text/html\r\n\r\n${html}\r\n`);
    const budget = new AbortController();
    const running = pool.inspect(huge, envelope, 'DLP-SLOW0-SLOW0', budget.signal);
    await new Promise((r) => setTimeout(r, 100));
    const busy = workerPids();
    budget.abort();
    await expect(running).rejects.toThrow(/cancelled/i);
    // The busy process is killed, not left running (workerpool may first give it a moment to exit).
    await eventually(() => busy.some((pid) => !isAlive(pid)));
    expect((await pool.inspect(forward, envelope, 'DLP-AFTER-AFTER', never)).verdict.action).toBe('reject');
  });

  it('fails only the task of a process that is killed, and keeps serving', async () => {
    const single = new InspectionPool(configFrom(), 1);
    try {
      const html = `<p>${'<b>Year 7</b> trip letter. '.repeat(200_000)}</p>`;
      const huge = Buffer.from(`From: ${STAFF}\r\nTo: a@gmail.com\r\nSubject: news\r\nContent-Type: text/html\r\n\r\n${html}\r\n`);
      const before = new Set(workerPids());
      const running = single.inspect(huge, envelope, 'DLP-KILLD-KILLD', never);
      let mine: number[] = [];
      await eventually(() => (mine = workerPids().filter((pid) => !before.has(pid))).length > 0);
      await new Promise((r) => setTimeout(r, 300)); // well into the second-long conversion
      for (const pid of mine) process.kill(pid, 'SIGKILL');
      await expect(running).rejects.toThrow(/terminated unexpectedly/i);
      expect((await single.inspect(forward, envelope, 'DLP-AFTER-AFTER', never)).verdict.action).toBe('reject');
    } finally {
      await single.close();
    }
  });

  it('fails only the task whose worker throws, and keeps serving', async () => {
    const pool1 = new InspectionPool(configFrom(), 1);
    try {
      // A configuration directory that vanished between validation and use: the worker throws.
      const broken = { ...configFrom(), configDir: '/nonexistent', configText: 'mode: [' };
      pool1.use(broken, '');
      await expect(pool1.inspect(forward, envelope, 'DLP-X', never)).rejects.toThrow(/not valid YAML/);
      pool1.use(configFrom(), '');
      expect((await pool1.inspect(forward, envelope, 'DLP-Y', never)).verdict.action).toBe('reject');
    } finally {
      await pool1.close();
    }
  });
});
