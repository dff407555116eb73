import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { automaticMessage, initials, senderNoticeFacts, type SenderNoticeFacts } from '../../src/notify/facts.js';
import type { Finding, NormalisedMessage, Verdict } from '../../src/engine/types.js';
import { upnCheckLetter } from '../../src/identifiers/checks.js';
import { FixtureMaker, messageWith } from '../support/attachment-fixtures.js';
import { engineWithRoster, STAFF, textMessage } from '../support/roster.js';

const engine = engineWithRoster();
const PERSONAL = 'someone@gmail.com';
/** A valid UPN of nobody on the Riverside roster (test/identifiers/checks.test.ts). */
const UPN_NOT_ON_ROSTER = 'P207000016049';
/** Jane Smith's UPN on the Riverside roster. */
const JANE_UPN = 'H801200001001';

interface Inspected {
  message: NormalisedMessage;
  verdict: Verdict;
  facts: SenderNoticeFacts;
}

/** As the inspection worker does it: parse, inspect the parsed message, then work out the notice facts. */
async function inspected(raw: Buffer, mailFrom = STAFF, rcptTo: string[] = [PERSONAL]): Promise<Inspected> {
  const started = performance.now();
  const message = await engine.parse(raw);
  const verdict = engine.inspectParsed(message, { mailFrom, rcptTo }, 'DLP-TESTS-00001', started);
  return { message, verdict, facts: senderNoticeFacts(message, verdict.findings, mailFrom) };
}

const factsFor = async (subject: string, body = 'Please see below.', headers = ''): Promise<SenderNoticeFacts> =>
  (await inspected(textMessage(subject, body, headers))).facts;

/** A valid UPN (not on the roster) for Riverside's LA/establishment with this serial. */
function upnWithSerial(serial: number): string {
  const digits = `80120001${String(serial).padStart(4, '0')}`;
  return upnCheckLetter(digits)! + digits;
}

