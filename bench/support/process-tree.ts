/**
 * Resident memory and CPU time of a process and its children (Haraka and its inspection
 * workers), read from Linux's /proc. Peak resident memory is sampled, so that workers that
 * come and go are counted while they live.
 */
import { allProcesses } from '../../test/support/processes.js';

const PAGE_KB = 4;
const TICKS_PER_S = 100;

interface ProcStat {
  pid: number;
  rssKb: number;
  /** Its own CPU time and that of children it has reaped (a worker that exited still counts). */
  cpuMs: number;
}

/** The process and its descendants as they are now. */
export function processTree(root: number): ProcStat[] {
  const all = allProcesses();
  const tree = all.filter((s) => s.pid === root);
  for (let i = 0; i < tree.length; i++) tree.push(...all.filter((s) => s.parent === tree[i]!.pid));
  return tree.map((s) => ({ pid: s.pid, rssKb: s.residentPages * PAGE_KB, cpuMs: ((s.cpuTicks + s.reapedChildrenTicks) * 1000) / TICKS_PER_S }));
}

/** Peak resident memory (the main process, and the whole tree at once) between start() and stop(). */
export class PeakMemorySampler {
  private timer?: NodeJS.Timeout;
  peakMainMb = 0;
  peakTreeMb = 0;
  peakProcesses = 0;

  constructor(
    private readonly root: number,
    private readonly everyMs = 20,
  ) {}

  start(): this {
    const sample = (): void => {
      const tree = processTree(this.root);
      const main = tree.find((s) => s.pid === this.root);
      this.peakMainMb = Math.max(this.peakMainMb, (main?.rssKb ?? 0) / 1024);
      this.peakTreeMb = Math.max(this.peakTreeMb, tree.reduce((sum, s) => sum + s.rssKb, 0) / 1024);
      this.peakProcesses = Math.max(this.peakProcesses, tree.length);
    };
    sample();
    this.timer = setInterval(sample, this.everyMs);
    return this;
  }

  stop(): { main_mb: number; tree_mb: number; processes: number } {
    clearInterval(this.timer);
    return { main_mb: Math.round(this.peakMainMb), tree_mb: Math.round(this.peakTreeMb), processes: this.peakProcesses };
  }
}

/** CPU time (user + system) used so far by the process and its living children. */
export function treeCpuMs(root: number): number {
  return processTree(root).reduce((sum, s) => sum + s.cpuMs, 0);
}
