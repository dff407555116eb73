/**
 * The fuzz campaign harness shared by test/fuzz/*.test.ts: fast-check with a fixed seed (so CI
 * runs the same inputs every time), a time budget per input, the slowest input recorded, RSS
 * watched, and unhandled rejections pinned on the input that caused them.
 *
 * CI runs each campaign for its default number of inputs, capped by its default seconds. For a
 * longer campaign locally:
 *
 *   FUZZ_SEED=7 FUZZ_SECONDS=300 npx vitest run test/fuzz/engine-mutated-messages.test.ts
 *
 * FUZZ_SEED      fast-check seed (default: a fixed one)
 * FUZZ_RUNS      inputs per campaign (default: the campaign's own; unbounded when only FUZZ_SECONDS is given)
 * FUZZ_SECONDS   stop generating new inputs after this long (default: the campaign's own cap)
 * FUZZ_INPUT_MS  CPU time budget for one input (default 2000); by the clock it may take four times that
 * FUZZ_RSS_MB    most the resident set may grow over a campaign (default 768)
 * FUZZ_REPORT    a file to append one JSON line of results per campaign to
 * FUZZ_SAVE_DIR  where to write each input before it runs (<campaign>.current), the slowest (<campaign>.slowest)
 *                and the last failing one (<campaign>.failing)
 *
 * With NODE_OPTIONS=--expose-gc the live heap is also measured after a full GC at both ends.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import fc from 'fast-check';

export const DEFAULT_FUZZ_SEED = 20_261_123;
/** How many times the per-input budget an input may take by the clock, for a machine busy with other work. */
const WALL_ALLOWANCE = 4;

export interface FuzzSettings {
  seed: number;
  numRuns: number;
  /** No new input is started after this many milliseconds (shrinking a failure included). */
  timeLimitMs: number;
  inputBudgetMs: number;
  rssGrowthLimitMb: number;
}

export interface CampaignDefaults {
  runs: number;
  seconds: number;
}

function envNumber(name: string): number | undefined {
  const value = process.env[name];
  if (value === undefined || value === '') return undefined;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new Error(`${name}=${value}: expected a positive number`);
  return number;
}

export function fuzzSettings(defaults: CampaignDefaults): FuzzSettings {
  const seconds = envNumber('FUZZ_SECONDS');
  const runs = envNumber('FUZZ_RUNS');
  const seedText = process.env['FUZZ_SEED'];
  const seed = seedText ? Number(seedText) : DEFAULT_FUZZ_SEED;
  if (!Number.isInteger(seed)) throw new Error(`FUZZ_SEED=${seedText}: expected an integer`);
  return {
    seed: seed | 0,
    numRuns: runs ?? (seconds !== undefined ? 2 ** 31 - 1 : defaults.runs),
    timeLimitMs: (seconds ?? (runs !== undefined ? 24 * 3600 : defaults.seconds)) * 1000,
    inputBudgetMs: envNumber('FUZZ_INPUT_MS') ?? 2000,
    rssGrowthLimitMb: envNumber('FUZZ_RSS_MB') ?? 768,
  };
}

/** Vitest's timeout for a campaign's test: its time limit plus room for shrinking one failure. */
export function campaignTimeoutMs(settings: FuzzSettings): number {
  return settings.timeLimitMs + 120_000;
}

export interface CampaignResult {
  name: string;
  seed: number;
  inputs: number;
  seconds: number;
  /** CPU time of the costliest input, and its wall time. */
  slowestMs: number;
  slowestWallMs: number;
  slowestInput: string;
  rssStartMb: number;
  rssPeakMb: number;
  rssGrowthMb: number;
  /** Live heap growth after a full GC at both ends, when node runs with --expose-gc (a leak shows here, not in RSS). */
  heapAfterGcGrowthMb?: number;
  failure?: string;
}

/** Live heap after a full collection, when the campaign runs with NODE_OPTIONS=--expose-gc. */
function heapAfterGc(): number | undefined {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return undefined;
  gc();
  return process.memoryUsage().heapUsed;
}

const mb = (bytes: number): number => Math.round(bytes / 1024 / 1024);

/**
 * Runs `check` on inputs from `arbitrary` until the campaign's runs or time are spent. An input
 * fails if `check` throws, if it takes longer than the per-input budget, or if a promise
 * rejection nobody handled surfaced while it ran; fast-check then shrinks it. Returns the
 * campaign's measurements; throws fast-check's report (seed, path, minimal input) on failure.
 */
export interface CampaignHooks<T> {
  /** A short description of an input, never its content, for the slowest-input line. */
  describe: (input: T) => string;
  /** The input as bytes, saved under FUZZ_SAVE_DIR so that a crash or hang can be kept as a fixture. */
  bytesOf?: (input: T) => Buffer | string;
}

