import type { Finding, Verdict } from '../engine/types.js';
import { distinctPeople, personalDataFindings } from '../policy/conditions/personal-data.js';

export interface LogRecordInput {
  verdict?: Verdict;
  reference: string;
  mailFrom: string;
  rcptTo: string[];
  size: number;
  outcome: string;
  /** The source the message came from (a name in dlp.yaml's sources:). */
  source?: string;
  /** Why a message was not taken from its source (no content: tenant ids, domains, ages). */
  sourceRefusal?: string;
  error?: string;
  elapsedMs: number;
}

/**
 * One structured line per message. Recipients appear as domain and class only, findings
 * as counts by kind and evidence id, and the number of people the message is about: no
 * message content, no names, no identifiers in the log, and a bounded line however many
 * findings a message has.
 */
export function verdictLogRecord(input: LogRecordInput): Record<string, unknown> {
  const { verdict } = input;
  return {
    event: 'dlp-verdict',
    ref: input.reference,
    sender: input.mailFrom || '<>',
    recipients: verdict
      ? verdict.recipients.map((r) => ({ domain: r.domain, class: r.class, ...(r.knownContact ? { known_contact: true } : {}) }))
      : input.rcptTo.map((r) => ({ domain: r.slice(r.lastIndexOf('@') + 1).toLowerCase() })),
    size: input.size,
    mode: verdict?.mode,
    verdict: verdict?.action,
    outcome: input.outcome,
    ...(input.source ? { source: input.source } : {}),
    ...(input.sourceRefusal ? { source_refusal: input.sourceRefusal } : {}),
    rules: verdict?.rules.map((r) => r.id) ?? [],
    findings: verdict ? countFindings(verdict.findings) : {},
    ...(verdict ? { people: distinctPeople(personalDataFindings(verdict.findings)) } : {}),
    ...(input.error ? { error: input.error } : {}),
    timings_ms: verdict ? { ...verdict.timings, elapsed: input.elapsedMs } : { elapsed: input.elapsedMs },
  };
}

function countFindings(findings: readonly Finding[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const f of findings) counts[`${f.kind}:${f.evidence}`] = (counts[`${f.kind}:${f.evidence}`] ?? 0) + 1;
  return counts;
}