describe('senderNoticeFacts: the subject', () => {
  it("redacts a pupil's full name and suggests the subject with initials", async () => {
    const { verdict, facts } = await inspected(textMessage('Re: Jane Smith - homework', 'Thanks for the update.'));
    expect(verdict.findings).toContainEqual(expect.objectContaining({ kind: 'pupil-name', location: 'subject' }));
    expect(facts.subject).toBe('Re: J*** S**** - homework');
    expect(facts.suggestedSubject).toBe('Re: J.S. - homework');
  });

  it.each([
    ['Zoë O’Connor reading record', 'Z** O******* reading record', 'Z.O. reading record'],
    ['Re: Ollie Whitfield', 'Re: O**** W********', 'Re: O.W.'],
    ['Tom Smith homework', 'T** S**** homework', 'T.S. homework'],
    ['Mohammed Al-Hassan - trip letter', 'M******* A*-H***** - trip letter', 'M.A. - trip letter'],
  ])('redacts %j (accents, apostrophes, preferred names, hyphens)', async (subject, redacted, suggested) => {
    const facts = await factsFor(subject);
    expect(facts.subject).toBe(redacted);
    expect(facts.suggestedSubject).toBe(suggested);
  });

  it('redacts every pupil named, including names written in capitals', async () => {
    const facts = await factsFor('GRACE HALL / thomas smith');
    expect(facts.subject).toBe('G**** H*** / t***** s****');
    expect(facts.suggestedSubject).toBe('G.H. / T.S.');
  });

  it('handles overlapping findings ("Smith, Thomas" inside "Jane Smith, Thomas Smith") without mangling the subject', async () => {
    const { verdict, facts } = await inspected(textMessage('Jane Smith, Thomas Smith', 'See you at parents evening.'));
    expect(verdict.findings.filter((f) => f.kind === 'pupil-name' && f.location === 'subject').length).toBeGreaterThanOrEqual(2);
    expect(facts.subject).toBe('J*** S****, T***** S****');
    expect(facts.suggestedSubject).toBe('J.S., T.S.');
  });

  it('shows an identifier in the subject redacted and leaves it out of the suggestion', async () => {
    const { verdict, facts } = await inspected(textMessage(`Report for ${UPN_NOT_ON_ROSTER}, Jane Smith`, 'Attached.'));
    expect(verdict.findings).toContainEqual(expect.objectContaining({ kind: 'upn', location: 'subject', excerpt: 'UPN P20…' }));
    expect(facts.subject).toBe('Report for UPN P20…, J*** S****');
    expect(facts.subject).not.toContain(UPN_NOT_ON_ROSTER);
    expect(facts.suggestedSubject).toBeDefined();
    expect(facts.suggestedSubject).not.toMatch(/P20|\d{4}/);
    expect(facts.suggestedSubject).toContain('J.S.');
  });

  it("leaves a pupil's own UPN out of the suggestion and tidies the brackets it was in", async () => {
    const facts = await factsFor(`Jane Smith (${JANE_UPN}) - report`);
    expect(facts.subject).toBe('J*** S**** (UPN H80…) - report');
    expect(facts.suggestedSubject).toBe('J.S. - report');
  });

  it('leaves a date of birth out of the suggestion', async () => {
    const facts = await factsFor('Grace Hall 01/09/2014 transition');
    expect(facts.subject).not.toContain('01/09/2014');
    expect(facts.suggestedSubject).not.toMatch(/\d/);
    expect(facts.suggestedSubject).toMatch(/^G\.H\./);
  });

  it('makes no suggestion when the subject has no personal data', async () => {
    const facts = await factsFor('Staff meeting on Friday', 'Agenda attached.');
    expect(facts.subject).toBe('Staff meeting on Friday');
    expect(facts.suggestedSubject).toBeUndefined();
    expect(facts).not.toHaveProperty('suggestedSubject');
  });

  it('makes no suggestion when the personal data is only in the body', async () => {
    const facts = await factsFor('Homework', 'Jane Smith did not hand in her homework.');
    expect(facts.subject).toBe('Homework');
    expect(facts.suggestedSubject).toBeUndefined();
  });

  it('keeps a sensitive term that is not personal data on its own (only the name becomes initials)', async () => {
    const { verdict, facts } = await inspected(textMessage('Thomas Smith asthma plan', 'See attached.'));
    expect(verdict.rules.map((r) => r.id)).toContain('sensitive-subject');
    expect(facts.subject).toBe('T***** S**** asthma plan');
    expect(facts.suggestedSubject).toBe('T.S. asthma plan');
  });

  it('stars every word of the subject, and suggests nothing, when a finding in it has no place (a summary of many)', async () => {
    const upns = Array.from({ length: 52 }, (_, i) => upnWithSerial(i + 100));
    const { verdict, facts } = await inspected(textMessage(`Class list ${upns.join(' ')}`, 'Attached.'));
    // The detector keeps 50 findings per kind and place and summarises the rest without a span.
    expect(verdict.findings).toContainEqual(expect.objectContaining({ kind: 'upn', location: 'subject', excerpt: expect.stringMatching(/^and \d+ more UPNs/) }));
    expect(facts.subject.startsWith('C**** l*** ')).toBe(true);
    for (const upn of upns) expect(facts.subject).not.toContain(upn);
    expect(facts.subject).not.toMatch(/\d/);
    expect(facts.suggestedSubject).toBeUndefined();
  });

  it('takes control characters out of the subject (redacted and suggested)', async () => {
    const facts = await factsFor('Jane\u0007 Smith\u0000 report\u007f\u202e now');
    for (const text of [facts.subject, facts.suggestedSubject ?? '']) {
      expect(text).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/);
    }
    expect(facts.subject).toBe('J*** S**** report now');
    expect(facts.suggestedSubject).toBe('J.S. report now');
  });

  it('takes encoded CR LF out of the subject: no line break survives into a notice', async () => {
    const { message, facts } = await inspected(textMessage('=?utf-8?q?Jane_Smith=0D=0ABcc:_evil@example.com=0D=0A=0D=0Ahello?=', 'Body.'));
    expect(message.subject).toMatch(/\r\n/); // the parser decoded the line breaks: the facts must remove them
    expect(facts.subject).not.toMatch(/[\r\n]/);
    expect(facts.suggestedSubject ?? '').not.toMatch(/[\r\n]/);
    expect(facts.subject).toBe('J*** S**** Bcc: evil@example.com hello');
  });

  it('takes line breaks and controls out of a subject with no findings too', async () => {
    const facts = await factsFor('=?utf-8?q?Trip=0D=0Aletter=09and=0Bforms?=');
    expect(facts.subject).toBe('Trip letter and forms');
    expect(facts.suggestedSubject).toBeUndefined();
  });
});

