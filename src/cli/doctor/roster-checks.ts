/**
 * The roster: each configured file is there, loads, and is recent. A stale export means new
 * pupils' names and parents' addresses are not recognised; bad rows are pupils left out.
 */
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import type { DlpConfig } from '../../config/load.js';
import { loadRosterFiles, type RosterData } from '../../roster/load-roster.js';
import { fail, ok, warn, type CheckResult } from './check-result.js';

const DAY_MS = 86_400_000;
/** Rosters are exported weekly at least; past this, pupils who joined since are not protected. */
export const ROSTER_MAX_AGE_DAYS = 8;
const BAD_LINES_SHOWN = 5;

export function checkRoster(config: DlpConfig, now: Date): CheckResult[] {
  if (config.rosterFiles.length === 0) {
    return [
      warn(
        'roster',
        'no roster is configured: pupil names, and their parents\' and carers\' addresses, are not recognised (identifiers such as UPNs still are)',
        'export the pupil roster from the MIS as CSV (names, UPN, date of birth, contact emails), put it in the configuration directory and name it in dlp.yaml (roster: file: roster.csv)',
      ),
    ];
  }
  return config.rosterFiles.map((file) => checkRosterFile(file, now));
}

function checkRosterFile(file: string, now: Date): CheckResult {
  const check = `roster:${basename(file)}`;
  let data: RosterData;
  let modified: Date;
  try {
    modified = statSync(file).mtime;
    data = loadRosterFiles([file]);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (!code) return fail(check, `${error instanceof Error ? error.message : String(error)}: the relay will not start with it`, 'export it again from the MIS, with its header row of column names');
    const why = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`;
    return fail(check, `${file} ${why}: the relay will not start with it`, `put the MIS export at ${file} (readable by the relay's user), or correct roster: in dlp.yaml`);
  }
  const summary = data.files[0]!;
  const days = Math.floor((now.getTime() - modified.getTime()) / DAY_MS);
  const facts = [`${summary.pupils} pupils from ${summary.rows} rows (${summary.encoding})`];
  const fixes: string[] = [];
  if (data.problems.length > 0) {
    const lines = [...new Set(data.problems.map((p) => p.line))];
    const shown = lines.slice(0, BAD_LINES_SHOWN).join(', ');
    facts.push(`${data.problems.length} problem${data.problems.length === 1 ? '' : 's'} in rows (line${lines.length === 1 ? '' : 's'} ${shown}${lines.length > BAD_LINES_SHOWN ? ', ...' : ''})`);
    fixes.push("correct those pupils' records in the MIS and export again (the relay's log says what is wrong with each row)");
  }
  facts.push(`exported ${days} day${days === 1 ? '' : 's'} ago (${modified.toISOString().slice(0, 10)})`);
  if (days > ROSTER_MAX_AGE_DAYS) fixes.push(`export it again from the MIS (older than ${ROSTER_MAX_AGE_DAYS} days, so pupils who joined since are not recognised), and schedule the export weekly`);
  const message = `${file}: ${facts.join('; ')}`;
  return fixes.length > 0 ? warn(check, message, fixes.join('; ')) : ok(check, message);
}
