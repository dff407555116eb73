/**
 * What must hold before the relay serves, beyond dlp.yaml itself: Haraka's plugin list and
 * TLS certificate agree with the sources, and the trust has made the policy its own. Problems
 * stop start-up; warnings are logged once (and `dlp doctor` prints both).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DlpConfig } from '../config/load.js';
import { checkTlsCertificate, type CertificateCheck } from './tls-certificate.js';
import { describeSources } from '../sources/connection.js';

export interface DeploymentFindings {
  problems: string[];
  warnings: string[];
  certificate: CertificateCheck;
}

/** Haraka's config/plugins: one plugin a line, `#` comments. */
export function readPluginList(configDir: string): string[] {
  try {
    return readFileSync(join(configDir, 'plugins'), 'utf8')
      .split(/\r?\n/)
      .map((line) => line.replace(/#.*/, '').trim())
      .filter(Boolean);
  } catch {
    return [];
  }
}

export function checkDeployment(config: DlpConfig, plugins: readonly string[], now = new Date()): DeploymentFindings {
  const problems: string[] = [];
  const warnings: string[] = [];
  const pluginsFile = join(config.configDir, 'plugins');
  if (plugins.includes('relay')) {
    problems.push(
      `${pluginsFile} lists "relay": who may send through the relay is set by sources: in dlp.yaml, and Haraka's relay plugin would be a second, weaker list. Remove the line (and config/relay_acl_allow).`,
    );
  }
  if (!plugins.includes('dlp')) problems.push(`${pluginsFile} does not list "dlp": without it nothing is inspected`);

  const certificate = checkTlsCertificate(config.configDir, now);
  const needTls = config.sources.filter((s) => s.tlsRequired);
  if (certificate.state === 'invalid') problems.push(certificate.problem);
  if (certificate.state === 'none' && needTls.length > 0) {
    problems.push(
      `${describeSources(needTls)} must send over TLS, and the relay has no certificate: put it in ${certificate.certPath} and its key in ${certificate.keyPath} (or name them in tls.ini)`,
    );
  }
  if (certificate.state === 'ok' && !plugins.includes('tls')) problems.push(`there is a TLS certificate but ${pluginsFile} does not list "tls", so STARTTLS would not be offered: add tls as its first line`);
  if (certificate.state === 'none' && plugins.includes('tls')) {
    warnings.push(`no TLS certificate (${certificate.certPath}): STARTTLS is not offered, and mail reaches the relay unencrypted`);
  }
  if (certificate.state === 'ok' && certificate.warning) warnings.push(certificate.warning);

  if (config.sources.length === 1 && config.sources[0]!.networksFrom.startsWith('the default')) {
    warnings.push('no sources: in dlp.yaml, so only this machine (127.0.0.1, ::1) may send through the relay');
  }
  const unset = config.rules.filter((r) => !r.clauseSetByTrust && r.action !== 'pass').map((r) => r.id);
  if (unset.length > 0) {
    warnings.push(`these rules quote the shipped, neutral policy clause rather than the trust's own: ${unset.join(', ')} (set rules.<id>.clause in dlp.yaml)`);
  }
  return { problems, warnings, certificate };
}
