/**
 * What must hold before the relay serves, beyond dlp.yaml itself: Haraka's plugin list and
 * TLS certificate agree with the sources, and the trust has made the policy its own. Problems
 * stop start-up; warnings are logged once (and `dlp doctor` prints both).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DlpConfig } from '../config/load.js';
import { issueSentence, type Issue } from './issue.js';
import { checkTlsCertificate, type CertificateCheck } from './tls-certificate.js';
import { SHIPPED_RULES_DIR } from '../config/load.js';
import { NetworkList, parseNetwork, parseNetworkListText } from '../config/networks.js';
import type { SourceRule } from '../config/sources.js';
import { describeSource, describeSources } from '../sources/connection.js';
import { iniList, readHarakaIni } from './haraka-ini.js';

/** What an issue is about, so that `dlp doctor` can say which parts are fine. */
export type DeploymentPart = 'plugins' | 'tls-certificate' | 'sources' | 'policy';

export interface DeploymentIssue extends Issue {
  /** A problem stops the relay from starting; a warning is logged. */
  severity: 'problem' | 'warning';
  about: DeploymentPart;
}

export interface DeploymentFindings {
  /** Each problem as one sentence, finding and fix. */
  problems: string[];
  warnings: string[];
  issues: DeploymentIssue[];
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
  const issues: DeploymentIssue[] = [];
  const problem = (about: DeploymentPart, { finding, fix }: Issue): void => void issues.push({ severity: 'problem', about, finding, fix });
  const warning = (about: DeploymentPart, { finding, fix }: Issue): void => void issues.push({ severity: 'warning', about, finding, fix });
  const pluginsFile = join(config.configDir, 'plugins');
  if (plugins.includes('relay')) {
    problem('plugins', {
      finding: `${pluginsFile} lists "relay": who may send through the relay is set by sources: in dlp.yaml, and Haraka's relay plugin would be a second, weaker list`,
      fix: 'remove the line (and config/relay_acl_allow)',
    });
  }
  if (!plugins.includes('dlp')) problem('plugins', { finding: `${pluginsFile} does not list "dlp": without it nothing is inspected`, fix: 'add dlp as its first line' });

  const certificate = checkTlsCertificate(config.configDir, now);
  const needTls = config.sources.filter((s) => s.tlsRequired);
  if (certificate.state === 'invalid') problem('tls-certificate', certificate.issue);
  if (certificate.state === 'none' && needTls.length > 0) {
    problem('tls-certificate', {
      finding: `${describeSources(needTls)} must send over TLS, and the relay has no certificate`,
      fix: `put it in ${certificate.certPath} and its key in ${certificate.keyPath} (or name them in tls.ini)`,
    });
  }
  if (certificate.state === 'ok' && !plugins.includes('tls')) {
    problem('plugins', { finding: `there is a TLS certificate but ${pluginsFile} does not list "tls", so STARTTLS would not be offered`, fix: 'add tls on the line after dlp' });
  }
  if (certificate.state === 'none' && plugins.includes('tls')) {
    warning('tls-certificate', {
      finding: `no TLS certificate (${certificate.certPath}): STARTTLS is not offered, and mail reaches the relay unencrypted`,
      fix: `put the relay's certificate in ${certificate.certPath} and its key in ${certificate.keyPath}`,
    });
  }
  if (certificate.state === 'ok' && certificate.renewal) warning('tls-certificate', certificate.renewal);

  if (config.sources.length === 1 && config.sources[0]!.networksFrom.startsWith('the default')) {
    warning('sources', {
      finding: 'no sources: in dlp.yaml, so only this machine (127.0.0.1, ::1) may send through the relay',
      fix: "list the trust's mail servers or tenants under sources: in dlp.yaml",
    });
  }
  for (const issue of sourceOverlaps(config.sources)) problem('sources', issue);
  const proxies = iniList(readHarakaIni(join(config.configDir, 'connection.ini'))['haproxy'], 'hosts').filter(Boolean);
  if (proxies.length > 0) {
    warning('sources', {
      finding: `connection.ini [haproxy] lets ${proxies.join(', ')} say, with the PROXY protocol, which address a client connects from: sources: then trusts what those hosts say`,
      fix: 'list there only load balancers the trust runs, or remove the hosts[] lines',
    });
  }
  const unset = config.rules.filter((r) => !r.clauseSetByTrust && r.action !== 'pass').map((r) => r.id);
  if (unset.length > 0) {
    warning('policy', {
      finding: `these rules quote the shipped, neutral policy clause rather than the trust's own: ${unset.join(', ')}`,
      fix: "set rules.<id>.clause in dlp.yaml to the words of the trust's policy",
    });
  }
  const sentences = (severity: DeploymentIssue['severity']): string[] => issues.filter((i) => i.severity === severity).map(issueSentence);
  return { problems: sentences('problem'), warnings: sentences('warning'), issues, certificate };
}

/** The providers whose sending addresses every one of their customers shares. */
const SHARED_PROVIDER_LISTS = [
  { label: "Exchange Online's sending addresses (every Microsoft 365 customer's)", file: 'sources/microsoft365.txt' },
  { label: "Google's sending addresses (every Google customer's)", file: 'sources/google-workspace.txt' },
];

/**
 * A mail server source is taken on its address alone. One that covers every address, or
 * addresses a cloud provider sends from (shared by all its customers), is an open relay for
 * everyone who can send from there: it stops start-up. (The provider's own source kind
 * proves each message is the trust's.)
 */
function sourceOverlaps(sources: readonly SourceRule[]): Issue[] {
  const issues: Issue[] = [];
  const shared = [
    ...sources.filter((s) => s.kind !== 'server').map((s) => ({ label: describeSource(s), networks: s.networks, fix: `mail from the provider is taken through ${s.name}` })),
    ...SHARED_PROVIDER_LISTS.map(({ label, file }) => ({
      label,
      networks: new NetworkList(parseNetworkListText(readFileSync(join(SHIPPED_RULES_DIR, file), 'utf8')).entries),
      fix: 'for a Microsoft 365 or Google Workspace tenant, use a source of that kind (docs/deploy/)',
    })),
  ];
  for (const server of sources.filter((s) => s.kind === 'server')) {
    const entries = server.networks.entries.map((entry) => ({ entry, network: parseNetwork(entry)! }));
    const everything = entries.filter(({ network }) => network.prefix === 0).map(({ entry }) => entry);
    if (everything.length > 0) {
      issues.push({ finding: `${describeSource(server)} lists ${everything.join(', ')}, every address there is: anyone may relay through it`, fix: "list only the mail server's own addresses" });
      continue;
    }
    for (const provider of shared) {
      const overlapping = entries
        .filter(({ entry, network }) => provider.networks.includes(network.address) || provider.networks.entries.some((c) => new NetworkList([entry]).includes(parseNetwork(c)!.address)))
        .map(({ entry }) => entry);
      if (overlapping.length > 0) {
        issues.push({
          finding: `${describeSource(server)} lists ${overlapping.join(', ')}, within ${provider.label}: anyone sending from there could relay through it, with no proof that the mail is the trust's`,
          fix: `remove those addresses from ${server.name}; ${provider.fix}`,
        });
      }
    }
  }
  return issues;
}
