/**
 * Fuzz: the whole engine on byte-level mutations (flips, inserts, deletes, splices, duplicated
 * ranges, long runs) of real messages: the forwarding fixtures, the corrupt ones, and messages
 * with attachments built here by nodemailer and zip. See test/fuzz/support/campaign.ts for
 * FUZZ_SEED, FUZZ_RUNS and FUZZ_SECONDS.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import MailComposer from 'nodemailer/lib/mail-composer';
import { beforeAll, describe, it } from 'vitest';
import { CLASS_LIST, FixtureMaker, messageWith, PUPIL_REPORT } from '../support/attachment-fixtures.js';
import { FIXTURES } from '../support/paths.js';
import { engineWithRoster, STAFF } from '../support/roster.js';
import { campaignTimeoutMs, fuzzSettings, runCampaign } from './support/campaign.js';
import { envelopeFor, inspectAsRelayDoes } from './support/inspect-as-relay.js';
import { applyMutations, describeMutated, mutatedInputArbitrary, tokens } from './support/mutate.js';
import { writeZip } from './support/zip-writer.js';

const engine = engineWithRoster();
const settings = fuzzSettings({ runs: 600, seconds: 12 });

/** Byte strings MIME gives meaning to, for the mutator to insert and repeat. */
const MIME_TOKENS = tokens(
  '\r\n', '\r\n\r\n', '\n', '\r', ' ', '\t', '--', '--b\r\n', '--b--\r\n', '\0', '\xff\xfe', '=', '=\r\n', '=3D', '=?utf-8?B?', '=?x-unknown?Q?', '?=',
  'Content-Type: multipart/mixed; boundary=b\r\n', 'Content-Type: message/rfc822\r\n', 'Content-Type: text/html; charset=utf-7\r\n',
  'Content-Type: text/plain; charset=x-unknown\r\n', 'Content-Type:\r\n', 'Content-Transfer-Encoding: base64\r\n', 'Content-Transfer-Encoding: quoted-printable\r\n',
  'Content-Disposition: attachment; filename="x.eml"\r\n', "Content-Disposition: attachment; filename*=utf-8''%E2%80%AE.zip\r\n", 'boundary=', '; name=',
  '<html>', '<td>', '</td>', '<', '>', '&#', 'Jane Smith', 'Grace Hall', 'H801200001001', 'DOB 04/02/2015', '@', 'mum.smith@gmail.com',
  'From: a@b\r\nSent: Monday\r\nTo: c@d\r\nSubject: x\r\n', 'FW: ', 'begin 644 x\r\n', 'PK\x03\x04', '-----BEGIN PGP MESSAGE-----',
);

const seeds: Buffer[] = [];
const seedNames: string[] = [];
const addSeed = (name: string, bytes: Buffer): void => void (seeds.push(bytes), seedNames.push(name));

beforeAll(async () => {
  for (const dir of ['forwarding', 'corrupt']) {
    for (const file of readdirSync(join(FIXTURES, dir)).filter((f) => f.endsWith('.eml'))) addSeed(`${dir}/${file}`, readFileSync(join(FIXTURES, dir, file)));
  }
  const fixtures = new FixtureMaker();
  fixtures.file('report.txt', PUPIL_REPORT);
  fixtures.file('list.csv', CLASS_LIST);
  fixtures.zip('reports.zip', ['report.txt', 'list.csv']);
  fixtures.zip('nested.zip', ['reports.zip']);
  fixtures.zip('locked.zip', ['list.csv'], 'Wren-Hollow-52');
  const to = 'helper@gmail.com';
  addSeed('with list.csv', await messageWith(to, [{ name: 'list.csv', content: fixtures.read('list.csv') }]));
  addSeed('with nested.zip', await messageWith(to, [{ name: 'nested.zip', content: fixtures.read('nested.zip') }]));
  addSeed('with locked.zip', await messageWith(to, [{ name: 'locked.zip', content: fixtures.read('locked.zip') }], 'The password is Wren-Hollow-52'));
  addSeed('with page.html', await messageWith(to, [{ name: 'page.html', content: Buffer.from('<table><tr><td>Jane</td><td>Smith</td></tr></table>') }]));
  addSeed('with generated.zip', await messageWith(to, [{ name: 'generated.zip', content: writeZip([{ name: 'a.csv', data: Buffer.from(CLASS_LIST), deflate: true }]) }]));
  const inner = await new MailComposer({ from: 'senco@example-trust.org.uk', to: 'head@example-trust.org.uk', subject: 'Grace Hall', text: PUPIL_REPORT, attachments: [{ filename: 'list.csv', content: CLASS_LIST }] })
    .compile()
    .build();
  addSeed('with fwd.eml', await messageWith(to, [{ name: 'fwd.eml', content: inner, contentType: 'message/rfc822', contentDisposition: 'attachment' }]));
  addSeed(
    'html alternative',
    await new MailComposer({ from: STAFF, to, subject: 'FW: Jane Smith', text: PUPIL_REPORT, html: `<p>${PUPIL_REPORT}</p><table><tr><td>Grace</td><td>Hall</td></tr></table>` }).compile().build(),
  );
});

describe('fuzz: the engine on mutated messages', () => {
  it(
    'answers every mutated message with a verdict (or MessageParseError), in time',
    async () => {
      const input = fc.record({ mutated: mutatedInputArbitrary(seeds.length, MIME_TOKENS.length), recipients: fc.integer({ min: 1, max: 15 }) });
      const bytesOf = ({ mutated }: { mutated: Parameters<typeof applyMutations>[0] }): Buffer => applyMutations(mutated, seeds, MIME_TOKENS);
      await runCampaign(
        'engine-mutated-messages',
        settings,
        input,
        async (value) => void (await inspectAsRelayDoes(engine, bytesOf(value), envelopeFor(value.recipients))),
        { describe: (value) => describeMutated(value.mutated, seedNames, bytesOf(value).length), bytesOf },
      );
    },
    campaignTimeoutMs(settings),
  );
});