describe('senderNoticeFacts: Message-ID and attachments', () => {
  it('takes the Message-ID from the header', async () => {
    const facts = await factsFor('Jane Smith', 'x', 'Message-ID: <abc.123@example-trust.org.uk>\r\n');
    expect(facts.messageId).toBe('<abc.123@example-trust.org.uk>');
  });

  it('has no messageId when the message has none', async () => {
    const facts = await factsFor('Jane Smith', 'x');
    expect(facts.messageId).toBeUndefined();
    expect(facts).not.toHaveProperty('messageId');
  });

  it("stars an attachment name that names a pupil, keeping its extension", async () => {
    const raw = await messageWith(PERSONAL, [{ name: 'Jane Smith EHCP.txt', content: Buffer.from('Notes from the meeting.\n') }]);
    const { verdict, facts } = await inspected(raw);
    expect(verdict.findings).toContainEqual(expect.objectContaining({ kind: 'pupil-name', location: 'attachment:Jane Smith EHCP.txt', span: expect.objectContaining({ in: 'name' }) }));
    expect(facts.attachmentNames).toEqual({ 'attachment:Jane Smith EHCP.txt': 'J*** S**** E***.txt' });
  });

  it("keeps a name that does not name a pupil as it is, even when its contents do", async () => {
    const raw = await messageWith(PERSONAL, [{ name: 'minutes.txt', content: Buffer.from('Jane Smith has asthma.\n') }]);
    const { facts } = await inspected(raw);
    expect(facts.attachmentNames).toEqual({ 'attachment:minutes.txt': 'minutes.txt' });
  });

  it('stars the archive in a nested path when the archive names a pupil, and keeps both extensions', async () => {
    const fixtures = new FixtureMaker();
    fixtures.file('notes.txt', `Jane Smith UPN ${JANE_UPN}\n`);
    fixtures.zip('Jane Smith pack.zip', ['notes.txt']);
    const raw = await messageWith(PERSONAL, [{ name: 'Jane Smith pack.zip', content: fixtures.read('Jane Smith pack.zip') }]);
    const { verdict, facts } = await inspected(raw);
    expect(verdict.findings.map((f) => f.location)).toContain('attachment:Jane Smith pack.zip/notes.txt');
    expect(facts.attachmentNames['attachment:Jane Smith pack.zip']).toBe('J*** S**** p***.zip');
    expect(facts.attachmentNames['attachment:Jane Smith pack.zip/notes.txt']).toBe('J*** S**** p***.zip/notes.txt');
    for (const shown of Object.values(facts.attachmentNames)) expect(shown).not.toMatch(/Jane|Smith/);
  });

  it("stars a hyphenated name in an archive's name", async () => {
    const fixtures = new FixtureMaker();
    fixtures.file('letter.txt', 'hello\n');
    fixtures.zip('Mohammed Al-Hassan files.zip', ['letter.txt']);
    const raw = await messageWith(PERSONAL, [{ name: 'Mohammed Al-Hassan files.zip', content: fixtures.read('Mohammed Al-Hassan files.zip') }]);
    const { facts } = await inspected(raw);
    expect(facts.attachmentNames['attachment:Mohammed Al-Hassan files.zip']).toBe('M******* A*-H***** f****.zip');
  });

  it('takes control characters out of an attachment name', async () => {
    const raw = await messageWith(PERSONAL, [{ name: 'report\u0007\u202e.txt', content: Buffer.from('Jane Smith has asthma.\n') }]);
    const { message, facts } = await inspected(raw);
    expect(message.attachments[0]?.filename).toMatch(/[\u0007\u202e]/); // the parser kept them: the facts must remove them
    const shown = Object.values(facts.attachmentNames);
    expect(shown).toHaveLength(1);
    expect(shown[0]).not.toMatch(/[\u0000-\u001f\u007f\u202e]/);
  });
});

