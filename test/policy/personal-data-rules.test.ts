import { describe, expect, it } from 'vitest';
import type { Verdict } from '../../src/engine/types.js';
import { engineWithRoster, inspect, textMessage } from '../support/roster.js';

// The Riverside roster: Jane and Tom Smith are siblings (contacts mum.smith@gmail.com and
// dad.smith@hotmail.co.uk); Grace Hall's contact is hall.family@gmail.com.
const engine = engineWithRoster();
const MUM = 'mum.smith@gmail.com';
const STRANGER = 'someone.else@gmail.com';
const rulesFor = async (subject: string, body: string, ...rcptTo: string[]): Promise<Verdict> =>
  inspect(engine, textMessage(subject, body), ...rcptTo);
const ids = (verdict: Verdict): string[] => verdict.rules.map((r) => r.id);

describe('rule personal-data-to-personal-address', () => {
  it("holds a pupil's name and date of birth sent to a personal address that is not a contact", async () => {
    const verdict = await rulesFor('Reading', 'Jane Smith, DOB 04/02/2015, has moved up a level.', STRANGER);
    expect(verdict.action).toBe('hold');
    expect(verdict.rules).toEqual([
      expect.objectContaining({ id: 'personal-data-to-personal-address', action: 'hold', recipients: [STRANGER], clause: expect.stringMatching(/^The trust's data protection policy: never send sensitive information to personal email accounts/) }),
    ]);
  });
  it("passes the same message to the pupil's own parent (known-contact exception)", async () => {
    const verdict = await rulesFor('Reading', 'Jane Smith, DOB 04/02/2015, has moved up a level.', MUM);
    expect(verdict.action).toBe('pass');
    expect(verdict.recipients[0]).toMatchObject({ knownContact: true });
  });
  it("passes a date of birth tied to no name to the pupil's parent, and holds it to anyone else", async () => {
    const body = `Jane Smith's admission form.${' We need a few details checked before the end of term.'.repeat(8)}\nPlease check Jane's date of birth: 04/02/2015`;
    expect((await rulesFor('Admission form', body, MUM)).action).toBe('pass');
    expect((await rulesFor('Admission form', body, STRANGER)).action).toBe('hold');
  });
  it('passes a message about two pupils who are both the contact\'s children', async () => {
    expect((await rulesFor('Reading', 'Jane Smith and Tom Smith both did well.', MUM)).action).toBe('pass');
  });
  it('holds a message to a parent that also names another pupil, for that parent only', async () => {
    const verdict = await rulesFor('Reading', 'Jane Smith and Grace Hall both did well.', MUM, 'hall.family@gmail.com', 'head@example-trust.org.uk');
    expect(verdict.rules).toEqual([expect.objectContaining({ id: 'personal-data-to-personal-address', recipients: [MUM, 'hall.family@gmail.com'] })]);
  });
  it('treats a UPN on the roster as its pupil, and any other identifier as someone else\'s', async () => {
    expect((await rulesFor('UPN', 'Jane Smith UPN H801200001001', MUM)).action).toBe('pass');
    expect((await rulesFor('UPN', 'Jane Smith UPN B801200005001', MUM)).action).toBe('hold');
    expect((await rulesFor('NI', 'Jane Smith, and my NI number is AB123456C', MUM)).action).toBe('hold');
  });
  it("holds a member of staff's own NI number sent to their personal address", async () => {
    const verdict = await rulesFor('my details', 'For the pension form, my NI number: JG103759A', 'me.at.home@outlook.com');
    expect(ids(verdict)).toEqual(['personal-data-to-personal-address']);
  });
  it('leaves trusted and external recipients to the other rules', async () => {
    expect(ids(await rulesFor('Reading', 'Jane Smith did well.', 'senco@riverside.nhs.uk', 'tutor@example.com'))).toEqual([]);
  });
  it('passes a message about a name several pupils share when one of them is the contact\'s child', async () => {
    const csv = 'Forename,Surname,Contact Email\nSam,Lee,lee.family@gmail.com\nSam,Lee,other.lee@gmail.com\n';
    const shared = engineWithRoster({ csv });
    expect((await inspect(shared, textMessage('Reading', 'Sam Lee did well.'), 'lee.family@gmail.com')).action).toBe('pass');
    expect((await inspect(shared, textMessage('Reading', 'Sam Lee did well.'), STRANGER)).action).toBe('hold');
  });
});

describe('rule pupil-name-in-subject', () => {
  it('warns about a pupil\'s full name in the subject to anyone outside the trust', async () => {
    const verdict = await rulesFor('Jane Smith - homework', 'See attached.', 'tutor@example.com');
    expect(verdict.action).toBe('warn');
    expect(ids(verdict)).toEqual(['pupil-name-in-subject']);
  });
  it("does not warn when the recipient is that pupil's contact, and does for another pupil's", async () => {
    expect(ids(await rulesFor('Jane Smith - homework', 'See attached.', MUM))).toEqual([]);
    expect(ids(await rulesFor('Grace Hall - homework', 'See attached.', MUM))).toEqual(['personal-data-to-personal-address', 'pupil-name-in-subject']);
  });
  it('does not fire for initials or for mail inside the trust', async () => {
    expect(ids(await rulesFor('J.S. - homework', 'See attached.', 'tutor@example.com'))).toEqual([]);
    expect(ids(await rulesFor('Jane Smith - homework', 'See attached.', 'head@example-trust.org.uk'))).toEqual([]);
  });
});

describe('rule sensitive-subject', () => {
  it('rejects a subject naming a pupil with special-category data, even to their parent', async () => {
    const verdict = await rulesFor('Jane Smith EHCP review', 'Notes attached.', MUM);
    expect(verdict.action).toBe('reject');
    expect(ids(verdict)).toEqual(['sensitive-subject']);
  });
  it('rejects a subject naming a pupil with an identifier', async () => {
    expect(ids(await rulesFor('Grace Hall UPN B801200005001', 'x', 'la@leeds.gov.uk'))).toContain('sensitive-subject');
  });
  it('does not fire for a sensitive word without a pupil, or a pupil without one', async () => {
    expect(ids(await rulesFor('EHCP training dates', 'x', 'la@leeds.gov.uk'))).toEqual([]);
    expect(ids(await rulesFor('Grace Hall', 'x', 'la@leeds.gov.uk'))).toEqual(['pupil-name-in-subject']);
  });
});

describe('rule bulk-personal-data', () => {
  const classList = (n: number): string => Array.from({ length: n }, (_, i) => `Child${i} Family${i}`).join('\n');
  const roster = engineWithRoster({ csv: `Forename,Surname\n${classList(12).replace(/ /g, ',')}\n` });
  it('holds ten or more distinct pupils leaving the trust, to any class of recipient', async () => {
    const verdict = await inspect(roster, textMessage('class list', classList(10)), 'admissions@leeds.gov.uk');
    expect(verdict.rules.map((r) => [r.id, r.action])).toEqual([['bulk-personal-data', 'hold']]);
  });
  it('does not fire for nine, or for the same pupil ten times', async () => {
    expect(ids(await inspect(roster, textMessage('list', classList(9)), 'admissions@leeds.gov.uk'))).toEqual([]);
    expect(ids(await inspect(roster, textMessage('list', 'Child1 Family1\n'.repeat(10)), 'admissions@leeds.gov.uk'))).toEqual([]);
  });
  it('counts identifiers of people not on the roster, and takes its threshold from configuration', async () => {
    const strict = engineWithRoster({ extraYaml: 'rules:\n  bulk-personal-data:\n    thresholds: { pupils: 3 }\n' });
    const body = 'Jane Smith. NI numbers: AB123456C, JG103759A';
    expect(ids(await inspect(strict, textMessage('list', body), 'hr@payroll.example.com'))).toEqual(['bulk-personal-data']);
    expect(ids(await inspect(strict, textMessage('list', 'AB123456C AB123456C Jane Smith'), 'hr@payroll.example.com'))).toEqual([]);
  });
});

describe('rule special-category-in-body', () => {
  it('warns about special-category data about a named pupil in the body, to contacts too', async () => {
    const verdict = await rulesFor('Update', 'Jane Smith had a seizure at lunchtime and was given her medication.', MUM);
    expect(verdict.rules.map((r) => [r.id, r.action])).toEqual([['special-category-in-body', 'warn']]);
  });
  it('does not fire without a pupil', async () => {
    expect(ids(await rulesFor('Update', 'Our epilepsy training is on Friday.', 'trainer@example.com'))).toEqual([]);
  });
});
