import { beforeAll, describe, expect, it } from 'vitest';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { Verdict } from '../../src/engine/types.js';
import { CLASS_LIST, FixtureMaker, messageWith, PUPIL_REPORT } from '../support/attachment-fixtures.js';
import { engineWithRoster, STAFF } from '../support/roster.js';

const fixtures = new FixtureMaker();
const engine = engineWithRoster();
const PARENT_ELSEWHERE = 'helper@gmail.com';

async function sendWith(name: string, content: Buffer, contentType?: string): Promise<Verdict> {
  const raw = await messageWith(PARENT_ELSEWHERE, [{ name, content, ...(contentType ? { contentType } : {}) }]);
  return engine.inspect(raw, { mailFrom: STAFF, rcptTo: [PARENT_ELSEWHERE] });
}
const summary = (verdict: Verdict): string[] => verdict.findings.map((f) => `${f.kind}@${f.location}`);

beforeAll(() => {
  fixtures.file('report.txt', PUPIL_REPORT);
  fixtures.file('list.csv', CLASS_LIST);
  fixtures.convert('report.txt', 'docx');
  fixtures.convert('report.txt', 'odt');
  fixtures.convert('list.csv', 'xlsx');
  fixtures.convert('list.csv', 'ods');
  fixtures.convert('report.txt', 'pdf');
  fixtures.encryptPdf('report.pdf', 'locked.pdf', 'Wren-Hollow-52', 'owner-secret');
  fixtures.encryptPdf('report.pdf', 'print-only.pdf', '', 'owner-secret');
  fixtures.convert('report.txt', 'rtf');
  fixtures.convert('report.txt', 'doc');
  fixtures.convert('list.csv', 'xls');
  fixtures.encryptOffice('report.docx', 'locked.docx', 'Wren-Hollow-52');
  fixtures.encryptOffice('list.xlsx', 'locked.xlsx', 'Wren-Hollow-52');
  fixtures.saveWithPassword('report.txt', 'locked.doc', 'MS Word 97', 'Wren-Hollow-52');
  fixtures.saveWithPassword('list.csv', 'locked.xls', 'MS Excel 97', 'Wren-Hollow-52');
  fixtures.saveWithPassword('report.txt', 'locked.odt', 'writer8', 'Wren-Hollow-52');
  fixtures.saveWithPassword('list.csv', 'locked.ods', 'calc8', 'Wren-Hollow-52');
  fixtures.sevenZip('plain.7z', ['list.csv']);
  fixtures.sevenZip('locked.7z', ['list.csv'], 'Wren-Hollow-52');
  fixtures.sevenZip('hidden.7z', ['list.csv'], 'Wren-Hollow-52', true);
  // With several files 7-Zip compresses the header (LZMA), which hides the AES coder until it is decoded.
  fixtures.sevenZip('locked-many.7z', ['list.csv', 'report.txt'], 'Wren-Hollow-52');
  fixtures.sevenZip('plain-many.7z', ['list.csv', 'report.txt']);
  fixtures.file('page.html', '<html><body><table><tr><td>Jane</td><td>Smith</td><td>H801200001001</td></tr></table></body></html>');
  fixtures.file('long.txt', `${PUPIL_REPORT}\n`.repeat(3000));
  fixtures.convert('long.txt', 'pdf');
  fixtures.zip('reports.zip', ['report.docx', 'list.csv']);
  fixtures.zip('nested.zip', ['reports.zip']);
  fixtures.zip('locked.zip', ['list.csv'], 'Wren-Hollow-52');
  fixtures.zipAes('locked-aes.zip', ['report.docx'], 'Wren-Hollow-52');
}, 240_000);

