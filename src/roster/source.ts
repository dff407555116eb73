/**
 * Loading the configured roster for the engine, and what the relay logs about it.
 */
import { statSync } from 'node:fs';
import type { DlpConfig } from '../config/load.js';
import { loadRosterFiles, type LoadRosterOptions, type RosterData, type RosterProblem } from './load-roster.js';
import { Roster } from './roster.js';

/** The roster of a configuration, ready for inspection: empty when no roster file is configured. */
export function loadRoster(config: DlpConfig, options: LoadRosterOptions = {}): { roster: Roster; data: RosterData } {
  const data = loadRosterFiles(config.rosterFiles, options);
  return { roster: new Roster(data.pupils, config.personalData.commonWords), data };
}

/** Changes whenever a roster file is replaced or rewritten: size, modification time and inode. */
export function rosterStamp(files: readonly string[]): string {
  return files
    .map((file) => {
      try {
        const stat = statSync(file);
        return `${file}:${stat.size}:${stat.mtimeMs}:${stat.ino}`;
      } catch {
        return `${file}:missing`;
      }
    })
    .join('|');
}

/** What the relay logs after loading a roster: counts, and bad rows by file and line (never their content). */
export interface RosterSummary {
  pupils: number;
  contacts: number;
  files: RosterData['files'];
  problemCount: number;
  /** The first few problems; the rest are counted. */
  problems: RosterProblem[];
}

const PROBLEMS_SHOWN = 20;

export function summariseRoster(data: RosterData): RosterSummary {
  return {
    pupils: data.pupils.length,
    contacts: new Set(data.pupils.flatMap((p) => p.contacts)).size,
    files: data.files,
    problemCount: data.problems.length,
    problems: data.problems.slice(0, PROBLEMS_SHOWN),
  };
}

export function describeRosterSummary(summary: RosterSummary): string[] {
  const lines = [
    `roster: ${summary.pupils} pupils, ${summary.contacts} parent/carer addresses from ${summary.files
      .map((f) => `${f.file} (${f.rows} rows, ${f.encoding})`)
      .join(', ')}`,
  ];
  for (const p of summary.problems) lines.push(`roster: ${p.file} line ${p.line}: ${p.problem}`);
  if (summary.problemCount > summary.problems.length) {
    lines.push(`roster: ... and ${summary.problemCount - summary.problems.length} more rows with problems`);
  }
  return lines;
}
