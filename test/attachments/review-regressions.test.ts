// Cases a second reviewer found: each passed an attachment unread, judged its encryption
// wrongly, or could have run past the time budget.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { officeXmlText, sharedStrings, worksheetText } from '../../src/attachments/office-text.js';
import { rtfText } from '../../src/attachments/containers.js';
import { findPasswords } from '../../src/detectors/password-in-message.js';
import type { Verdict } from '../../src/engine/types.js';
import { CLASS_LIST, FixtureMaker, messageWith, PUPIL_REPORT } from '../support/attachment-fixtures.js';
import { engineWithRoster, STAFF } from '../support/roster.js';

const fixtures = new FixtureMaker();
const engine = engineWithRoster();
const EXTERNAL = 'admissions@other-provider.co.uk';

async function send(files: Array<{ name: string; content: Buffer; contentType?: string }>, text = 'Attached.', using = engine): Promise<Verdict> {
  return using.inspect(await messageWith(EXTERNAL, files, text, 'Files'), { mailFrom: STAFF, rcptTo: [EXTERNAL] });
}
const kinds = (v: Verdict): string[] => v.findings.map((f) => `${f.kind}@${f.location}`);

beforeAll(() => {
  fixtures.file('report.txt', PUPIL_REPORT);
  fixtures.file('list.csv', CLASS_LIST);
  fixtures.convert('report.txt', 'doc');
  fixtures.convert('list.csv', 'xlsx');
  fixtures.saveWithPassword('list.csv', 'protected.xls', 'MS Excel 97', '');
  fixtures.zip('locked.zip', ['list.csv'], 'Wren-Hollow-52');
  fixtures.file('password.txt', 'The password is Wren-Hollow-52');
  execFileSync('tar', ['-czf', join(fixtures.dir, 'pupils.tar.gz'), '-C', fixtures.dir, 'list.csv']);
  fixtures.file('commas.csv', ','.repeat(2 * 1024 * 1024));
  fixtures.zip('mixed.zip', ['commas.csv', 'list.csv']);
  fixtures.file('MANIFEST.MF', 'Manifest-Version: 1.0\n');
  execFileSync('zip', ['-q', join(fixtures.dir, 'bundle.jar'), 'MANIFEST.MF', 'list.csv'], { cwd: fixtures.dir });
  for (let i = 0; i < 150; i++) fixtures.file(`n${i}.txt`, `note ${i}`);
  fixtures.zip('many.zip', Array.from({ length: 150 }, (_, i) => `n${i}.txt`));
}, 120_000);

