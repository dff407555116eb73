/**
 * Fuzz: the attachment walker (src/attachments: type detection, zip, Office and OpenDocument
 * text, PDF, CSV, RTF, 7z and OLE headers, attached messages) called directly on mutated real
 * files. Seeds are made by the real tools as test/support/attachment-fixtures.ts does
 * (LibreOffice, zip, 7-Zip, officecrypto-tool) and a few small ones here. Two campaigns:
 * byte mutations of whole files, and mutations of one entry of an Office file or zip,
 * zipped again, so that the XML readers get damaged XML rather than a damaged zip. The
 * walker is documented never to throw for bad input: every file must come back as parts,
 * within the per-input budget. See test/fuzz/support/campaign.ts for FUZZ_SEED and the rest.
 */
import fc from 'fast-check';
import MailComposer from 'nodemailer/lib/mail-composer';
import { beforeAll, describe, it } from 'vitest';
import { openZip } from '../../src/attachments/zip.js';
import { CLASS_LIST, FixtureMaker, PUPIL_REPORT } from '../support/attachment-fixtures.js';
import { configFrom } from '../support/config.js';
import { campaignTimeoutMs, fuzzSettings, runCampaign } from './support/campaign.js';
import { applyMutations, describeMutated, mutatedInputArbitrary, tokens, type MutatedInput } from './support/mutate.js';
import { walkOne } from './support/walk-attachment.js';
import { writeZip } from './support/zip-writer.js';

const config = configFrom();
const wholeFileSettings = fuzzSettings({ runs: 800, seconds: 8 });
const entrySettings = fuzzSettings({ runs: 500, seconds: 6 });
/** Attachments are read without the detectors here, so they may be larger than a mutated message. */
const MAX_FILE_BYTES = 512 * 1024;

/** Byte strings the formats give meaning to: zip records, Office XML, PDF syntax, other containers' magic. */
const FORMAT_TOKENS = tokens(
  'PK\x03\x04', 'PK\x01\x02', 'PK\x05\x06', 'PK\x06\x06', 'PK\x06\x07', '\xff\xff\xff\xff', '\x00\x00\x00\x00', '\xff\xff', '\x08\x00',
  'word/document.xml', '[Content_Types].xml', 'xl/workbook.xml', 'xl/sharedStrings.xml', 'mimetype', 'application/vnd.oasis.opendocument.text', 'encryption-data',
  '<w:p>', '</w:p>', '<w:t>', '</w:t>', '<w:tab/>', '<c t="s"><v>4294967295</v></c>', '<c t="inlineStr"><is><t>', '</c>', '</row>', '<row>', '<si>', '</si>', '<f>', '</f>',
  '<![CDATA[', '&#x10FFFF;', '&#0;', '&amp;', '<', '>', '"', '/>', '<table:table-cell>', '<text:p>',
  '%PDF-1.7\n', '%%EOF', ' obj\n', 'endobj\n', 'stream\r\n', 'endstream', '/Length 99999999', '/Filter /FlateDecode', 'xref\n', 'trailer', '<<', '>>', '/Encrypt',
  '/Type /Page', '/Kids [', ' 0 R', '/Count 999999', '/Root 1 0 R', 'BT', 'ET', 'Tj', '[', ']', '(', ')', '\\',
  '7z\xbc\xaf\x27\x1c', '\x17\x06', '\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1', 'EncryptionInfo', 'EncryptedPackage', '-----BEGIN PGP MESSAGE-----',
  '{\\rtf1', '\\u-1 ', "\\'", '{\\*\\x ', '{', '}', '\\par ', '\r\n', '\n', ',', '"', ';', '\0', '\xef\xbb\xbf', '\xff\xfe', 'Jane Smith', 'H801200001001',
);

interface Seed {
  name: string;
  bytes: Buffer;
  contentType: string;
}
const seeds: Seed[] = [];
/** The entries of the zip-based seeds, for the entry campaign. */
const zipSeeds: Array<{ name: string; entries: Array<{ name: string; data: Buffer }> }> = [];

