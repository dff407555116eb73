import { readFile } from 'node:fs/promises';
import type { InspectionEngine } from '../engine/inspect.js';
import { MessageParseError } from '../engine/normalise.js';
import type { Envelope, NormalisedMessage, Verdict } from '../engine/types.js';

export interface ScanOptions {
  mailFrom?: string;
  rcptTo: string[];
}

export type ScanResult = { file: string; verdict: Verdict } | { file: string; error: string };

/** Inspects one saved message exactly as the relay would; an unreadable or unparsable file is a result, not a throw. */
export async function scanFile(engine: InspectionEngine, file: string, options: ScanOptions): Promise<ScanResult> {
  let raw: Buffer;
  try {
    raw = await readFile(file);
  } catch (error) {
    return { file, error: `cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)})` };
  }
  let message: NormalisedMessage;
  try {
    message = await engine.parse(raw);
  } catch (error) {
    return { file, error: error instanceof MessageParseError ? error.message : `cannot parse the message (${String(error)})` };
  }
  if (message.headers.length === 0) return { file, error: 'not an email message: it has no header lines' };
  const envelope = envelopeFor(message, options);
  if (envelope.rcptTo.length === 0) {
    return { file, error: 'no recipients: the message has no To, Cc or Bcc addresses; give them with --rcpt' };
  }
  return { file, verdict: engine.inspectParsed(message, envelope) };
}

/** The envelope the relay would have seen: from the flags, else From: and To/Cc/Bcc. */
export function envelopeFor(message: NormalisedMessage, options: ScanOptions): Envelope {
  return {
    mailFrom: options.mailFrom ?? message.from[0]?.address ?? '',
    rcptTo:
      options.rcptTo.length > 0
        ? options.rcptTo.map((r) => r.toLowerCase())
        : [...new Set([...message.to, ...message.cc, ...message.bcc].map((m) => m.address))],
  };
}

/** The `--json` line for one file. */
export function jsonLine(result: ScanResult): string {
  if ('error' in result) return JSON.stringify({ file: result.file, error: result.error });
  const { verdict } = result;
  return JSON.stringify({
    file: result.file,
    verdict: verdict.action,
    mode: verdict.mode,
    reference: verdict.reference,
    rules: verdict.rules.map((r) => ({ id: r.id, action: r.action, reason: r.reason, clause: r.clause })),
    findings: verdict.findings.map((f) => ({ kind: f.kind, location: f.location, excerpt: f.excerpt })),
    recipients: verdict.recipients.map((r) => ({ address: r.address, class: r.class })),
  });
}

/** The readable report for one file. */
export function humanReport(result: ScanResult): string {
  if ('error' in result) return `${result.file}: ERROR ${result.error}\n`;
  const { verdict } = result;
  const lines: string[] = [];
  const monitor = verdict.mode === 'monitor' ? ' (monitor mode: would be, not enforced)' : '';
  lines.push(`${result.file}: ${verdict.action.toUpperCase()}${monitor}  ref ${verdict.reference}`);
  lines.push('  Recipients:');
  for (const r of verdict.recipients) {
    lines.push(`    ${r.address}  ${r.class}${r.knownContact ? ', known contact' : ''}: ${r.because}`);
  }
  if (verdict.rules.length === 0) lines.push('  No rule fired.');
  for (const rule of verdict.rules) {
    lines.push(`  Rule ${rule.id} -> ${rule.action} (for ${rule.recipients.join(', ')})`);
    lines.push(`    ${rule.reason}`);
    lines.push(`    Policy: ${rule.clause}`);
  }
  if (verdict.findings.length > 0) lines.push('  Findings:');
  for (const f of verdict.findings) lines.push(`    ${f.kind} in ${f.location}: ${f.excerpt}`);
  return `${lines.join('\n')}\n`;
}
