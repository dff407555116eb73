import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import workerpool from 'workerpool';
import type { DlpConfig } from '../config/load.js';
import type { Envelope } from '../engine/types.js';
import type { InspectionOutcome, InspectionStarted, InspectionTask, RosterCheck } from './inspection-protocol.js';

export type { InspectionOutcome };

/** workerpool waits this long for a cancelled task's process to clean up, then as long again for it to exit after SIGTERM. */
const WORKER_TERMINATE_TIMEOUT_MS = 1_000;
const KILL_STUCK_WORKER_AFTER_MS = 2 * WORKER_TERMINATE_TIMEOUT_MS + 500;
/** close() waits this long for workerpool to end its processes, then kills what is left. */
const CLOSE_WAIT_MS = 3_000;

/**
 * SIGKILL for an inspection process that did not end when asked. Only a child of this process
 * is killed: a process id can be reused once the worker has gone, and the id may belong to
 * something else by then. (Read from /proc; where there is none, the id is trusted.)
 */
function killIfStillThere(pid: number): void {
  if (!isOurChild(pid)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone: it was not stuck
  }
}

function isOurChild(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch (error) {
    // No /proc here (not Linux): trust the id. No such process: nothing to kill.
    return (error as NodeJS.ErrnoException).code !== 'ENOENT' || !existsSync('/proc/self/stat');
  }
  // pid (comm) state ppid ...: comm may hold spaces and brackets, so read after its last ')'.
  const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  return ppid === process.pid;
}

/** What the plugin asks of inspection; the pool below is the real one. */
export interface Inspector {
  /** Later inspections judge by this (already validated) configuration and accepted roster snapshot ('' for none). */
  use(config: DlpConfig, rosterSnapshot: string): void;
  /**
   * Aborting `signal` takes a waiting message out of the queue, or kills the process inspecting
   * it. `started` is called when a process begins on the message (it may wait for one first).
   */
  inspect(raw: Buffer, envelope: Envelope, reference: string, signal: AbortSignal, started?: () => void): Promise<InspectionOutcome>;
  /** How many processes there are, how many are busy, and how many messages wait for one. */
  stats(): { processes: number; busy: number; waiting: number };
  /** Reads roster files off the relay's event loop into a snapshot in `snapshotDir`; rejects with the reason when they cannot be used. */
  checkRoster(files: readonly string[], idKey: Buffer, snapshotDir: string): Promise<RosterCheck>;
  close(): Promise<void>;
}

/**
 * Inspects messages in worker processes, so that parsing and detection never block the
 * relay's event loop. Aborting a task (the time budget) kills the process doing it, and a
 * crashed process fails only its own task; the pool starts fresh ones as needed.
 *
 * Processes, not threads: the re2 addon crashes the whole process when a thread that loaded
 * it is terminated and another loads it (node-re2 1.23 on Node 20), and killing is exactly
 * what the time budget needs to do.
 */
export class InspectionPool implements Inspector {
  private readonly pool: workerpool.Pool;
  private rosterSnapshot = '';
  /** Processes that have run a task: the ones close() makes sure are gone. */
  private readonly processIds = new Set<number>();

  constructor(
    private config: DlpConfig,
    processes: number = config.inspection.workers,
  ) {
    this.pool = workerpool.pool(fileURLToPath(new URL('./inspection-worker.js', import.meta.url)), {
      workerType: 'process',
      maxWorkers: processes,
      // Structured clone over IPC: the message travels as bytes, not as a JSON array of numbers.
      forkOpts: { serialization: 'advanced' },
      workerTerminateTimeout: WORKER_TERMINATE_TIMEOUT_MS,
    });
  }

  /** Processes reload the configuration and roster on their next task. */
  use(config: DlpConfig, rosterSnapshot: string): void {
    this.config = config;
    this.rosterSnapshot = rosterSnapshot;
  }

  stats(): { processes: number; busy: number; waiting: number } {
    const stats = this.pool.stats();
    return { processes: stats.totalWorkers, busy: stats.busyWorkers, waiting: stats.pendingTasks };
  }

  checkRoster(files: readonly string[], idKey: Buffer, snapshotDir: string): Promise<RosterCheck> {
    return Promise.resolve(this.pool.exec('checkRoster', [[...files], idKey.toString('hex'), snapshotDir]) as PromiseLike<RosterCheck>);
  }

  inspect(raw: Buffer, envelope: Envelope, reference: string, signal: AbortSignal, started?: () => void): Promise<InspectionOutcome> {
    const task: InspectionTask = {
      configDir: this.config.configDir,
      configText: this.config.configText,
      rosterSnapshot: this.rosterSnapshot,
      raw: new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength),
      envelope,
      reference,
    };
    let workerPid: number | undefined;
    let settled = false;
    const running = this.pool.exec('inspect', [task], {
      on: (event: InspectionStarted) => {
        workerPid = event.pid;
        this.processIds.add(event.pid);
        started?.();
      },
    });
    const abort = (): void => {
      if (settled) return;
      void running.cancel();
      // workerpool ends a cancelled task's process, at worst with SIGTERM, which a stopped or
      // wedged process never acts on: it would keep its place in the pool for ever. Once
      // workerpool has given up waiting, SIGKILL whatever is left; it then sees the exit it waits for.
      if (workerPid !== undefined) setTimeout(killIfStillThere, KILL_STUCK_WORKER_AFTER_MS, workerPid).unref();
    };
    if (signal.aborted) abort();
    else signal.addEventListener('abort', abort, { once: true });
    return Promise.resolve(running as PromiseLike<InspectionOutcome>).finally(() => {
      settled = true;
      signal.removeEventListener('abort', abort);
    });
  }

  /** Ends every process; one that does not end when asked (stopped, or stuck) is killed. */
  async close(): Promise<void> {
    // The pool's own list (a process may never have said it started: stopped while reading its task).
    for (const handler of (this.pool as unknown as { workers?: Array<{ worker?: { pid?: number } }> }).workers ?? []) {
      if (handler.worker?.pid) this.processIds.add(handler.worker.pid);
    }
    const terminated = this.pool.terminate(true).then(() => true, () => true);
    const ended = await Promise.race([terminated, new Promise<false>((resolve) => setTimeout(resolve, CLOSE_WAIT_MS, false).unref())]);
    // A process workerpool has let go of may still be there (stopped, or ignoring SIGTERM).
    if (!ended || this.processIds.size > 0) for (const pid of this.processIds) killIfStillThere(pid);
  }
}
