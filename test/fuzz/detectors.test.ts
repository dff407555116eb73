/**
 * Fuzz: every detector and the policy, with the Riverside roster loaded, on random and
 * adversarial text (long runs of digits, letters, "@" and punctuation; roster names glued
 * together; unicode, lone surrogates, combining marks) placed in the subject, the body, the
 * HTML's text, an attachment's name, entry names or contents. Each input must end in a
 * verdict within the per-input budget, with every finding's span inside the text it names.
 * See test/fuzz/support/campaign.ts for FUZZ_SEED, FUZZ_RUNS and FUZZ_SECONDS.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { engineWithRoster } from '../support/roster.js';
import { campaignTimeoutMs, fuzzSettings, runCampaign } from './support/campaign.js';
import { envelopeFor, judgeAsRelayDoes } from './support/inspect-as-relay.js';
import { expectSpansInside, messageWithText, PLACES, type DetectorInput } from './support/detector-input.js';
import { ROSTER_WORDS } from './support/mime-generator.js';

const engine = engineWithRoster();
const settings = fuzzSettings({ runs: 200, seconds: 15 });

/** The longest text one input places anywhere: a very long email body. */
const MAX_TEXT_CHARS = 100_000;

const RUN_UNITS = [
  '0', '1', '9', ' ', 'a', 'A', 'z', '@', '.', '-', '/', ':', ',', '\n', '\r\n', '<', '>', '&', '#', ';', '\t', '+', '(', ')', "'", '’',
  '\u00a0', 'é', '\u0301', '😀', 'ж', '\u0661', 'ß', 'İ', 'ﬀ', '\u200d', '한', '\u1100', '\ud800', '\udc00',
  '12/', '1 ', '12 ', '1-', 'a@', 'a.', '@a.', 'Jane Smith ', 'Smith, Jane ', 'Jane\n> Smith ', 'JANE SMITH ', 'DOB ', 'born on ', 'date of birth: ',
  '04/02/2015 ', '4 Feb 2015 ', '07700 900123 ', '+44 (0)7700 ', 'SW1A 1AA ', 'H801200001001 ', 'AB 12 34 56 C ', 'NHS ', '943 476 5919 ',
  'ULN 1234567899 ', 'password is ', 'pw: ', 'password\n', 'opens with ', '> ', 'On Mon, Jane wrote:\n', 'From: x\nSent: y\nTo: z\nSubject: w\n',
  'To: a@b; c@d;\n', '-----Original Message-----\n', '&#x41;', '&amp;', '=?utf-8?', 'asthma ', 'EHCP ', 'SEND ', 'free school meals ',
] as const;

const separator = fc.constantFrom('', ' ', '  ', ',', ', ', '-', '\n', '\n> ', '>', '’', "'", '.', '\t', '|', '*', '\u00a0', '\u2028');

const run = fc
  .record({ unit: fc.oneof(fc.constantFrom(...RUN_UNITS), fc.string({ unit: 'binary', minLength: 1, maxLength: 4 })), times: fc.integer({ min: 1, max: 40_000 }) })
  .map(({ unit, times }) => unit.repeat(Math.min(times, Math.floor(MAX_TEXT_CHARS / unit.length))));

const gluedNames = fc
  .array(fc.tuple(fc.constantFrom(...ROSTER_WORDS), separator), { maxLength: 400 })
  .map((pairs) => pairs.map(([word, sep]) => `${word}${sep}`).join(''));

const loneSurrogates = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)), maxLength: 2000 });

const piece = fc.oneof(
  { arbitrary: run, weight: 3 },
  { arbitrary: gluedNames, weight: 3 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 2000 }), weight: 1 },
  { arbitrary: loneSurrogates, weight: 1 },
  { arbitrary: fc.string({ maxLength: 200 }), weight: 1 },
);

const adversarialText = fc.array(piece, { minLength: 1, maxLength: 6 }).map((pieces) => pieces.join('').slice(0, MAX_TEXT_CHARS));

const detectorInput: fc.Arbitrary<DetectorInput> = fc.record({
  text: adversarialText,
  places: fc.subarray([...PLACES], { minLength: 1, maxLength: 2 }),
  recipients: fc.integer({ min: 1, max: 15 }),
});

describe('fuzz: the detectors on adversarial text', () => {
  it(
    'give a verdict in time, with every span inside its text',
    async () => {
      await runCampaign(
        'detectors',
        settings,
        detectorInput,
        (input) => {
          const message = messageWithText(input);
          expectSpansInside(judgeAsRelayDoes(engine, message, envelopeFor(input.recipients)).findings, message);
        },
        { describe: (input) => `${input.text.length} chars in ${input.places.join(' + ')}`, bytesOf: (input) => JSON.stringify(input) },
      );
    },
    campaignTimeoutMs(settings),
  );
});
