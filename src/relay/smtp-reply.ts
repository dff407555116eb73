import type { RuleFired, Verdict } from '../engine/types.js';

export const VERDICT_HEADER = 'X-DLP-Verdict';

/** What the relay does with a message, decided from the verdict alone (no SMTP objects here). */
export type RelayDecision = { kind: 'deliver'; header: string } | { kind: 'hold'; line: string } | Refusal;
export interface Refusal {
  kind: 'refuse';
  code: 550 | 554 | 451;
  enhanced: [number, number, number];
  lines: string[];
}

// One SMTP reply line is at most 512 octets with its code; leave room for "550-5.7.1 ".
const MAX_LINE = 480;

/** Maps a verdict to the SMTP outcome: reject → 550 5.7.1, hold → stored and 250 with the reference, else deliver. */
export function decide(verdict: Verdict): RelayDecision {
  const header = verdictHeader(verdict);
  if (verdict.mode === 'monitor') return { kind: 'deliver', header };
  switch (verdict.action) {
    case 'pass':
    case 'warn':
      return { kind: 'deliver', header };
    case 'reject':
      return refusal(550, [5, 7, 1], verdict, 'Not sent', (fired) => fired.map((r) => `Policy: ${r.clause}`));
    case 'hold': {
      const rules = verdict.rules.filter((r) => r.action === 'hold').map((r) => r.id);
      return { kind: 'hold', line: smtpSafe(`Held for review by the Data Protection Officer [${rules.join(', ')}] Ref ${verdict.reference}`) };
    }
  }
}

/** The 451 for a held message the quarantine could not store: nothing is delivered, and the sending server retries. */
export function holdFailed(reference: string): Refusal {
  return {
    kind: 'refuse',
    code: 451,
    enhanced: [4, 3, 0],
    lines: [smtpSafe(`The message needs review by the Data Protection Officer and the review queue cannot take it now; it will be retried. Ref ${reference}`)],
  };
}

/** One line per rule with the verdict's action (id, reason, reference), then the lines `more` adds. */
function refusal(
  code: Refusal['code'],
  enhanced: Refusal['enhanced'],
  verdict: Verdict,
  lead: string,
  more: (fired: RuleFired[]) => string[],
): Refusal {
  const fired = verdict.rules.filter((r) => r.action === verdict.action);
  const lines = [...fired.map((r) => `${lead}: [${r.id}] ${r.reason} Ref ${verdict.reference}`), ...more(fired)];
  return { kind: 'refuse', code, enhanced, lines: lines.map(smtpSafe) };
}

/**
 * A message from a cloud provider's shared servers that does not prove it is the trust's own:
 * 550 5.7.1, so another customer of the provider cannot relay through us; 451 4.7.0 when the
 * proof could not be checked just now (a DKIM key that did not resolve), so the trust's own
 * mail is retried rather than bounced.
 */
export function sourceNotProven(reference: string, why: string, temporary: boolean): Refusal {
  return temporary
    ? { kind: 'refuse', code: 451, enhanced: [4, 7, 0], lines: [smtpSafe(`Not relayed yet: ${why}. It will be retried. Ref ${reference}`)] }
    : { kind: 'refuse', code: 550, enhanced: [5, 7, 1], lines: [smtpSafe(`Not relayed: this relay takes mail only from the trust's own sources, and ${why}. Ref ${reference}`)] };
}

/** The 451 for a message whose inspection could not finish: the sending server keeps it and retries. */
export function inspectionFailed(reference: string, why: 'error' | 'timeout'): Refusal {
  const what = why === 'timeout' ? 'took too long to check' : 'could not be checked';
  return {
    kind: 'refuse',
    code: 451,
    enhanced: [4, 3, 0],
    lines: [smtpSafe(`The message ${what} for personal data and has not been sent; it will be retried. Ref ${reference}`)],
  };
}

/** The 451 for a message still being checked when the relay stops: the sending server retries it (at this relay, or another). */
export function relayStopping(reference: string): Refusal {
  return {
    kind: 'refuse',
    code: 451,
    enhanced: [4, 3, 2],
    lines: [smtpSafe(`The relay is restarting; this message has not been sent and will be retried. Ref ${reference}`)],
  };
}

/** The 451 for a message that found every inspection process busy for too long: the sender retries later. */
export function inspectionBusy(reference: string): Refusal {
  return {
    kind: 'refuse',
    code: 451,
    enhanced: [4, 3, 2],
    lines: [smtpSafe(`The relay is busy checking other messages for personal data; this message has not been sent and will be retried. Ref ${reference}`)],
  };
}

/**
 * The 554 for a message the relay can never check (over the MIME parser's hard limits): the
 * same bytes would fail on every retry, so the sender hears now, with what to do, rather than
 * when its server gives up retrying. Nothing is delivered.
 */
export function overInspectionLimit(reference: string, why: string): Refusal {
  return {
    kind: 'refuse',
    code: 554,
    enhanced: [5, 3, 4],
    lines: [smtpSafe(`The message cannot be checked for personal data: ${why}, more than this relay can check. It has not been sent; send the content in smaller messages. Ref ${reference}`)],
  };
}

/** `X-DLP-Verdict` value: action, the rules that fired (warn), and the reference. Never message content. */
export function verdictHeader(verdict: Verdict): string {
  if (verdict.mode === 'monitor') return `monitor; ref=${verdict.reference}`;
  const rules = verdict.rules.map((r) => r.id);
  return rules.length > 0
    ? `${verdict.action}; rules=${rules.join(',')}; ref=${verdict.reference}`
    : `${verdict.action}; ref=${verdict.reference}`;
}

/** SMTP replies are 7-bit: fold typography to ASCII, drop control characters, cap the length. */
export function smtpSafe(text: string): string {
  const ascii = text
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/[\u2013\u2014]/g, '-')
    .replace(/\u00a7/g, 's.')
    .replace(/\s+/g, ' ')
    .normalize('NFKD')
    .replace(/[^\x20-\x7e]/g, '')
    .trim();
  return ascii.length > MAX_LINE ? `${ascii.slice(0, MAX_LINE - 3)}...` : ascii;
}