beforeAll(async () => {
  const fixtures = new FixtureMaker();
  fixtures.file('report.txt', PUPIL_REPORT);
  fixtures.file('list.csv', CLASS_LIST);
  fixtures.convert('report.txt', 'docx');
  fixtures.convert('report.txt', 'odt');
  fixtures.convert('report.txt', 'pdf');
  fixtures.convert('list.csv', 'xlsx');
  fixtures.zip('reports.zip', ['report.docx', 'list.csv']);
  fixtures.zip('nested.zip', ['reports.zip']);
  fixtures.zip('locked.zip', ['list.csv'], 'Wren-Hollow-52');
  fixtures.sevenZip('plain-many.7z', ['list.csv', 'report.txt']);
  fixtures.encryptOffice('report.docx', 'locked.docx', 'Wren-Hollow-52');
  for (const name of ['report.docx', 'report.odt', 'report.pdf', 'list.xlsx', 'list.csv', 'reports.zip', 'nested.zip', 'locked.zip', 'plain-many.7z', 'locked.docx']) {
    seeds.push({ name, bytes: fixtures.read(name), contentType: '' });
  }
  seeds.push({ name: 'notes.rtf', bytes: Buffer.from('{\\rtf1\\ansi{\\*\\generator x}Jane Smith\\par DOB \\u8217? 04/02/2015\\par\\cell Grace\\tab Hall}'), contentType: 'application/rtf' });
  seeds.push({ name: 'page.html', bytes: Buffer.from('<html><body><table><tr><td>Jane</td><td>Smith</td><td>H801200001001</td></tr></table></body></html>'), contentType: 'text/html' });
  seeds.push({ name: 'ctf.xml', bytes: Buffer.from('<?xml version="1.0"?><CTfile><Pupil><UPN>H801200001001</UPN><Forename>Jane</Forename><Surname>Smith</Surname></Pupil></CTfile>'), contentType: '' });
  const inner = await new MailComposer({ from: 'senco@example-trust.org.uk', to: 'head@example-trust.org.uk', subject: 'Grace Hall', text: PUPIL_REPORT, attachments: [{ filename: 'list.csv', content: CLASS_LIST }] })
    .compile()
    .build();
  seeds.push({ name: 'fwd.eml', bytes: inner, contentType: 'message/rfc822' });
  seeds.push({ name: 'generated.zip', bytes: writeZip([{ name: 'a.csv', data: Buffer.from(CLASS_LIST), deflate: true }, { name: 'inner.zip', data: writeZip([{ name: 'b.txt', data: Buffer.from(PUPIL_REPORT) }]) }]), contentType: 'application/zip' });

  for (const name of ['report.docx', 'report.odt', 'list.xlsx', 'reports.zip']) {
    const zip = await openZip(fixtures.read(name), 1000);
    const entries = [];
    for (const entry of zip.entries) entries.push({ name: entry.name, data: await zip.read(entry, 10_000_000) });
    zip.close();
    zipSeeds.push({ name, entries });
  }
}, 240_000);

const OTHER_NAMES = ['list.csv', 'report.docx', 'x.pdf', 'x.eml', 'x.txt', 'x.html', 'x.xml', 'x.p7m', 'x.zip', 'noext'] as const;
const OTHER_TYPES = ['', 'application/octet-stream', 'message/rfc822', 'application/pkcs7-mime', 'text/csv', 'text/html', 'application/pgp-encrypted'] as const;

interface WholeFileInput {
  mutated: MutatedInput;
  rename: number | undefined;
  retype: number | undefined;
}

interface EntryInput {
  seed: number;
  entry: number;
  mutated: MutatedInput;
  deflate: boolean;
}

function rezipped(input: EntryInput): Buffer {
  const { entries } = zipSeeds[input.seed]!;
  const target = input.entry % entries.length;
  const data = applyMutations({ ...input.mutated, seed: 0 }, [entries[target]!.data], FORMAT_TOKENS, MAX_FILE_BYTES);
  return writeZip(entries.map((e, i) => ({ name: e.name, data: i === target ? data : e.data, deflate: input.deflate && e.name !== 'mimetype' })));
}

describe('fuzz: the attachment walker on mutated files', () => {
  it(
    'reports every mutated file as parts (text, encrypted or unscannable), in time',
    async () => {
      const seedNames = seeds.map((s) => s.name);
      const input: fc.Arbitrary<WholeFileInput> = fc.record({
        mutated: mutatedInputArbitrary(seeds.length, FORMAT_TOKENS.length),
        rename: fc.option(fc.nat({ max: OTHER_NAMES.length - 1 }), { nil: undefined, freq: 6 }),
        retype: fc.option(fc.nat({ max: OTHER_TYPES.length - 1 }), { nil: undefined, freq: 6 }),
      });
      const bytesOf = (value: WholeFileInput): Buffer => applyMutations(value.mutated, seeds.map((s) => s.bytes), FORMAT_TOKENS, MAX_FILE_BYTES);
      await runCampaign(
        'attachment-whole-files',
        wholeFileSettings,
        input,
        async (value) => {
          const seed = seeds[value.mutated.seed]!;
          const name = value.rename === undefined ? seed.name : OTHER_NAMES[value.rename]!;
          const type = value.retype === undefined ? seed.contentType : OTHER_TYPES[value.retype]!;
          await walkOne(config, name, bytesOf(value), type);
        },
        { describe: (value) => describeMutated(value.mutated, seedNames, bytesOf(value).length), bytesOf },
      );
    },
    campaignTimeoutMs(wholeFileSettings),
  );

  it(
    'reads every Office file and zip with one damaged entry, in time',
    async () => {
      const input: fc.Arbitrary<EntryInput> = fc.record({
        seed: fc.nat({ max: zipSeeds.length - 1 }),
        entry: fc.nat(),
        mutated: mutatedInputArbitrary(1, FORMAT_TOKENS.length),
        deflate: fc.boolean(),
      });
      await runCampaign(
        'attachment-damaged-entries',
        entrySettings,
        input,
        async (value) => void (await walkOne(config, zipSeeds[value.seed]!.name, rezipped(value), '')),
        {
          describe: (value) => {
            const { name, entries } = zipSeeds[value.seed]!;
            return `${name}, entry ${entries[value.entry % entries.length]!.name} mutated, ${rezipped(value).length} bytes`;
          },
          bytesOf: rezipped,
        },
      );
    },
    campaignTimeoutMs(entrySettings),
  );
});
