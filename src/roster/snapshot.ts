/**
 * A roster the relay has accepted, frozen as a file that inspection processes load. A
 * process started later (after a crash or a time-budget kill) loads the same accepted
 * roster, never whatever happens to be in the CSV at that moment.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RosterPupil } from './load-roster.js';

export function writeRosterSnapshot(dir: string, pupils: readonly RosterPupil[]): string {
  const path = join(dir, `roster-${Date.now()}-${randomBytes(4).toString('hex')}.json`);
  writeFileSync(`${path}.tmp`, JSON.stringify(pupils), { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
  return path;
}

export function readRosterSnapshot(path: string): RosterPupil[] {
  return JSON.parse(readFileSync(path, 'utf8')) as RosterPupil[];
}
