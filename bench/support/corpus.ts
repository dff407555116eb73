/**
 * The benches' message corpus: everyday mail (short notes, a letter naming pupils, an HTML
 * newsletter, forwards from Outlook and Gmail) and messages with large attachments made by
 * the real tools (LibreOffice, zip): a 1 MB PDF, a 5 MB xlsx and a zip inside a zip.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer';
import { timetableCsv, type FixtureMaker } from '../../test/support/attachment-fixtures.js';
import { FIXTURES } from '../../test/support/paths.js';
import { crlf } from '../../test/support/send.js';

export const BENCH_STAFF = 's.jones@example-trust.org.uk';
/** A partner organisation: mail to it is delivered (nothing in the corpus is refused there). */
export const BENCH_PARTNER = 'bookings@museum.example.org';

export interface BenchMessage {
  name: string;
  raw: Buffer;
}

/** Deliverable text (no identifiers, no names): what a trip letter or a timetable holds. */
export function prose(lines: number): string {
  return Array.from({ length: lines }, (_, i) => `Line ${i}: the Year ${(i % 6) + 7} trip leaves at 8.45 from the main gate; packed lunch and a coat, please.`).join('\n');
}

/** A message to the partner carrying `names` from the fixture directory as attachments. */
export function messageWithFiles(fixtures: FixtureMaker, names: readonly string[], subject = 'Timetable'): Promise<Buffer> {
  return new MailComposer({
    from: BENCH_STAFF,
    to: BENCH_PARTNER,
    subject,
    text: 'Attached.',
    attachments: names.map((name) => ({ filename: name, content: fixtures.read(name) })),
  })
    .compile()
    .build();
}

function plainMessage(to: string, subject: string, type: string, body: string): Buffer {
  return crlf(`From: ${BENCH_STAFF}\nTo: ${to}\nSubject: ${subject}\nMessage-ID: <${subject.replace(/\W+/g, '-')}@example-trust.org.uk>\nDate: Mon, 23 Nov 2026 09:00:00 +0000\nMIME-Version: 1.0\nContent-Type: ${type}; charset=utf-8\n\n${body}\n`);
}

/** A parent's letter naming Oliver Smith and Amelia Jones, who are on every bench roster. */
export const LETTER_NAMING_PUPILS = `Dear Mrs Patel,

Thank you for your email about the Year 5 trip. I have spoken to Oliver Smith's class teacher
and Amelia Jones will sit with her friends on the coach. The coach leaves at 8.45 on Thursday
and returns by 3.30. Please make sure packed lunches are labelled.

Kind regards,
Sarah Jones
Year 5 lead, Riverside Primary`;

/** A 39 KB HTML newsletter. */
export function newsletterHtml(): string {
  const items = Array.from({ length: 400 }, (_, i) => `<p>Item ${i}: the <b>Year ${(i % 6) + 7}</b> trip letter and <a href="https://example.org/${i}">details</a>.</p>`).join('\n');
  return `<html><body>${items}</body></html>`;
}

/** Everyday mail that every relay delivers to the partner: nothing in it names a pupil. */
export function everydayMessages(): BenchMessage[] {
  return [
    { name: 'short text', raw: plainMessage(BENCH_PARTNER, 'Coach times', 'text/plain', 'We leave at 8.45 on Thursday.') },
    { name: 'HTML newsletter, 39 KB', raw: plainMessage(BENCH_PARTNER, 'Newsletter', 'text/html', newsletterHtml()) },
    { name: 'Outlook forward', raw: crlf(readFileSync(join(FIXTURES, 'forwarding/outlook-web-forward.eml'))) },
    { name: 'Gmail forward', raw: crlf(readFileSync(join(FIXTURES, 'forwarding/gmail-forward.eml'))) },
  ];
}

/** A letter naming two pupils on every bench roster, sent to a parent: the roster's work. */
export function letterNamingPupils(): BenchMessage {
  return { name: 'letter naming two pupils', raw: plainMessage('parent@example.com', 'Year 5 trip', 'text/plain', LETTER_NAMING_PUPILS) };
}

/**
 * Messages with large attachments, made by LibreOffice and zip into `fixtures`: an 800-page
 * PDF of text (0.98 MB, the worst case for text extraction), a 135,000-row xlsx (5.1 MB) and
 * a zip holding a zip of a docx and a CSV.
 */
export async function attachmentMessages(fixtures: FixtureMaker): Promise<BenchMessage[]> {
  fixtures.file('letter.txt', prose(25_000));
  fixtures.convert('letter.txt', 'pdf');
  fixtures.file('minutes.txt', prose(2_000));
  fixtures.convert('minutes.txt', 'docx');
  fixtures.file('timetable.csv', timetableCsv(135_000));
  fixtures.convert('timetable.csv', 'xlsx');
  fixtures.file('rooms.csv', timetableCsv(5_000));
  fixtures.zip('inner.zip', ['minutes.docx', 'rooms.csv']);
  fixtures.file('readme.txt', 'Minutes and room plan for the spring term.\n');
  fixtures.zip('bundle.zip', ['inner.zip', 'readme.txt']);
  const kb = (name: string): string => `${(fixtures.read(name).length / 1e6).toFixed(2)} MB`;
  return [
    { name: `PDF, 800 pages, ${kb('letter.pdf')}`, raw: await messageWithFiles(fixtures, ['letter.pdf'], 'Letter') },
    { name: `xlsx, 135,000 rows, ${kb('timetable.xlsx')}`, raw: await messageWithFiles(fixtures, ['timetable.xlsx']) },
    { name: `zip in a zip (docx + csv), ${kb('bundle.zip')}`, raw: await messageWithFiles(fixtures, ['bundle.zip'], 'Minutes') },
  ];
}