describe('text from attachments (fixtures made by LibreOffice and zip)', () => {
  it.each([
    ['report.docx', ['pupil-name', 'date-of-birth', 'special-category']],
    ['report.odt', ['pupil-name', 'date-of-birth', 'special-category']],
    ['report.pdf', ['pupil-name', 'date-of-birth', 'special-category']],
    ['print-only.pdf', ['pupil-name', 'date-of-birth', 'special-category']],
    ['list.xlsx', ['pupil-name', 'upn']],
    ['list.ods', ['pupil-name', 'upn']],
    ['list.csv', ['pupil-name', 'upn']],
    ['report.rtf', ['pupil-name', 'date-of-birth', 'special-category']],
    ['page.html', ['pupil-name', 'upn']],
  ])('finds the pupil data in %s, located at the attachment', async (name, kinds) => {
    const verdict = await sendWith(name, fixtures.read(name));
    for (const kind of kinds) expect(summary(verdict)).toContain(`${kind}@attachment:${name}`);
    expect(verdict.rules.map((r) => r.id)).toContain('personal-data-to-personal-address');
  });

  it('walks into archives, naming nested locations outer/inner', async () => {
    const verdict = await sendWith('nested.zip', fixtures.read('nested.zip'));
    expect(summary(verdict)).toEqual(
      expect.arrayContaining(['pupil-name@attachment:nested.zip/reports.zip/report.docx', 'upn@attachment:nested.zip/reports.zip/list.csv']),
    );
  });

  it('reads an attached message, headers and all, and its own attachments, at attachment: locations', async () => {
    const inner = await new MailComposer({
      from: 'senco@example-trust.org.uk',
      to: 'head@example-trust.org.uk',
      subject: 'Grace Hall',
      text: 'Notes attached.',
      attachments: [{ filename: 'report.docx', content: fixtures.read('report.docx') }],
    })
      .compile()
      .build();
    const raw = await new MailComposer({
      from: STAFF,
      to: PARENT_ELSEWHERE,
      subject: 'FYI',
      text: 'See the attached message.',
      attachments: [{ filename: 'fwd.eml', content: inner, contentType: 'message/rfc822', contentDisposition: 'attachment' }],
    })
      .compile()
      .build();
    const verdict = await engine.inspect(raw, { mailFrom: STAFF, rcptTo: [PARENT_ELSEWHERE] });
    expect(summary(verdict)).toEqual(
      expect.arrayContaining(['pupil-name@attachment:fwd.eml', 'pupil-name@attachment:fwd.eml/report.docx', 'special-category@attachment:fwd.eml/report.docx']),
    );
  });

  // An attached message shown inline is opened by mailparser itself: its text joins the body.
  it('reads an inline attached message as part of the body', async () => {
    const inner = await new MailComposer({ from: 'senco@example-trust.org.uk', to: 'head@example-trust.org.uk', subject: 'Grace Hall', text: 'Grace Hall has asthma.' })
      .compile()
      .build();
    const verdict = await sendWith('fwd.eml', inner, 'message/rfc822');
    expect(summary(verdict)).toEqual(expect.arrayContaining(['pupil-name@body', 'special-category@body']));
  });
});

describe('encrypted attachments', () => {
  it('reports a PDF with a user password as encrypted and does not read it', async () => {
    const verdict = await sendWith('locked.pdf', fixtures.read('locked.pdf'));
    expect(verdict.findings).toEqual([
      expect.objectContaining({ kind: 'encrypted-attachment', location: 'attachment:locked.pdf', evidence: 'pdf-user-password' }),
    ]);
  });

  it.each([
    ['locked.docx', 'office-encrypted-package'],
    ['locked.xlsx', 'office-encrypted-package'],
    ['locked.doc', 'doc-fib-encrypted'],
    ['locked.xls', 'xls-filepass'],
    ['locked.odt', 'odf-encryption'],
    ['locked.ods', 'odf-encryption'],
    ['locked.7z', '7z-aes'],
    ['hidden.7z', '7z-aes'],
    ['locked-many.7z', '7z-aes'],
  ])('reports %s as encrypted (%s), not unscannable and not a disguise', async (name, evidence) => {
    const verdict = await sendWith(name, fixtures.read(name));
    expect(verdict.findings).toEqual([expect.objectContaining({ kind: 'encrypted-attachment', location: `attachment:${name}`, evidence })]);
  });
  it('does not take an unencrypted legacy Word file for an encrypted one, or for a disguise', async () => {
    const verdict = await sendWith('report.doc', fixtures.read('report.doc'));
    expect(summary(verdict)).not.toContain('encrypted-attachment@attachment:report.doc');
    expect(summary(verdict)).not.toContain('attachment-type-mismatch@attachment:report.doc');
  });
  it('reports an S/MIME encrypted message (made by OpenSSL) as encrypted', async () => {
    const raw = fixtures.smimeMessage(`From: ${STAFF}\nTo: ${PARENT_ELSEWHERE}\nSubject: Report\n`, PUPIL_REPORT);
    const verdict = await engine.inspect(raw, { mailFrom: STAFF, rcptTo: [PARENT_ELSEWHERE] });
    expect(verdict.findings).toContainEqual(expect.objectContaining({ kind: 'encrypted-attachment', evidence: 'smime' }));
    expect(summary(verdict).filter((k) => k.startsWith('pupil-name'))).toEqual([]);
  });
  it('reports PGP/MIME and inline PGP (made by GnuPG) as encrypted', async () => {
    const armour = fixtures.pgpArmour(PUPIL_REPORT, 'Wren-Hollow-52');
    const pgpMime = Buffer.from(
      `From: ${STAFF}\r\nTo: ${PARENT_ELSEWHERE}\r\nSubject: Report\r\nMIME-Version: 1.0\r\n` +
        'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="b"\r\n\r\n--b\r\n' +
        'Content-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n--b\r\nContent-Type: application/octet-stream; name="encrypted.asc"\r\n\r\n' +
        `${armour.replace(/\n/g, '\r\n')}--b--\r\n`,
    );
    const mime = await engine.inspect(pgpMime, { mailFrom: STAFF, rcptTo: [PARENT_ELSEWHERE] });
    expect(mime.findings).toContainEqual(expect.objectContaining({ kind: 'encrypted-attachment', evidence: 'pgp' }));
    const inline = await engine.inspect(Buffer.from(`From: ${STAFF}\r\nTo: ${PARENT_ELSEWHERE}\r\nSubject: Report\r\n\r\n${armour.replace(/\n/g, '\r\n')}`), {
      mailFrom: STAFF,
      rcptTo: [PARENT_ELSEWHERE],
    });
    expect(inline.findings).toContainEqual(expect.objectContaining({ kind: 'encrypted-attachment', location: 'body', evidence: 'pgp-inline' }));
  });
  it.each(['plain.7z', 'plain-many.7z'])('reports %s, without a password, as unscannable: it is not opened', async (name) => {
    const verdict = await sendWith(name, fixtures.read(name));
    expect(verdict.findings).toEqual([expect.objectContaining({ kind: 'unscannable-attachment', excerpt: expect.stringContaining('7z archive') })]);
  });
  it.each([
    ['locked.zip', 'ZipCrypto'],
    ['locked-aes.zip', 'AES'],
  ])('reports %s as encrypted (%s), not unscannable, and does not open it', async (name, how) => {
    const verdict = await sendWith(name, fixtures.read(name));
    expect(verdict.findings).toContainEqual(expect.objectContaining({ kind: 'encrypted-attachment', location: `attachment:${name}`, excerpt: expect.stringContaining(how) }));
    expect(summary(verdict)).not.toContain(`unscannable-attachment@attachment:${name}`);
    expect(summary(verdict)).not.toContain(`upn@attachment:${name}/list.csv`);
  });
  it("still reads the names of the files inside an encrypted zip", async () => {
    const named = fixtures.file('Grace Hall EHCP.txt', 'private');
    fixtures.zip('named.zip', [named.slice(fixtures.dir.length + 1)], 'pw');
    expect(summary(await sendWith('named.zip', fixtures.read('named.zip')))).toContain('pupil-name@attachment:named.zip');
  });
});