describe('automaticMessage', () => {
  const headersOf = async (headers: string): Promise<NormalisedMessage['headers']> => (await engine.parse(textMessage('Out of office', 'I am away until Monday.', headers))).headers;

  it.each<[string, string, string, RegExp]>([
    ['an empty MAIL FROM (a bounce)', '', '', /MAIL FROM:<>/],
    ['a mailer daemon', 'MAILER-DAEMON@mx.example.com', '', /mailer daemon/],
    ['a lower-case mailer daemon', 'mailer-daemon@example-trust.org.uk', '', /mailer daemon/],
    ['Auto-Submitted: auto-replied', STAFF, 'Auto-Submitted: auto-replied\r\n', /Auto-Submitted: auto-replied/],
    ['Auto-Submitted: auto-generated', STAFF, 'Auto-Submitted: auto-generated\r\n', /Auto-Submitted: auto-generated/],
    ['Auto-Submitted in capitals', STAFF, 'AUTO-SUBMITTED: Auto-Replied\r\n', /auto-replied/],
    ['Precedence: bulk', STAFF, 'Precedence: bulk\r\n', /Precedence: bulk/],
    ['Precedence: list', STAFF, 'Precedence: list\r\n', /Precedence: list/],
    ['Precedence: junk', STAFF, 'Precedence: junk\r\n', /Precedence: junk/],
    ['List-Id', STAFF, 'List-Id: Staff news <staff-news.example-trust.org.uk>\r\n', /list-id/],
    ['List-Unsubscribe', STAFF, 'List-Unsubscribe: <mailto:leave@example.com>\r\n', /list-unsubscribe/],
    ['X-Autoreply', STAFF, 'X-Autoreply: yes\r\n', /x-autoreply/],
    ['X-Auto-Response-Suppress: OOF', STAFF, 'X-Auto-Response-Suppress: OOF\r\n', /X-Auto-Response-Suppress/],
    ['X-Auto-Response-Suppress: All', STAFF, 'X-Auto-Response-Suppress: All\r\n', /X-Auto-Response-Suppress/],
  ])('%s is automatic', async (_what, mailFrom, headers, reason) => {
    expect(automaticMessage(await headersOf(headers), mailFrom)).toMatch(reason);
  });

  it('a delivery report (multipart/report) is automatic', async () => {
    const raw = Buffer.from(
      [
        `From: Mail Delivery System <${STAFF}>`,
        'To: teacher@example-trust.org.uk',
        'Subject: Undelivered Mail Returned to Sender',
        'MIME-Version: 1.0',
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"',
        '',
        '--b1',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Your message could not be delivered.',
        '--b1',
        'Content-Type: message/delivery-status',
        '',
        'Reporting-MTA: dns; mx.example.com',
        '',
        'Final-Recipient: rfc822; nobody@example.com',
        'Action: failed',
        'Status: 5.1.1',
        '--b1--',
        '',
      ].join('\r\n'),
    );
    const message = await engine.parse(raw);
    expect(automaticMessage(message.headers, STAFF)).toMatch(/multipart\/report/);
  });

  it.each<[string, string, string]>([
    ['an ordinary message from staff', STAFF, ''],
    ['Auto-Submitted: no', STAFF, 'Auto-Submitted: no\r\n'],
    ['Auto-Submitted: No (capitals)', STAFF, 'Auto-Submitted: No\r\n'],
    ['Precedence: first-class', STAFF, 'Precedence: first-class\r\n'],
    ['X-Auto-Response-Suppress without OOF or All', STAFF, 'X-Auto-Response-Suppress: DR, RN, NRN\r\n'],
    ['a sender whose address merely contains mailer-daemon', 'not-mailer-daemon@example-trust.org.uk', ''],
  ])('%s is not automatic', async (_what, mailFrom, headers) => {
    expect(automaticMessage(await headersOf(headers), mailFrom)).toBeUndefined();
  });

  it('senderNoticeFacts reports why nobody is told, and nothing for a person', async () => {
    const auto = await inspected(textMessage('Jane Smith - out of office', 'Away.', 'Auto-Submitted: auto-replied\r\n'));
    expect(auto.facts.automatic).toMatch(/Auto-Submitted/);
    const bounce = await inspected(textMessage('Jane Smith', 'x'), '');
    expect(bounce.facts.automatic).toMatch(/MAIL FROM:<>/);
    const person = await inspected(textMessage('Jane Smith', 'x'));
    expect(person.facts.automatic).toBeUndefined();
    expect(person.facts).not.toHaveProperty('automatic');
  });
});

describe('initials', () => {
  it.each([
    ['Jane Smith', 'J.S.'],
    ['jane smith', 'J.S.'],
    ['Jane', 'J.'],
    ["Jane O'Connor-Smith", 'J.O.'],
    ['Zoë O’Connor', 'Z.O.'],
    ['Mary Jane Smith', 'M.S.'],
    ['Oliver Brown-Whitfield', 'O.B.'],
    ['  Jane   Smith  ', 'J.S.'],
    ['Jane\u00a0Smith', 'J.S.'],
    ['Jane - Smith', 'J.S.'],
    ["'Jane' Smith", 'J.S.'],
    ['Ægir Ólafsson', 'Æ.Ó.'],
    ['', ''],
  ])('%j → %j', (name, expected) => {
    expect(initials(name)).toBe(expected);
  });
});

