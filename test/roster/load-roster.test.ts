import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRosterFiles, parseDateOfBirth, RosterError, type RosterPupil } from '../../src/roster/load-roster.js';
import { FIXTURES } from '../support/paths.js';

const fixture = (name: string): string => join(FIXTURES, 'roster', name);
const summary = (p: RosterPupil): string =>
  [p.forenames.join('/'), p.surnames.join('/'), p.dateOfBirth ?? '-', p.upn ?? '-', p.contacts.join(' ') || '-'].join(' | ');

describe('roster import', () => {
  it('reads a one-row-per-pupil export with preferred names and several contacts in one cell', () => {
    const { pupils, problems, files } = loadRosterFiles([fixture('riverside-primary.csv')]);
    expect(problems).toEqual([]);
    expect(files).toEqual([{ file: 'riverside-primary.csv', encoding: 'utf-8', rows: 7, pupils: 7, problems: 0 }]);
    expect(pupils.map(summary)).toContain('Thomas/Tom | Smith | 2015-02-04 | T330400525017 | mum.smith@gmail.com dad.smith@hotmail.co.uk');
    expect(pupils.map(summary)).toContain(
      'Oliver/Ollie | Brown-Whitfield/Whitfield | 2014-12-02 | E33040052501Z | brown.whitfield@btinternet.com j.whitfield@gmail.com',
    );
  });

  it('reads a Windows-1252 SIMS report with title rows, spaced headers and one row per contact', () => {
    const { pupils, problems, files } = loadRosterFiles([fixture('sims-long-format-windows-1252.csv')]);
    expect(problems).toEqual([]);
    expect(files[0]).toMatchObject({ encoding: 'windows-1252', rows: 4, pupils: 3 });
    expect(pupils.map(summary)).toEqual([
      'Zoë | O’Connor | 2016-03-15 | - | siobhan.oconnor@yahoo.co.uk declan.oconnor@gmail.com',
      // Forename beside Legal Forename is the preferred name; a quoted comma stays in the field.
      'Renée/Nay | Dupont | 2013-05-01 | - | rdupont@hotmail.com',
      'Liam | Smith, Jr/Smith | 2014-02-02 | - | -',
    ]);
  });

  it('reads Excel "Unicode Text" (UTF-16 with a BOM, tab-separated) and "CSV UTF-8" (with a BOM)', () => {
    const unicode = loadRosterFiles([fixture('excel-unicode-text.txt')]);
    expect(unicode.files[0]?.encoding).toBe('utf-16le');
    expect(unicode.pupils.map(summary)).toEqual([
      'Mohammed | Al-Hassan | 2013-11-22 | K938400324500 | a.alhassan@outlook.com',
      'Grace | Hall | 2014-09-01 | B801200005001 | hall.family@gmail.com grandma.hall@aol.com',
    ]);
    expect(loadRosterFiles([fixture('arbor-utf8-bom.csv')]).pupils.map(summary)).toEqual([
      'Jane | Smith | 2015-02-04 | H801200001001 | mum.smith@gmail.com',
    ]);
  });

  it('reports each bad row with its file and line, skips or repairs it, and keeps going', () => {
    const { pupils, problems } = loadRosterFiles([fixture('bad-rows.csv')]);
    expect(problems).toEqual([
      { file: 'bad-rows.csv', line: 3, problem: 'the UPN is not valid (13 characters with a DfE check letter); the pupil is kept without it' },
      { file: 'bad-rows.csv', line: 4, problem: 'no surname; row skipped' },
      { file: 'bad-rows.csv', line: 5, problem: 'the date of birth is not a date (dd/mm/yyyy or yyyy-mm-dd); the pupil is kept without it' },
      { file: 'bad-rows.csv', line: 6, problem: 'the date of birth is not a date (dd/mm/yyyy or yyyy-mm-dd); the pupil is kept without it' },
      { file: 'bad-rows.csv', line: 6, problem: 'a contact email is not an email address; it is ignored' },
      { file: 'bad-rows.csv', line: 7, problem: expect.stringMatching(/^unreadable CSV row \(to line 8\): Quote Not Closed.*; skipped$/) },
    ]);
    expect(pupils.map(summary)).toEqual([
      'Jane | Smith | 2015-02-04 | H801200001001 | mum.smith@gmail.com',
      'Bad | Upn | 2015-01-01 | - | -',
      'Ava | Patel | - | - | -',
      'Noah | Khan | - | - | noah.mum@gmail.com',
    ]);
    // Problems name the file and line, never a pupil's details.
    expect(JSON.stringify(problems)).not.toMatch(/Ava|Patel|A801200005001|noah/);
  });

  it('refuses a missing file or one with no name columns', () => {
    expect(() => loadRosterFiles([fixture('missing.csv')])).toThrow(RosterError);
    expect(() => loadRosterFiles([fixture('missing.csv')])).toThrow(/missing\.csv: no such file/);
    expect(() => loadRosterFiles([fixture('no-name-columns.csv')])).toThrow(/no usable name columns.*Legal Forename, Forename, First Name/);
  });

  it('merges one export per school, keeping pupils with the same MIS number in different schools apart', () => {
    const dir = mkdtempSync(join(tmpdir(), 'roster-'));
    writeFileSync(join(dir, 'a.csv'), 'Adno,Forename,Surname\n1,Amy,Ng\n');
    writeFileSync(join(dir, 'b.csv'), 'Adno,Forename,Surname\n1,Ben,Ng\n');
    copyFileSync(fixture('riverside-primary.csv'), join(dir, 'c.csv'));
    const { pupils, files } = loadRosterFiles([join(dir, 'a.csv'), join(dir, 'b.csv'), join(dir, 'c.csv')]);
    expect(files.map((f) => f.pupils)).toEqual([1, 1, 7]);
    expect(new Set(pupils.map((p) => p.id)).size).toBe(9);
  });

  it('gives each pupil an opaque id, the same on every load with the same key, never the UPN or name', () => {
    const idKey = Buffer.alloc(32, 7);
    const first = loadRosterFiles([fixture('riverside-primary.csv')], { idKey }).pupils.map((p) => p.id);
    expect(loadRosterFiles([fixture('riverside-primary.csv')], { idKey }).pupils.map((p) => p.id)).toEqual(first);
    for (const id of first) expect(id).toMatch(/^p[0-9a-f]{12}$/);
    // Without the key an id cannot be recomputed from a guessed UPN.
    const otherKey = loadRosterFiles([fixture('riverside-primary.csv')]).pupils.map((p) => p.id);
    expect(otherKey.some((id) => first.includes(id))).toBe(false);
  });

  it.each([
    ['04/02/2015', '2015-02-04'],
    ['4/2/2015', '2015-02-04'],
    ['04-02-2015', '2015-02-04'],
    ['04.02.2015', '2015-02-04'],
    ['2015-02-04', '2015-02-04'],
    ['2015-02-04 00:00:00.000000', '2015-02-04'],
    ['12/19/2014', undefined],
    ['29/02/2015', undefined],
    ['36618', undefined],
  ])('reads the date of birth %s as %s', (text, iso) => expect(parseDateOfBirth(text)).toBe(iso));
});
