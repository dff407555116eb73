import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../src/engine/types.js';
import { engineWithRoster, inspect, kindsIn, STAFF, textMessage } from '../../support/roster.js';

const engine = engineWithRoster();
const EXTERNAL = 'someone@example.com';
const findingsOf = async (raw: Buffer): Promise<Finding[]> => (await inspect(engine, raw, EXTERNAL)).findings;
const kinds = async (subject: string, body: string): Promise<string[]> => kindsIn(await inspect(engine, textMessage(subject, body), EXTERNAL));

describe('dates of birth', () => {
  it.each([
    ['DOB: 04/02/2015', 'DOB label'],
    ['d.o.b. 4/2/2015', 'd.o.b.'],
    ['date of birth 4 February 2015', 'words'],
    ['born on February 4th, 2015', 'US-style words'],
    ['Date of Birth - 2015-02-04', 'ISO'],
    ['DOB 4-Feb-2015', "Excel's default"],
    ['DOB 04-Feb-15', "Excel's default, two-digit year"],
  ])('finds a date with a birth context: %s (%s)', async (body) => {
    expect(await kinds('notes', `Jane Smith, ${body}`)).toContain('date-of-birth@body');
  });
  it('finds a pupil-age date right beside a pupil name', async () => {
    expect(await kinds('list', 'Jane Smith 04/02/2016 5B')).toContain('date-of-birth@body');
    expect(await kinds('list', 'Smith,Jane,5B,04/02/2015')).toContain('date-of-birth@body');
  });
  it.each([
    ['Jane Smith has a dentist appointment on 04/02/2026', 'an appointment beside a name'],
    ['Parents evening is on 12/03/2026', 'a date with no birth context'],
    ['Jane Smith: trip on 12/03/2027', 'a future date beside a name'],
    ['DOB: 31/02/2015', 'not a real date'],
    ['Invoice dated 04/02/2019 for the school trip, paid for Jane Smith', 'a past date that is neither labelled nor beside the name'],
  ])('does not take %j as a date of birth (%s)', async (body) => {
    expect(await kinds('notes', body)).not.toContain('date-of-birth@body');
  });
  it('redacts the date and attributes it to the pupil', async () => {
    const findings = await findingsOf(textMessage('notes', 'Jane Smith DOB 04/02/2015'));
    const dob = findings.find((f) => f.kind === 'date-of-birth');
    expect(dob).toMatchObject({ excerpt: 'date of birth 0*/0*/2***', pupils: [expect.stringMatching(/^p[0-9a-f]{12}$/)] });
    expect(dob?.pupils).toEqual(findings.find((f) => f.kind === 'pupil-name')?.pupils);
  });
});

describe('special-category terms', () => {
  it('counts a term near a pupil name, with its category', async () => {
    const findings = await findingsOf(textMessage('update', 'Jane Smith had two seizures today; her EHCP review is on Friday.'));
    expect(findings.filter((f) => f.kind === 'special-category').map((f) => f.excerpt)).toEqual(['health: seizure', 'sen: EHCP']);
  });
  it('counts a term in the body about the pupil the subject names', async () => {
    expect(await kinds('Jane Smith', 'Mum says the new medication is working.')).toContain('special-category@body');
  });
  it.each([
    ['The school nurse runs an epilepsy awareness session for staff on Friday.', 'no pupil data near it'],
    ['Please send the forms back to the office by Friday. Jane Smith', 'the verb "send" is not the acronym SEND'],
    ['Jane Smith came top in the egg and spoon race.', '"race" is not on the list'],
    ['PLEASE SEND JANE SMITH HOME WITH HER PE KIT', 'capitals in a line written all in capitals are not an acronym'],
    ['Jane Smith played Lady Macbeth; the exclusionary tone of the scene...', 'only whole words'],
  ])('does not count %j (%s)', async (body) => {
    expect(await kinds('note', body)).not.toContain('special-category@body');
  });
  it('matches a term far from any pupil data only within proximity_chars', async () => {
    const far = `Jane Smith is in 5B.${' Lots of unrelated news.'.repeat(20)} The epilepsy awareness session is on Friday.`;
    expect(await kinds('note', far)).not.toContain('special-category@body');
    const wide = engineWithRoster({ extraYaml: 'personal_data:\n  proximity_chars: 2000\n' });
    expect(kindsIn(await inspect(wide, textMessage('note', far), EXTERNAL))).toContain('special-category@body');
  });
  it('takes extra terms and drops ignored ones from the trust configuration', async () => {
    const tuned = engineWithRoster({
      extraYaml: 'personal_data:\n  special_category:\n    extra_terms: { health: [hay fever clinic] }\n    ignore_terms: [adopted]\n',
    });
    const kindsFor = async (body: string) => kindsIn(await inspect(tuned, textMessage('note', body), EXTERNAL));
    expect(await kindsFor('Jane Smith goes to the hay fever clinic')).toContain('special-category@body');
    expect(await kindsFor('Jane Smith adopted a hedgehog for the class project')).not.toContain('special-category@body');
  });
});

describe('contact details', () => {
  it('finds a home postcode and a mobile number beside a pupil', async () => {
    const findings = await findingsOf(textMessage('address change', 'Jane Smith has moved to 12 Mill Lane, Leeds LS6 2AB. Mum: 07700 900123'));
    expect(findings.filter((f) => f.kind === 'contact-details').map((f) => f.excerpt)).toEqual(['postcode L** 2**', 'mobile 0**** 9*****']);
  });
  it.each(['07700-900-123', '(07700) 900123', '0044 7700 900123', '+44 (0)7700 900123'])('finds the mobile number %s', async (mobile) => {
    expect(await kinds('contact', `Jane Smith's mum: ${mobile}`)).toContain('contact-details@body');
  });
  it('finds a postcode written in lower case, but not a year group and a place', async () => {
    expect(await kinds('address', 'Jane Smith, 12 Mill Lane, leeds ls6 2ab')).toContain('contact-details@body');
    expect(await kinds('sports day', 'Jane Smith y6 2nd place')).not.toContain('contact-details@body');
  });
  it('ignores postcodes and numbers with no pupil data near them (a signature)', async () => {
    expect(await kinds('newsletter', 'Riverside Primary, Mill Lane, Leeds LS6 2AB. Tel 07700 900123')).not.toContain('contact-details@body');
  });
});