describe('senderNoticeFacts with findings as the detectors report them', () => {
  it('only uses findings in the subject for the subject, whatever else was found', async () => {
    const message = await engine.parse(textMessage('Homework', 'x'));
    const findings: Finding[] = [
      { kind: 'pupil-name', location: 'body', excerpt: 'J*** S****', evidence: 'roster-name', span: { in: 'text', start: 0, end: 8 } },
    ];
    expect(senderNoticeFacts(message, findings, STAFF)).toEqual({ subject: 'Homework', attachmentNames: {} });
  });
});

describe('senderNoticeFacts: regressions found in review', () => {
  it('a pupil named inside an archive: every name beneath the archive is starred (the name is seen in its entry list)', async () => {
    const fixtures = new FixtureMaker();
    fixtures.file('Grace Hall plan.txt', 'Grace Hall has asthma and uses an inhaler at lunch.\n');
    fixtures.zip('class.zip', ['Grace Hall plan.txt']);
    const raw = await messageWith(PERSONAL, [{ name: 'class.zip', content: fixtures.read('class.zip') }]);
    const { verdict, facts } = await inspected(raw);
    expect(verdict.findings).toContainEqual(expect.objectContaining({ location: 'attachment:class.zip', span: expect.objectContaining({ in: 'entries' }) }));
    expect(facts.attachmentNames['attachment:class.zip/Grace Hall plan.txt']).toBe('class.zip/G**** H*** p***.txt');
    for (const shown of Object.values(facts.attachmentNames)) expect(shown).not.toMatch(/Grace|Hall/);
  });

  it('a name or number written twice in the subject is redacted both times', async () => {
    const facts = await factsFor(`Jane Smith and jane smith again, UPN ${UPN_NOT_ON_ROSTER} and ${UPN_NOT_ON_ROSTER}`);
    expect(facts.subject).not.toMatch(/Jane|jane|Smith|smith|P207000016049/);
    expect(facts.suggestedSubject).not.toMatch(/Jane|jane|Smith|smith|P207/);
    expect(facts.suggestedSubject).toMatch(/^J\.S\. and J\.S\. again/);
  });

  it('the label before a number or date goes with it (no "UPN UPN H80…", no dangling "DOB")', async () => {
    expect(await factsFor(`UPN ${JANE_UPN} homework`)).toMatchObject({ subject: 'UPN H80… homework', suggestedSubject: 'homework' });
    const dob = await factsFor('Grace Hall DOB 01/09/2014');
    expect(dob.subject).not.toMatch(/DOB date of birth/);
    expect(dob.suggestedSubject).toBe('G.H.');
  });

  it('"Smith, Jane" has the initials J.S.', () => {
    expect(initials('Smith, Jane')).toBe('J.S.');
  });
});

describe('senderNoticeFacts: second review', () => {
  it('a name written again with other spacing (two spaces, a no-break space) is redacted too', async () => {
    const facts = await factsFor('Jane Smith: Grace Hall and Grace  Hall, Grace\u00a0Hall');
    expect(facts.subject).toBe('J*** S****: G**** H*** and G**** H***, G**** H***');
    expect(facts.suggestedSubject).not.toMatch(/Grace|Hall/);
  });

  it('a second attachment of the same name ("name (2)") is starred like the first', async () => {
    const content = Buffer.from('Forename,Surname,UPN\nJane,Smith,H801200001001\nGrace,Hall,B801200005001\nThomas,Smith,T330400525017\n');
    const raw = await messageWith(PERSONAL, [
      { name: 'Grace Hall list.csv', content },
      { name: 'Grace Hall list.csv', content },
    ]);
    const { facts } = await inspected(raw);
    const shown = Object.values(facts.attachmentNames);
    expect(shown).toContain('G**** H*** l***.csv (2)');
    for (const name of shown) expect(name).not.toMatch(/Grace|Hall/);
  });

  it('a subject with a password in it is shown with every word starred', async () => {
    const facts = await factsFor('Password: Winter-Horse-52 for the report', 'The report is attached.');
    expect(facts.subject).not.toMatch(/Winter|Horse|52/);
    expect(facts.suggestedSubject).toBeUndefined();
  });

  it('a very long subject is cut, not rewritten at length', async () => {
    const facts = await factsFor(`Jane Smith ${' : '.repeat(100_000)}x`);
    expect(facts.subject.length).toBeLessThan(1_100);
    expect(facts.subject.startsWith('J*** S****')).toBe(true);
  });
});
