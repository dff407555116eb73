/**
 * Keeps the roster in force for the relay: loads it at start-up, watches its files, reads a
 * changed file in an inspection process (off Haraka's event loop), and puts it in force
 * only when it is complete and plausible. Inspection processes load the accepted snapshot,
 * so a bad or half-written export never reaches them.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, unlink, unwatchFile, watchFile, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRosterFiles } from '../roster/load-roster.js';
import { writeRosterSnapshot } from '../roster/snapshot.js';
import { describeRosterSummary, rosterStamp, summariseRoster, type RosterSummary } from '../roster/source.js';
import type { Inspector } from './inspection-pool.js';

export interface RelayLog {
  info(message: string): void;
  warn(message: string): void;
  crit(message: string): void;
}

interface InForce {
  files: readonly string[];
  /** When the newest of the files was written (the export's age); undefined without a roster. */
  exportedAt?: Date;
  stamp: string;
  /** '' when no roster is configured. */
  snapshot: string;
  pupils: number;
}

/** Roster files are polled this often; a change must then hold still this long before it is read. */
const POLL_MS = 2_000;
const SETTLE_MS = 1_000;
/** A snapshot replaced by a newer one is deleted after this, when no task can still be reading it. */
const OLD_SNAPSHOT_GRACE_MS = 120_000;

export class RosterKeeper {
  // Pupil ids are keyed hashes: one key for the life of the relay keeps them stable across reloads.
  private readonly idKey = randomBytes(32);
  private readonly dir = mkdtempSync(join(tmpdir(), 'dlp-roster-'));
  private inForce: InForce = { files: [], stamp: '', snapshot: '', pupils: 0 };
  private unwatch: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly inspector: Inspector,
    private readonly log: RelayLog,
    /** Called with the snapshot to inspect with once a changed roster is in force. */
    private readonly onChange: (snapshot: string) => void,
  ) {}

  get snapshot(): string {
    return this.inForce.snapshot;
  }

  /** The roster in force: its files, pupils, and when the newest file was written. */
  get state(): { files: readonly string[]; pupils: number; exportedAt?: Date } {
    const { files, pupils, exportedAt } = this.inForce;
    return { files, pupils, ...(exportedAt ? { exportedAt } : {}) };
  }

  /** At start-up, before serving: throws (and the relay does not start) when the roster cannot be used. */
  loadAtStart(files: readonly string[]): string {
    const stamp = rosterStamp(files);
    const data = loadRosterFiles(files, { idKey: this.idKey });
    const snapshot = files.length > 0 ? writeRosterSnapshot(this.dir, data.pupils) : '';
    this.putInForce({ files, stamp, snapshot, pupils: data.pupils.length }, summariseRoster(data));
    return snapshot;
  }

  /**
   * For a changed dlp.yaml: the snapshot to inspect with. The same files keep the roster in
   * force; other files are read now, and a roster that cannot be used rejects.
   */
  async forFiles(files: readonly string[]): Promise<string> {
    if (sameFiles(files, this.inForce.files)) return this.inForce.snapshot;
    if (files.length === 0) {
      this.putInForce({ files, stamp: '', snapshot: '', pupils: 0 }, undefined);
      return '';
    }
    const stamp = rosterStamp(files);
    const { summary, snapshot } = await this.inspector.checkRoster(files, this.idKey, this.dir);
    this.putInForce({ files, stamp, snapshot, pupils: summary.pupils }, summary);
    return snapshot;
  }

  close(): void {
    this.closed = true;
    this.unwatch?.();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private putInForce(next: InForce, summary: RosterSummary | undefined): void {
    const previous = this.inForce;
    const written = next.files.map((f) => statSyncOrUndefined(f)?.mtimeMs ?? 0);
    if (written.length > 0) next.exportedAt = new Date(Math.max(...written));
    this.inForce = next;
    if (previous.snapshot && previous.snapshot !== next.snapshot) {
      setTimeout(() => unlink(previous.snapshot, () => undefined), OLD_SNAPSHOT_GRACE_MS).unref();
    }
    if (summary) for (const line of describeRosterSummary(summary)) (summary.problemCount > 0 ? this.log.warn : this.log.info)(`dlp: ${line}`);
    if (next.files.length === 0) {
      this.log.warn('dlp: no roster configured (roster.file in dlp.yaml): pupil names and parent/carer contacts are not checked');
    }
    if (!sameFiles(previous.files, next.files) || !this.unwatch) this.watch(next.files);
  }

  private watch(files: readonly string[]): void {
    this.unwatch?.();
    let running: Promise<void> | undefined;
    let again = false;
    const changed = (): void => {
      if (running) {
        again = true;
        return;
      }
      running = this.reload(files).finally(() => {
        running = undefined;
        if (again && !this.closed) {
          again = false;
          changed();
        }
      });
    };
    for (const file of files) watchFile(file, { interval: POLL_MS, persistent: false }, changed);
    // watchFile compares with its first stat, taken a moment from now: catch a change made before it.
    const firstLook = setTimeout(changed, POLL_MS).unref();
    this.unwatch = () => {
      clearTimeout(firstLook);
      for (const file of files) unwatchFile(file, changed);
    };
  }

  /** A roster file changed: read it when it has stopped changing, and put it in force if it is plausible. */
  private async reload(files: readonly string[]): Promise<void> {
    const before = rosterStamp(files);
    if (before === this.inForce.stamp) return;
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    // Still being written (an export in progress): the watcher calls again when it has changed.
    if (rosterStamp(files) !== before || this.closed || !sameFiles(files, this.inForce.files)) return;

    let check;
    try {
      check = await this.inspector.checkRoster(files, this.idKey, this.dir);
    } catch (error) {
      this.log.crit(`dlp: a roster file changed but cannot be used; the previous roster stays in force. ${errorText(error)}`);
      return;
    }
    const refuse = (why: string): void => {
      unlink(check.snapshot, () => undefined);
      this.log.crit(`dlp: a roster file changed but ${why}; the previous roster (${this.inForce.pupils} pupils) stays in force`);
    };
    if (rosterStamp(files) !== before || this.closed || !sameFiles(files, this.inForce.files)) return refuse('changed again while it was read');
    const { pupils } = check.summary;
    if (pupils === 0) return refuse('has no pupils');
    // An export cut short (a full disk, a failed MIS report) must not quietly unprotect most pupils.
    if (pupils < this.inForce.pupils / 2) {
      return refuse(`has ${pupils} pupils, fewer than half of the ${this.inForce.pupils} in force (if that is right, restart the relay to use it)`);
    }
    this.putInForce({ files, stamp: before, snapshot: check.snapshot, pupils }, check.summary);
    this.log.info('dlp: roster reloaded');
    this.onChange(check.snapshot);
  }
}

function sameFiles(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((file, i) => file === b[i]);
}

function errorText(error: unknown): string {
  return String(error instanceof Error ? error.message : error);
}

function statSyncOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