describe('where findings are seen', () => {
  it('reads the subject decoded from RFC 2047, in any charset', async () => {
    const raw = textMessage('=?iso-8859-1?Q?Zo=EB_O=92Connor?= report'.replace('=92', "'"), 'see attached');
    expect(kindsIn(await inspect(engine, raw, EXTERNAL))).toEqual(['pupil-name@subject']);
    const base64 = textMessage(`=?utf-8?B?${Buffer.from('Zoë O’Connor').toString('base64')}?=`, 'hello');
    expect(kindsIn(await inspect(engine, base64, EXTERNAL))).toEqual(['pupil-name@subject']);
  });
  it('reads a windows-1252 body with quoted-printable soft breaks', async () => {
    const raw = Buffer.from(
      `From: ${STAFF}\r\nTo: ${EXTERNAL}\r\nSubject: note\r\nContent-Type: text/plain; charset=windows-1252\r\n` +
        'Content-Transfer-Encoding: quoted-printable\r\n\r\nAbout Zo=EB O=92Con=\r\nnor: she has asthma.\r\n',
    );
    expect(kindsIn(await inspect(engine, raw, EXTERNAL))).toEqual(['pupil-name@body', 'special-category@body']);
  });
  it('reads HTML across tags and entities, never the markup', async () => {
    const raw = Buffer.from(
      `From: ${STAFF}\r\nTo: ${EXTERNAL}\r\nSubject: note\r\nContent-Type: text/html; charset=utf-8\r\n\r\n` +
        '<p>Dear all, <b>Zo&euml;</b>\r\n<span style="x">O&#8217;Connor</span> &amp; <i>Grace</i> Hall.</p>\r\n',
    );
    expect((await findingsOf(raw)).map((f) => f.excerpt)).toEqual(['Z** O*******', 'G**** H***']);
  });
  it('reads an HTML-only table cell by cell (a class list in a mail merge)', async () => {
    const raw = Buffer.from(
      `From: ${STAFF}\r\nTo: ${EXTERNAL}\r\nSubject: list\r\nContent-Type: text/html; charset=utf-8\r\n\r\n` +
        '<table><tr><th>Forename</th><th>Surname</th><th>UPN</th><th>DOB</th></tr>' +
        '<tr><td>Jane</td><td>Smith</td><td>H801200001001</td><td>04/02/2015</td></tr>' +
        '<tr><td>Grace</td><td>Hall</td><td>B801200005001</td><td>01/09/2014</td></tr></table>\r\n',
    );
    expect(kindsIn(await inspect(engine, raw, EXTERNAL))).toEqual([
      'pupil-name@body',
      'pupil-name@body',
      'upn@body',
      'upn@body',
      'date-of-birth@body',
      'date-of-birth@body',
    ]);
  });
  it('keys identifiers of people not on the roster afresh for each message', async () => {
    const raw = textMessage('pension', 'NI AB123456C');
    const [first, second] = [await findingsOf(raw), await findingsOf(raw)];
    expect(first[0]?.identifiers).toHaveLength(1);
    expect(first[0]?.identifiers).not.toEqual(second[0]?.identifiers);
  });
  it('reads attachment names', async () => {
    const raw = Buffer.from(
      `From: ${STAFF}\r\nTo: ${EXTERNAL}\r\nSubject: report\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n` +
        'Content-Type: text/plain\r\n\r\nPlease see attached.\r\n--b\r\nContent-Type: application/pdf; name="Jane Smith EHCP.pdf"\r\n' +
        'Content-Disposition: attachment; filename="Jane Smith EHCP.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b--\r\n',
    );
    // Five bytes are not a PDF: the attachment itself is unscannable, but its name is still read.
    expect(kindsIn(await inspect(engine, raw, EXTERNAL))).toEqual([
      'pupil-name@attachment:Jane Smith EHCP.pdf',
      'special-category@attachment:Jane Smith EHCP.pdf',
      'unscannable-attachment@attachment:Jane Smith EHCP.pdf',
    ]);
  });
  it('reports a name said in both the text and the HTML part once', async () => {
    const raw = Buffer.from(
      `From: ${STAFF}\r\nTo: ${EXTERNAL}\r\nSubject: note\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n` +
        'Content-Type: text/plain\r\n\r\nJane Smith\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>Jane Smith</p>\r\n--b--\r\n',
    );
    expect(kindsIn(await inspect(engine, raw, EXTERNAL))).toEqual(['pupil-name@body']);
  });
  it('summarises a long class list but keeps every pupil for counting', async () => {
    const rows = Array.from({ length: 120 }, (_, i) => `Pupil${i} Test${i}`);
    const csv = `Forename,Surname\n${rows.map((r) => r.replace(' ', ',')).join('\n')}\n`;
    const big = engineWithRoster({ csv });
    const verdict = await inspect(big, textMessage('class list', rows.join('\n')), EXTERNAL);
    const names = verdict.findings.filter((f) => f.kind === 'pupil-name');
    expect(names).toHaveLength(51);
    expect(names.at(-1)?.excerpt).toBe('and 70 more pupil names like these');
    expect(new Set(names.flatMap((f) => f.pupils)).size).toBe(120);
  });
});
