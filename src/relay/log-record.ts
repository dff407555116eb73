import type { Verdict } from '../engine/types.js';

export interface LogRecordInput {
  verdict?: Verdict;
  reference: string;
  mailFrom: string;
  rcptTo: string[];
  size: number;
  outcome: string;
  error?: string;
  elapsedMs: number;
}

/**
 * One structured line per message. Recipients appear as domain and class only, findings
 * as kinds and evidence ids: no message content and no names of people in the log.
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
    rules: verdict?.rules.map((r) => r.id) ?? [],
    findings: verdict?.findings.map((f) => `${f.kind}:${f.evidence}`) ?? [],
    ...(input.error ? { error: input.error } : {}),
    timings_ms: verdict ? { ...verdict.timings, elapsed: input.elapsedMs } : { elapsed: input.elapsedMs },
  };
}
