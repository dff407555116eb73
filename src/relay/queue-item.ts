import { hostname } from 'node:os';
import type { ReviewDocument, NewQueueItem } from '../quarantine/types.js';
import type { Verdict } from '../engine/types.js';

/** What the quarantine stores of a message the relay holds: the bytes as received, the envelope, and the verdict. */
export function queueItemOf(input: { verdict: Verdict; review: ReviewDocument; raw: Buffer; mailFrom: string; rcptTo: string[] }): NewQueueItem {
  const { verdict } = input;
  return {
    reference: verdict.reference,
    monitor: verdict.mode === 'monitor',
    mailFrom: input.mailFrom,
    rcptTo: input.rcptTo,
    action: verdict.action,
    rules: verdict.rules,
    // Which pupils an address is a contact of is roster data the reviewer does not need.
    recipients: verdict.recipients.map(({ contactOf: _ids, ...recipient }) => recipient),
    findings: verdict.findings.map(({ pupils: _ids, identifiers: _keys, ...finding }) => finding),
    review: input.review,
    raw: input.raw,
    receivedAt: new Date(),
    relay: hostname(),
  };
}
