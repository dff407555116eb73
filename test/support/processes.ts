/** Linux processes as /proc shows them: a relay's worker processes, how busy they are, whether they still live. */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessStat {
  pid: number;
  /** R running, S sleeping, T stopped, Z zombie... */
  state: string;
  parent: number;
  /** User and system CPU time, in clock ticks. */
  cpuTicks: number;
  /** User and system CPU time of the children it has reaped (a worker that exited still counts), in clock ticks. */
  reapedChildrenTicks: number;
  /** Resident memory, in pages. */
  residentPages: number;
}

/** /proc/<pid>/stat, or undefined once the process is gone. */
export function processStat(pid: number): ProcessStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces: fields after it are split from its end.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return {
    pid,
    state: fields[0]!,
    parent: Number(fields[1]),
    cpuTicks: Number(fields[11]) + Number(fields[12]),
    reapedChildrenTicks: Number(fields[13]) + Number(fields[14]),
    residentPages: Number(fields[21]),
  };
}

/** Every process as it is now (those that exit while being read are left out). */
export function allProcesses(): ProcessStat[] {
  const stats: ProcessStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = processStat(Number(entry));
    if (stat) stats.push(stat);
  }
  return stats;
}

/** Living (not zombie) processes whose parent is `parent`. */
export function childProcesses(parent: number): number[] {
  return allProcesses()
    .filter((stat) => stat.parent === parent && stat.state !== 'Z')
    .map((stat) => stat.pid);
}

/** Whether `pid` is still a process that can run (not gone, not a zombie). */
export function isAlive(pid: number): boolean {
  const stat = processStat(pid);
  return stat !== undefined && stat.state !== 'Z';
}

/**
 * The child of `parent` using the most CPU over `sampleMs` (at least `minTicks` ticks of it),
 * polling until `ms` have passed: the worker process busy with a message.
 */
export async function busyChild(parent: number, { sampleMs = 200, minTicks = 5, ms = 15_000 } = {}): Promise<number> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const before = new Map(childProcesses(parent).map((pid) => [pid, processStat(pid)?.cpuTicks ?? 0]));
    await new Promise((resolve) => setTimeout(resolve, sampleMs));
    let busiest: { pid: number; ticks: number } | undefined;
    for (const [pid, ticks] of before) {
      const used = (processStat(pid)?.cpuTicks ?? ticks) - ticks;
      if (used >= minTicks && (!busiest || used > busiest.ticks)) busiest = { pid, ticks: used };
    }
    if (busiest) return busiest.pid;
  }
  throw new Error(`no child process of ${parent} was busy within ${ms} ms (children: ${childProcesses(parent).join(', ') || 'none'})`);
}

/** Resolves once `pid` has gone (or is a zombie), or rejects after `ms`. */
export async function waitForExit(pid: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (isAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`process ${pid} is still there after ${ms} ms (state ${processStat(pid)?.state})`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
