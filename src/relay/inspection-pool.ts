import { fileURLToPath } from 'node:url';
import workerpool from 'workerpool';
import type { DlpConfig } from '../config/load.js';
import type { Envelope, Verdict } from '../engine/types.js';
import type { SenderNoticeFacts } from '../notify/facts.js';
import type { ReviewDocument } from '../quarantine/types.js';
import type { InspectionTask, RosterCheck } from './inspection-worker.js';

/** A verdict, and for a message to be held, what its reviewer will be shown. */
export interface InspectionOutcome {
  verdict: Verdict;
  review?: ReviewDocument;
  /** For any verdict but pass: what the sender's guidance email needs of the message. */
  notice?: SenderNoticeFacts;
}

/** What the plugin asks of inspection; the pool below is the real one. */
export interface Inspector {
  /** Later inspections judge by this (already validated) configuration and accepted roster snapshot ('' for none). */
  use(config: DlpConfig, rosterSnapshot: string): void;
  inspect(raw: Buffer, envelope: Envelope, reference: string, signal: AbortSignal): Promise<InspectionOutcome>;
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

  constructor(
    private config: DlpConfig,
    processes: number = config.inspection.workers,
  ) {
    this.pool = workerpool.pool(fileURLToPath(new URL('./inspection-worker.js', import.meta.url)), {
      workerType: 'process',
      maxWorkers: processes,
      // Structured clone over IPC: the message travels as bytes, not as a JSON array of numbers.
      forkOpts: { serialization: 'advanced' },
    });
  }

  /** Processes reload the configuration and roster on their next task. */
  use(config: DlpConfig, rosterSnapshot: string): void {
    this.config = config;
    this.rosterSnapshot = rosterSnapshot;
  }

  checkRoster(files: readonly string[], idKey: Buffer, snapshotDir: string): Promise<RosterCheck> {
    return Promise.resolve(this.pool.exec('checkRoster', [[...files], idKey.toString('hex'), snapshotDir]) as PromiseLike<RosterCheck>);
  }

  inspect(raw: Buffer, envelope: Envelope, reference: string, signal: AbortSignal): Promise<InspectionOutcome> {
    const task: InspectionTask = {
      configDir: this.config.configDir,
      configText: this.config.configText,
      rosterSnapshot: this.rosterSnapshot,
      raw: new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength),
      envelope,
      reference,
    };
    const running = this.pool.exec('inspect', [task]);
    const abort = (): void => void running.cancel();
    if (signal.aborted) abort();
    else signal.addEventListener('abort', abort, { once: true });
    return Promise.resolve(running as PromiseLike<InspectionOutcome>).finally(() => signal.removeEventListener('abort', abort));
  }

  async close(): Promise<void> {
    await this.pool.terminate(true);
  }
}
