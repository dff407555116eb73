/**
 * Reads the pupil roster from MIS CSV exports. A bad row is reported with its file and line
 * and skipped; only a missing file, or one with no usable name columns, is an error.
 * Exports in long format (one row per pupil and contact) are merged into one pupil.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parse } from 'csv-parse/sync';
import { isValidUpn } from '../identifiers/checks.js';
import { hasNameColumns, mapColumns, NAME_COLUMNS_HELP, type ColumnMap, type RosterField } from './columns.js';
import { decodeTextBytes, type TextEncodingName } from '../text/decode-bytes.js';

export interface RosterPupil {
  /**
   * Opaque: a keyed hash of the UPN (or MIS id, or name), so it cannot be turned back into
   * either without the key. Stable for as long as the key is (see LoadRosterOptions).
   */
  id: string;
  upn?: string;
  /** The MIS's own id (admission number), which joins the rows of a long-format export. */
  misId?: string;
  /** Legal forename first, then the preferred one when it differs. */
  forenames: string[];
  /** Legal surname first, then the preferred one when it differs. */
  surnames: string[];
  middleNames?: string;
  /** ISO yyyy-mm-dd. */
  dateOfBirth?: string;
  yearGroup?: string;
  /** Parent/carer addresses, lower case. */
  contacts: string[];
}

export interface RosterProblem {
  file: string;
  line: number;
  problem: string;
}

export interface RosterFileSummary {
  file: string;
  encoding: TextEncodingName;
  rows: number;
  pupils: number;
  problems: number;
}

export interface RosterData {
  pupils: RosterPupil[];
  problems: RosterProblem[];
  files: RosterFileSummary[];
}

/** The roster cannot be used at all: the relay refuses to start on it, or keeps the previous roster. */
export class RosterError extends Error {
  override readonly name = 'RosterError';
}

/** Title rows above the header (SIMS report titles) are skipped; the header is within this many records. */
const HEADER_SEARCH_RECORDS = 10;
const EMAIL = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;

export interface LoadRosterOptions {
  /**
   * The key for pupil ids. The relay makes one when it starts, so ids stay the same across
   * roster reloads; by default a new random key for each load.
   */
  idKey?: Buffer;
}

export function loadRosterFiles(files: readonly string[], options: LoadRosterOptions = {}): RosterData {
  const idKey = options.idKey ?? randomBytes(32);
  const merged = new Map<string, RosterPupil>();
  const problems: RosterProblem[] = [];
  const summaries: RosterFileSummary[] = [];
  files.forEach((file, fileIndex) => {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new RosterError(`roster ${file}: ${code === 'ENOENT' ? 'no such file' : `cannot be read (${code ?? String(error)})`}`);
    }
    summaries.push(readRosterFile(bytes, file, fileIndex, idKey, merged, problems));
  });
  return { pupils: [...merged.values()], problems, files: summaries };
}