export async function runCampaign<T>(
  name: string,
  settings: FuzzSettings,
  arbitrary: fc.Arbitrary<T>,
  check: (input: T) => Promise<void> | void,
  hooks: CampaignHooks<T>,
): Promise<CampaignResult> {
  const saveDir = process.env['FUZZ_SAVE_DIR'];
  const save = (suffix: string, input: T): void => {
    if (saveDir && hooks.bytesOf) writeFileSync(join(saveDir, `${name}.${suffix}`), hooks.bytesOf(input));
  };
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);

  const heapStart = heapAfterGc();
  const started = performance.now();
  const rssStart = process.memoryUsage.rss();
  let rssPeak = rssStart;
  let inputs = 0;
  let slowestMs = 0;
  let slowestWallMs = 0;
  let slowestInput = '';

  const property = fc.asyncProperty(arbitrary, async (input) => {
    // Written before it runs, so that an input that hangs the process is on disk too.
    save('current', input);
    try {
      const before = performance.now();
      const cpuBefore = process.cpuUsage();
      await check(input);
      const cpu = process.cpuUsage(cpuBefore);
      // The budget is on CPU time, which other jobs on a shared CI machine do not inflate; wall
      // time gets a wider allowance, and a promise that never settles meets fc.timeout below.
      const elapsed = (cpu.user + cpu.system) / 1000;
      const wall = performance.now() - before;
      // Rejections nobody awaited surface on a later turn of the event loop: give them one.
      await nextTurn();
      inputs++;
      rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
      if (elapsed > slowestMs) {
        [slowestMs, slowestWallMs, slowestInput] = [elapsed, wall, hooks.describe(input)];
        save('slowest', input);
      }
      if (unhandled.length > 0) {
        const reason = unhandled.splice(0).at(0);
        throw new Error(`an unhandled promise rejection surfaced while this input ran: ${String(reason)}`, { cause: reason });
      }
      if (elapsed > settings.inputBudgetMs) throw new Error(`this input took ${Math.round(elapsed)} ms of CPU, over the ${settings.inputBudgetMs} ms budget`);
      if (wall > settings.inputBudgetMs * WALL_ALLOWANCE) {
        throw new Error(`this input took ${Math.round(wall)} ms, over ${WALL_ALLOWANCE} times the ${settings.inputBudgetMs} ms budget`);
      }
    } catch (error) {
      // Shrinking ends on the smallest failing input, so the last one saved is the minimal one.
      save('failing', input);
      throw error;
    }
  });

  let failure: string | undefined;
  try {
    await fc.assert(property, {
      seed: settings.seed,
      numRuns: settings.numRuns,
      includeErrorInReport: true,
      plugins: [
        // A promise that never settles would otherwise hang the campaign: past this, the input fails.
        fc.timeout(Math.max(10_000, settings.inputBudgetMs * WALL_ALLOWANCE * 2)),
        fc.interruptAfterTimeLimit(settings.timeLimitMs),
      ],
    });
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }

  const heapEnd = heapAfterGc();
  const result: CampaignResult = {
    name,
    seed: settings.seed,
    inputs,
    seconds: Math.round((performance.now() - started) / 100) / 10,
    slowestMs: Math.round(slowestMs),
    slowestWallMs: Math.round(slowestWallMs),
    slowestInput,
    rssStartMb: mb(rssStart),
    rssPeakMb: mb(rssPeak),
    rssGrowthMb: mb(rssPeak - rssStart),
    ...(heapStart !== undefined && heapEnd !== undefined ? { heapAfterGcGrowthMb: mb(heapEnd - heapStart) } : {}),
    ...(failure !== undefined ? { failure } : {}),
  };
  console.log(
    `[fuzz] ${name}: seed ${result.seed}, ${result.inputs} inputs in ${result.seconds} s; slowest ${result.slowestMs} ms CPU, ${result.slowestWallMs} ms wall (${result.slowestInput}); ` +
      `RSS ${result.rssStartMb} -> peak ${result.rssPeakMb} MB (+${result.rssGrowthMb})` +
      `${result.heapAfterGcGrowthMb !== undefined ? `; heap after GC +${result.heapAfterGcGrowthMb} MB` : ''}${failure ? '; FAILED' : ''}`,
  );
  const reportFile = process.env['FUZZ_REPORT'];
  if (reportFile) appendFileSync(reportFile, `${JSON.stringify(result)}\n`);
  if (failure !== undefined) throw new Error(`fuzz campaign ${name} failed:\n${failure}`);
  if (result.rssGrowthMb > settings.rssGrowthLimitMb) {
    throw new Error(`fuzz campaign ${name}: the resident set grew ${result.rssGrowthMb} MB, over the ${settings.rssGrowthLimitMb} MB bound`);
  }
  return result;
}

