import type { DlpConfig, HeaderMarker } from '../../config/load.js';
import type { Finding, FindingKind, HeaderLine } from '../../engine/types.js';
import type { Detector, InspectionContext } from '../types.js';

/**
 * Finds mail forwarded automatically (mailbox rules, server-side forwards, redirects) from
 * the headers and envelope such forwards leave. The header names and patterns are data in
 * rules/forwarding.yaml.
 */
export class AutoForwardedDetector implements Detector {
  readonly name = 'auto-forwarded';

  constructor(private readonly config: DlpConfig) {}

  detect({ message, envelope }: InspectionContext): Finding[] {
    const findings = headerFindings(message.headers, this.config.forwarding.autoForwardHeaders, 'auto-forwarded');
    const srs = this.config.forwarding.autoForwardEnvelopeSenders.find((p) => p.regex.test(envelope.mailFrom));
    if (srs) {
      findings.push({
        kind: 'auto-forwarded',
        location: 'envelope',
        evidence: srs.id,
        excerpt: 'envelope sender rewritten by a forwarding server (SRS)',
      });
    }
    return findings;
  }
}

/** One finding per evidence id whose header is present (and matches, when the marker has a pattern). */
export function headerFindings(headers: readonly HeaderLine[], markers: readonly HeaderMarker[], kind: FindingKind): Finding[] {
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const marker of markers) {
    if (seen.has(marker.id)) continue;
    if (!headers.some((h) => h.name === marker.header && (!marker.value || marker.value.regex.test(h.value)))) continue;
    seen.add(marker.id);
    findings.push({ kind, location: 'headers', evidence: marker.id, excerpt: `${marker.label} header present` });
  }
  return findings;
}

export const createAutoForwardedDetector = (config: DlpConfig): Detector => new AutoForwardedDetector(config);
