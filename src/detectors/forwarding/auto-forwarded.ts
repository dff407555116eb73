import type { DlpConfig } from '../../config/load.js';
import type { Finding } from '../../engine/types.js';
import type { Detector, InspectionContext } from '../types.js';
import { headerFindings } from './header-markers.js';

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
    const rewritten = this.config.forwarding.autoForwardEnvelopeSenders.find((p) => p.regex.test(envelope.mailFrom));
    if (rewritten) {
      findings.push({ kind: 'auto-forwarded', location: 'envelope', evidence: rewritten.id, excerpt: rewritten.label });
    }
    return findings;
  }
}

export const createAutoForwardedDetector = (config: DlpConfig): Detector => new AutoForwardedDetector(config);