describe('nothing passes unread', () => {
  it('reports a Word 97-2003 file as unscannable: its text is not read', async () => {
    const verdict = await send([{ name: 'report.doc', content: fixtures.read('report.doc') }]);
    expect(verdict.findings).toContainEqual(expect.objectContaining({ kind: 'unscannable-attachment', evidence: 'unopened-container', excerpt: expect.stringContaining('Word 97-2003') }));
  });
  it('does not take a workbook with protected structure (VelvetSweatshop) for an encrypted one', async () => {
    const verdict = await send([{ name: 'protected.xls', content: fixtures.read('protected.xls') }]);
    expect(kinds(verdict)).toEqual(['unscannable-attachment@attachment:protected.xls']);
  });
  it('reports tar.gz as an unopened container', async () => {
    expect(kinds(await send([{ name: 'pupils.tar.gz', content: fixtures.read('pupils.tar.gz') }]))).toContain('unscannable-attachment@attachment:pupils.tar.gz');
  });
  it('reads text whatever its name: a Common Transfer File, a CSV renamed .dat or .jpg', async () => {
    const ctf = '<?xml version="1.0"?><CTfile><Pupil><UPN>H801200001001</UPN><Surname>Smith</Surname><Forename>Jane</Forename></Pupil></CTfile>';
    expect(kinds(await send([{ name: 'CTF.xml', content: Buffer.from(ctf) }]))).toContain('upn@attachment:CTF.xml');
    expect(kinds(await send([{ name: 'list.dat', content: fixtures.read('list.csv') }]))).toContain('upn@attachment:list.dat');
    const renamed = await send([{ name: 'photo.jpg', content: fixtures.read('list.csv') }]);
    expect(kinds(renamed)).toEqual(expect.arrayContaining(['upn@attachment:photo.jpg', 'attachment-type-mismatch@attachment:photo.jpg']));
  });
  it('reads a macro-enabled workbook as the xlsx it is, without calling it a disguise', async () => {
    const verdict = await send([{ name: 'list.xlsm', content: fixtures.read('list.xlsx') }]);
    expect(kinds(verdict)).toContain('upn@attachment:list.xlsm');
    expect(kinds(verdict)).not.toContain('attachment-type-mismatch@attachment:list.xlsm');
  });
  it('walks any zip, whatever file-type calls it (a jar here)', async () => {
    expect(kinds(await send([{ name: 'bundle.jar', content: fixtures.read('bundle.jar') }]))).toContain('upn@attachment:bundle.jar/list.csv');
  });
  it('reads the rest of an archive after one entry over the compression limit', async () => {
    const verdict = await send([{ name: 'mixed.zip', content: fixtures.read('mixed.zip') }]);
    expect(kinds(verdict)).toEqual(expect.arrayContaining(['unscannable-attachment@attachment:mixed.zip', 'upn@attachment:mixed.zip/list.csv']));
    expect(verdict.rules.map((r) => r.id)).toContain('unencrypted-sensitive-attachment');
  });
  it('keeps two attachments with the same name apart', async () => {
    const armour = '-----BEGIN PGP MESSAGE-----\n\nhQEMA8x\n-----END PGP MESSAGE-----\n';
    const verdict = await send([
      { name: 'pupils.csv', content: Buffer.from(armour) },
      { name: 'pupils.csv', content: fixtures.read('list.csv') },
    ]);
    expect(kinds(verdict)).toEqual(expect.arrayContaining(['encrypted-attachment@attachment:pupils.csv', 'upn@attachment:pupils.csv (2)']));
    expect(verdict.rules.map((r) => r.id)).toContain('unencrypted-sensitive-attachment');
  });
  it('reports an S/MIME signed (not encrypted) message as unscannable, not encrypted', async () => {
    const key = join(fixtures.dir, 'sign-key.pem');
    const cert = join(fixtures.dir, 'sign-cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=sender'], { stdio: 'ignore' });
    const signed = execFileSync('openssl', ['smime', '-sign', '-nodetach', '-signer', cert, '-inkey', key, '-outform', 'DER'], { input: CLASS_LIST });
    const verdict = await send([{ name: 'smime.p7m', content: signed, contentType: 'application/pkcs7-mime' }]);
    expect(verdict.findings).toContainEqual(expect.objectContaining({ kind: 'unscannable-attachment', evidence: 'unopened-container' }));
    expect(kinds(verdict)).not.toContain('encrypted-attachment@attachment:smime.p7m');
  });
  it("stops reading attachments when attachments.max_ms has run out, and says so", async () => {
    const hurried = engineWithRoster({ extraYaml: 'attachments:\n  max_ms: 1\n' });
    const verdict = await send([{ name: 'many.zip', content: fixtures.read('many.zip') }, { name: 'list.csv', content: fixtures.read('list.csv') }], 'x', hurried);
    expect(verdict.findings).toContainEqual(expect.objectContaining({ kind: 'unscannable-attachment', excerpt: expect.stringMatching(/ran out/) }));
  });
});

describe('passwords anywhere in the message', () => {
  it('finds a password in an attachment beside the encrypted one', async () => {
    const verdict = await send([
      { name: 'locked.zip', content: fixtures.read('locked.zip') },
      { name: 'password.txt', content: fixtures.read('password.txt') },
    ]);
    expect(verdict.rules.map((r) => r.id)).toContain('password-with-attachment');
  });
  it.each([
    ['Password is: Wren-Hollow-52', 'Wren-Hollow-52'],
    ['The password for the attached file is Kestrel77', 'Kestrel77'],
    ["The password for Jane's report is Blue-Sky-4", 'Blue-Sky-4'],
    ['Password for the SEN report: Tr33top9', 'Tr33top9'],
  ])('finds %j', (text, token) => expect(findPasswords(text).map((f) => f.token)).toEqual([token]));
  it.each(['The password will be texted to you shortly', 'password: via text', 'The password is unchanged', 'Meeting ID: 345 678 901\nPasscode: 9hTz2B', 'Post code: B12 9QT', 'Area code: 0121'])(
    'finds nothing in %j',
    (text) => expect(findPasswords(text)).toEqual([]),
  );
});

describe('text extraction details', () => {
  it('reads RTF Unicode escapes once (LibreOffice writes Zo\\u235\\\'eb)', () => {
    expect(rtfText("{\\rtf1 Zo\\u235\\'eb O\\u8217\\'92Connor}")).toContain('Zoë O’Connor');
  });
  it('reads SpreadsheetML with any namespace prefix', () => {
    const strings = sharedStrings('<x:sst><x:si><x:t>Jane</x:t></x:si><x:si><x:t>Smith</x:t></x:si></x:sst>');
    expect(worksheetText('<x:sheetData><x:row><x:c t="s"><x:v>0</x:v></x:c><x:c t="s"><x:v>1</x:v></x:c></x:row></x:sheetData>', strings)).toBe('Jane\tSmith');
  });
  it('reads hostile XML and passwords in linear time (would take minutes if quadratic)', () => {
    expect(officeXmlText('<'.repeat(400_000)).length).toBe(400_000);
    expect(worksheetText('<row>'.repeat(100_000), [])).toBe('');
    expect(sharedStrings('<si>'.repeat(100_000))).toEqual([]);
    expect(findPasswords(`password for${' '.repeat(100_000)}x`)).toEqual([]);
    expect(findPasswords(`password${'\t'.repeat(200_000)}`)).toEqual([]);
  });
});
