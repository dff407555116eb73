/**
 * The relay's start-up checks (src/relay/deployment-checks.ts) as doctor lines: each problem
 * a FAIL (the relay will not start), each warning a WARN, and an OK for each part that is fine.
 */
import { join } from 'node:path';
import type { DlpConfig } from '../../config/load.js';
import { checkDeployment, type DeploymentPart } from '../../relay/deployment-checks.js';
import type { CertificateCheck } from '../../relay/tls-certificate.js';
import { fail, ok, warn, type CheckResult } from './check-result.js';

const PART_ORDER: DeploymentPart[] = ['plugins', 'tls-certificate', 'sources', 'policy'];

export function checkDeploymentParts(config: DlpConfig, plugins: readonly string[], now: Date): CheckResult[] {
  const { issues, certificate } = checkDeployment(config, plugins, now);
  const results = new Map<DeploymentPart, CheckResult[]>();
  for (const issue of issues) {
    const result = issue.severity === 'problem' ? fail(issue.about, `${issue.finding} (the relay will not start)`, issue.fix) : warn(issue.about, issue.finding, issue.fix);
    results.set(issue.about, [...(results.get(issue.about) ?? []), result]);
  }
  if (!results.has('plugins')) results.set('plugins', [ok('plugins', `${join(config.configDir, 'plugins')} runs ${plugins.join(', ')}`)]);
  if (!results.has('tls-certificate')) results.set('tls-certificate', [ok('tls-certificate', describeCertificate(certificate))]);
  if (!results.has('policy')) results.set('policy', [ok('policy', "every rule that acts quotes the trust's own policy clause")]);
  return PART_ORDER.flatMap((part) => results.get(part) ?? []);
}

function describeCertificate(certificate: CertificateCheck): string {
  if (certificate.state === 'ok') {
    return `${certificate.certPath} for ${certificate.names.join(', ') || 'no names'}, valid until ${certificate.notAfter.toISOString().slice(0, 10)} (${certificate.daysLeft} days)`;
  }
  if (certificate.state === 'none') return `no certificate (${certificate.certPath}): no source has to use TLS, and the tls plugin is not listed`;
  return certificate.problem;
}
