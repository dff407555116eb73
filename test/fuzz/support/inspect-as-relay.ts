/**
 * What the relay's inspection worker does with a message (src/relay/inspection-worker.ts):
 * parse, inspect, and for a message that does not pass, the sender's notice and the
 * reviewer's document. Anything thrown from here but a MessageParseError becomes a 451 in
 * the relay, on every retry of the same message, so the fuzz properties allow only that.
 */
import { expect } from 'vitest';
import type { InspectionEngine } from '../../../src/engine/inspect.js';
import { MessageParseError } from '../../../src/engine/normalise.js';
import { ACTIONS, FINDING_KINDS, type Envelope, type NormalisedMessage, type Verdict } from '../../../src/engine/types.js';
import { senderNoticeFacts } from '../../../src/notify/facts.js';
import { buildReviewDocument } from '../../../src/quarantine/review-document.js';
import { STAFF } from '../../support/roster.js';

/** Recipients of each class: personal, internal, a roster parent's address, a stranger's organisation. */
export const FUZZ_RECIPIENTS = ['helper@gmail.com', 'head@example-trust.org.uk', 'mum.smith@gmail.com', 'office@partner-school.example'] as const;

export function envelopeFor(recipientMask: number): Envelope {
  const rcptTo = FUZZ_RECIPIENTS.filter((_, i) => (recipientMask >> i) & 1);
  return { mailFrom: STAFF, rcptTo: rcptTo.length > 0 ? rcptTo : [FUZZ_RECIPIENTS[0]] };
}

export type RelayOutcome = { kind: 'verdict'; verdict: Verdict } | { kind: 'unparseable' };

export async function inspectAsRelayDoes(engine: InspectionEngine, raw: Buffer, envelope: Envelope): Promise<RelayOutcome> {
  let message;
  try {
    message = await engine.parse(raw);
  } catch (error) {
    // The one error the engine raises for bad input by design: the relay answers 4xx and logs it.
    if (error instanceof MessageParseError) return { kind: 'unparseable' };
    throw error;
  }
  return { kind: 'verdict', verdict: judgeAsRelayDoes(engine, message, envelope) };
}

/** The worker's steps after parsing: detectors and policy, then the sender's notice and the reviewer's document. */
export function judgeAsRelayDoes(engine: InspectionEngine, message: NormalisedMessage, envelope: Envelope): Verdict {
  const verdict = engine.inspectParsed(message, envelope, 'FUZZ0000');
  if (verdict.action !== 'pass') senderNoticeFacts(message, verdict.findings, envelope.mailFrom);
  if (verdict.action === 'hold') buildReviewDocument(message, verdict);
  expect(ACTIONS).toContain(verdict.action);
  for (const finding of verdict.findings) expect(FINDING_KINDS).toContain(finding.kind);
  // The worker hands the verdict to the relay process, which logs it as JSON.
  JSON.stringify(verdict);
  return verdict;
}
