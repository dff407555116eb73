/**
 * Fuzz: the whole engine (MIME normaliser, attachment walker, detectors, policy, and what the
 * relay's worker builds from a verdict) on generated structured MIME. Every message must end
 * in a verdict, or in the engine's one typed error for unparseable input, within the per-input
 * budget. See test/fuzz/support/campaign.ts for FUZZ_SEED, FUZZ_RUNS and FUZZ_SECONDS.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { engineWithRoster } from '../support/roster.js';
import { campaignTimeoutMs, fuzzSettings, runCampaign } from './support/campaign.js';
import { envelopeFor, inspectAsRelayDoes } from './support/inspect-as-relay.js';
import { messageBytes, rawMessageArbitrary } from './support/mime-generator.js';

const engine = engineWithRoster();
const settings = fuzzSettings({ runs: 1000, seconds: 10 });

describe('fuzz: the engine on generated MIME', () => {
  it(
    'answers every generated message with a verdict (or MessageParseError), in time',
    async () => {
      const input = fc.record({ message: rawMessageArbitrary, recipients: fc.integer({ min: 1, max: 15 }) });
      await runCampaign(
        'engine-structured-mime',
        settings,
        input,
        async ({ message, recipients }) => void (await inspectAsRelayDoes(engine, messageBytes(message), envelopeFor(recipients))),
        { describe: ({ message }) => `generated message, ${messageBytes(message).length} bytes`, bytesOf: ({ message }) => messageBytes(message) },
      );
    },
    campaignTimeoutMs(settings),
  );
});
