import { beforeAll, describe, expect, it } from 'vitest';
import type { Verdict } from '../../src/engine/types.js';
import { CLASS_LIST, FixtureMaker, messageWith, PUPIL_REPORT } from '../support/attachment-fixtures.js';
import { engineWithRoster, STAFF } from '../support/roster.js';

const fixtures = new FixtureMaker();
const engine = engineWithRoster();
const MUM = 'mum.smith@gmail.com';

async function send(to: string, text: string, ...files: string[]): Promise<Verdict> {
  const raw = await messageWith(to, files.map((name) => ({ name, content: fixtures.read(name) })), text, 'Documents');
  return engine.inspect(raw, { mailFrom: STAFF, rcptTo: [to] });
}
const rules = (verdict: Verdict): string[] => verdict.rules.map((r) => `${r.id}:${r.action}`);

beforeAll(() => {
  fixtures.file('report.txt', PUPIL_REPORT);
  fixtures.file('list.csv', CLASS_LIST);
  fixtures.file('names.csv', 'Forename,Surname\nJane,Smith\nGrace,Hall\nSummer,Day\n');
  fixtures.file('two-names.csv', 'Forename,Surname\nJane,Smith\nGrace,Hall\n');
  fixtures.file('newsletter.txt', 'Dates for your diary: sports day is on 12 June.');
  fixtures.convert('report.txt', 'docx');
  fixtures.zip('locked.zip', ['report.docx'], 'Wren-Hollow-52');
}, 120_000);

describe('rule unencrypted-sensitive-attachment', () => {
  it("rejects a pupil's SEN report unencrypted, even to the pupil's own parent", async () => {
    expect(rules(await send(MUM, 'Report attached.', 'report.docx'))).toEqual(['unencrypted-sensitive-attachment:reject']);
  });
  it('rejects identifiers in an attachment to a partner organisation', async () => {
    expect(rules(await send('senco@leeds.gov.uk', 'List attached.', 'list.csv'))).toEqual(['unencrypted-sensitive-attachment:reject']);
  });
  it('rejects three pupils named in one attachment, not two', async () => {
    expect(rules(await send('coach@example.com', 'Team list.', 'names.csv'))).toEqual(['unencrypted-sensitive-attachment:reject']);
    expect(rules(await send('coach@example.com', 'Team list.', 'two-names.csv'))).toEqual([]);
  });
  it('passes the same report encrypted, and an attachment with no personal data', async () => {
    expect(rules(await send('senco@leeds.gov.uk', 'Report attached; I will phone with the password.', 'locked.zip'))).toEqual([]);
    expect(rules(await send('parents@example.com', 'Newsletter attached.', 'newsletter.txt'))).toEqual([]);
  });
});

describe('rule password-with-attachment', () => {
  it('rejects an encrypted attachment sent with its password', async () => {
    const verdict = await send('senco@leeds.gov.uk', 'Report attached. The password is Wren-Hollow-52', 'locked.zip');
    expect(rules(verdict)).toEqual(['password-with-attachment:reject']);
    expect(verdict.findings).toContainEqual(expect.objectContaining({ kind: 'password-in-message', excerpt: 'password W***-H*****-5*' }));
  });
  it('finds the password in the quoted thread too', async () => {
    const body = 'Resending as asked.\n\n-----Original Message-----\nFrom: Sarah\n\n> It opens with Wren-Hollow-52';
    expect(rules(await send('senco@leeds.gov.uk', body, 'locked.zip'))).toEqual(['password-with-attachment:reject']);
  });
  it('does not fire for a promise to send the password another way, or a password with nothing encrypted', async () => {
    expect(rules(await send('senco@leeds.gov.uk', 'I will text you the password.', 'locked.zip'))).toEqual([]);
    expect(rules(await send('it@example.com', 'Your new wifi password is Kestrel77', 'newsletter.txt'))).toEqual([]);
  });
});