function readRosterFile(
  bytes: Buffer,
  file: string,
  fileIndex: number,
  idKey: Buffer,
  merged: Map<string, RosterPupil>,
  problems: RosterProblem[],
): RosterFileSummary {
  const { text, encoding } = decodeTextBytes(bytes);
  const name = basename(file);
  const problemsBefore = problems.length;
  const report = (line: number, problem: string): void => void problems.push({ file: name, line, problem });

  const unreadable: Array<{ endLine: number; message: string }> = [];
  const records = parse(text, {
    delimiter: guessDelimiter(text),
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    info: true,
    on_skip: (error) => {
      unreadable.push({ endLine: Number(error?.['lines'] ?? 0), message: error?.message.replace(/ at line \d+/, '') ?? 'skipped' });
      return undefined;
    },
  }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
  // The parser knows where a broken record ended; the row it broke starts after the last good one.
  for (const { endLine, message } of unreadable) {
    const startLine = records.reduce((last, { info }) => (info.lines < endLine && info.lines > last ? info.lines : last), 0) + 1;
    report(startLine, `unreadable CSV row${endLine > startLine ? ` (to line ${endLine})` : ''}: ${message}; skipped`);
  }

  const headerAt = records.slice(0, HEADER_SEARCH_RECORDS).findIndex(({ record }) => hasNameColumns(mapColumns(record)));
  if (headerAt < 0) {
    throw new RosterError(`roster ${file}: no usable name columns in the first ${HEADER_SEARCH_RECORDS} rows; it needs ${NAME_COLUMNS_HELP}`);
  }
  const columns = mapColumns(records[headerAt]!.record);
  const pupilKeys = new Set<string>();
  let rows = 0;
  for (const { record, info } of records.slice(headerAt + 1)) {
    if (record.every((cell) => cell.trim() === '')) continue;
    rows++;
    const row = readRow(record, columns, (problem) => report(info.lines, problem));
    if (!row) continue;
    const key = pupilKey(row, fileIndex);
    pupilKeys.add(key);
    const existing = merged.get(key);
    if (existing) mergeInto(existing, row);
    else merged.set(key, { ...row, id: `p${createHmac('sha256', idKey).update(key).digest('hex').slice(0, 12)}` });
  }
  const fileProblems = problems.splice(problemsBefore).sort((a, b) => a.line - b.line);
  problems.push(...fileProblems);
  return { file: name, encoding, rows, pupils: pupilKeys.size, problems: fileProblems.length };
}

/** One pupil from one row, or undefined (reported) when the row names nobody. */
function readRow(record: string[], columns: ColumnMap, report: (problem: string) => void): Omit<RosterPupil, 'id'> | undefined {
  const cell = (field: RosterField): string => {
    const index = columns.fields[field];
    return index === undefined ? '' : (record[index] ?? '').trim().replace(/\s+/g, ' ');
  };
  const hasLegal = (field: RosterField): boolean => columns.fields[field] !== undefined;
  // An unqualified Forename beside a Legal Forename is the preferred one (Wonde); alone it is the legal one.
  const legalForename = cell('legalForename') || (hasLegal('legalForename') ? '' : cell('forename'));
  const preferredForename = cell('preferredForename') || (hasLegal('legalForename') ? cell('forename') : '');
  const legalSurname = cell('legalSurname') || (hasLegal('legalSurname') ? '' : cell('surname'));
  const preferredSurname = cell('preferredSurname') || (hasLegal('legalSurname') ? cell('surname') : '');
  const forenames = distinct([legalForename, preferredForename]);
  const surnames = distinct([legalSurname, preferredSurname]);
  if (forenames.length === 0 || surnames.length === 0) {
    report(`no ${forenames.length === 0 ? 'forename' : 'surname'}; row skipped`);
    return undefined;
  }

  const pupil: Omit<RosterPupil, 'id'> = { forenames, surnames, contacts: [] };
  const upn = cell('upn').toUpperCase().replace(/[\s-]/g, '');
  if (upn) {
    if (isValidUpn(upn)) pupil.upn = upn;
    else report('the UPN is not valid (13 characters with a DfE check letter); the pupil is kept without it');
  }
  const middleNames = cell('middleNames');
  if (middleNames) pupil.middleNames = middleNames;
  const dob = cell('dateOfBirth');
  if (dob) {
    const iso = parseDateOfBirth(dob);
    if (iso) pupil.dateOfBirth = iso;
    else report('the date of birth is not a date (dd/mm/yyyy or yyyy-mm-dd); the pupil is kept without it');
  }
  const year = cell('yearGroup');
  if (year) pupil.yearGroup = year;
  const misId = cell('misId');
  if (misId) pupil.misId = misId;

  for (const index of columns.contactEmails) {
    for (const candidate of (record[index] ?? '').split(/[;,\s]+/)) {
      const address = candidate.trim().replace(/^<|>$/g, '').toLowerCase();
      if (!address) continue;
      if (EMAIL.test(address)) pupil.contacts = distinct([...pupil.contacts, address]);
      else report('a contact email is not an email address; it is ignored');
    }
  }
  return pupil;
}

/** The same pupil on several rows (one per contact) shares this key. */
function pupilKey(row: Omit<RosterPupil, 'id'>, fileIndex: number): string {
  if (row.upn) return `upn:${row.upn}`;
  if (row.misId) return `mis:${fileIndex}:${row.misId}`;
  return `name:${fileIndex}:${row.forenames[0]!.toLowerCase()}|${row.surnames[0]!.toLowerCase()}|${row.dateOfBirth ?? ''}`;
}

function mergeInto(pupil: RosterPupil, row: Omit<RosterPupil, 'id'>): void {
  pupil.contacts = distinct([...pupil.contacts, ...row.contacts]);
  pupil.forenames = distinct([...pupil.forenames, ...row.forenames]);
  pupil.surnames = distinct([...pupil.surnames, ...row.surnames]);
  if (pupil.dateOfBirth === undefined && row.dateOfBirth !== undefined) pupil.dateOfBirth = row.dateOfBirth;
}

function distinct(values: string[]): string[] {
  const seen = new Set<string>();
  return values.filter((value) => {
    const key = value.toLowerCase();
    if (!value || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Comma unless the header line is tab-separated (Excel "Unicode Text"). Semicolons separate addresses, not columns. */
function guessDelimiter(text: string): string {
  const firstLines = text.slice(0, 4096).split(/\r?\n/, 12).join('\n');
  const tabs = firstLines.split('\t').length;
  const commas = firstLines.split(',').length;
  return tabs > commas ? '\t' : ',';
}

/** dd/mm/yyyy (also - and .), d/m/yyyy, yyyy-mm-dd with an optional time: the UK order, never the US one. */
export function parseDateOfBirth(value: string): string | undefined {
  let day: number, month: number, year: number;
  let match = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][\d:.]+Z?)?$/.exec(value);
  if (match) [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  else {
    match = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?: [\d:]+)?$/.exec(value);
    if (!match) return undefined;
    [day, month, year] = [Number(match[1]), Number(match[2]), Number(match[3])];
  }
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  if (year < 1900 || year > 2100) return undefined;
  return date.toISOString().slice(0, 10);
}