describe('damaged, disguised and hostile attachments', () => {
  it('reports a damaged docx or zip as unscannable, and holds it for a personal address', async () => {
    const docx = fixtures.read('report.docx');
    const verdict = await sendWith('broken.docx', docx.subarray(0, Math.floor(docx.length / 2)));
    expect(summary(verdict)).toContain('unscannable-attachment@attachment:broken.docx');
    expect(verdict.rules.map((r) => [r.id, r.action])).toContainEqual(['unscannable-attachment', 'hold']);
  });
  it.each(['report.odt', 'list.xlsx', 'list.ods', 'reports.zip', 'plain.7z', 'locked.docx', 'list.xls', 'report.pdf'])(
    'reports %s cut in half as unscannable, not a crash and not a pass',
    async (name) => {
      const bytes = fixtures.read(name);
      const verdict = await sendWith(`cut-${name}`, bytes.subarray(0, Math.floor(bytes.length / 2)));
      expect(summary(verdict)).toContain(`unscannable-attachment@attachment:cut-${name}`);
    },
  );
  it("reads a LibreOffice xlsx whose XML inflates past max_attachment_bytes, as an xlsx and not a disguise", async () => {
    const rows = Array.from({ length: 400 }, (_, i) => `Room ${i},Period ${i % 6},Bring calculator ${i}`);
    fixtures.file('timetable.csv', `Room,Period,Notes\nJane,Smith,H801200001001\n${rows.join('\n')}\n`);
    fixtures.convert('timetable.csv', 'xlsx');
    const size = fixtures.read('timetable.xlsx').length;
    const tight = engineWithRoster({ extraYaml: `attachments:\n  max_attachment_bytes: ${size + 100}\n` });
    const raw = await new MailComposer({ from: STAFF, to: PARENT_ELSEWHERE, subject: 'x', text: 'x', attachments: [{ filename: 'timetable.xlsx', content: fixtures.read('timetable.xlsx') }] })
      .compile()
      .build();
    const verdict = await tight.inspect(raw, { mailFrom: STAFF, rcptTo: [PARENT_ELSEWHERE] });
    expect(summary(verdict)).toEqual(['pupil-name@attachment:timetable.xlsx', 'upn@attachment:timetable.xlsx']);
  });
  it('reports every attachment of a message over max_message_bytes as unscannable, unread', async () => {
    const small = engineWithRoster({ extraYaml: 'attachments:\n  max_message_bytes: 4000\n' });
    const raw = await new MailComposer({ from: STAFF, to: PARENT_ELSEWHERE, subject: 'x', text: 'x', attachments: [{ filename: 'list.csv', content: fixtures.read('list.csv') }, { filename: 'report.docx', content: fixtures.read('report.docx') }] })
      .compile()
      .build();
    const verdict = await small.inspect(raw, { mailFrom: STAFF, rcptTo: [PARENT_ELSEWHERE] });
    expect(verdict.findings.filter((f) => f.kind === 'unscannable-attachment').map((f) => f.location)).toEqual(['attachment:list.csv', 'attachment:report.docx']);
    expect(summary(verdict)).not.toContain('upn@attachment:list.csv');
  });
  it('reads a file by what it is, and reports the disguise', async () => {
    const verdict = await sendWith('notes.txt', fixtures.read('report.docx'));
    expect(verdict.findings).toContainEqual(expect.objectContaining({ kind: 'attachment-type-mismatch', excerpt: 'named .txt but it is really docx' }));
    expect(summary(verdict)).toContain('pupil-name@attachment:notes.txt');
  });
  it('refuses a zip bomb by its compression ratio without inflating it', async () => {
    fixtures.file('zeros.bin', Buffer.alloc(50 * 1024 * 1024));
    fixtures.zip('bomb.zip', ['zeros.bin']);
    const verdict = await sendWith('bomb.zip', fixtures.read('bomb.zip'));
    expect(verdict.findings).toContainEqual(expect.objectContaining({ kind: 'unscannable-attachment', excerpt: expect.stringMatching(/expands \d+ times \(limit 100\): a zip bomb/) }));
  });
  it('reports a damaged PDF as unscannable', async () => {
    const pdf = fixtures.read('report.pdf');
    const verdict = await sendWith('broken.pdf', pdf.subarray(0, 600));
    expect(summary(verdict)).toContain('unscannable-attachment@attachment:broken.pdf');
  });
  it('reports a PDF that takes longer than attachments.max_ms as unscannable, within the time budget', async () => {
    const hurried = engineWithRoster({ extraYaml: 'attachments:\n  max_ms: 50\n' });
    const raw = await new MailComposer({ from: STAFF, to: PARENT_ELSEWHERE, subject: 'x', text: 'x', attachments: [{ filename: 'long.pdf', content: fixtures.read('long.pdf') }] })
      .compile()
      .build();
    const started = Date.now();
    const verdict = await hurried.inspect(raw, { mailFrom: STAFF, rcptTo: [PARENT_ELSEWHERE] });
    expect(verdict.findings).toContainEqual(expect.objectContaining({ kind: 'unscannable-attachment', excerpt: 'it took more than 50 ms to read' }));
    expect(Date.now() - started).toBeLessThan(5_000);
  });
  it('stops at the nesting limit', async () => {
    let inner = 'reports.zip';
    for (let level = 1; level <= 6; level++) inner = fixtures.zip(`level${level}.zip`, [inner]);
    const verdict = await sendWith('level6.zip', fixtures.read('level6.zip'));
    expect(verdict.findings).toContainEqual(expect.objectContaining({ kind: 'unscannable-attachment', excerpt: expect.stringMatching(/nested 6 deep, past the limit of 5/) }));
  });
  it('applies the configured size, entry and extraction limits', async () => {
    const small = engineWithRoster({ extraYaml: 'attachments:\n  max_attachment_bytes: 2000\n' });
    const few = engineWithRoster({ extraYaml: 'attachments:\n  max_entries: 1\n' });
    const raw = async (name: string): Promise<Buffer> =>
      new MailComposer({ from: STAFF, to: PARENT_ELSEWHERE, subject: 'x', text: 'x', attachments: [{ filename: name, content: fixtures.read(name) }] }).compile().build();
    const big = await small.inspect(await raw('report.odt'), { mailFrom: STAFF, rcptTo: [PARENT_ELSEWHERE] });
    expect(big.findings).toContainEqual(expect.objectContaining({ kind: 'unscannable-attachment', excerpt: expect.stringMatching(/over the 2000-byte limit/) }));
    const many = await few.inspect(await raw('reports.zip'), { mailFrom: STAFF, rcptTo: [PARENT_ELSEWHERE] });
    expect(many.findings).toContainEqual(expect.objectContaining({ kind: 'unscannable-attachment', excerpt: expect.stringMatching(/2 entries \(limit 1\)/) }));
  });
});
