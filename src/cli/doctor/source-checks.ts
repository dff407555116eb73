/**
 * One line per source: what kind it is, where its addresses come from and how old that list
 * is, whether it must use TLS; for the cloud kinds, the list compared with the provider's SPF
 * record; for Google Workspace, the DMARC record of each domain whose signature is proof.
 */
import { relative } from 'node:path';
import { SHIPPED_RULES_DIR, type DlpConfig } from '../../config/load.js';
import { addressListDate, type SourceKind, type SourceRule } from '../../config/sources.js';
import { describeSource } from '../../sources/connection.js';
import { ok, skip, warn, type CheckResult } from './check-result.js';
import { isCovered, parseCidr, type Cidr } from './cidr.js';
import type { DnsLookup } from './dns-lookup.js';
import { providerNetworks } from './provider-spf.js';

const DAY_MS = 86_400_000;
/** Providers change their ranges a few times a year, announced about a month ahead. */
export const ADDRESS_LIST_MAX_AGE_DAYS = 90;

const KEEP_OWN_COPY =
  'write the refreshed list to a file of the trust\'s own (one range a line, with a line "# As of: YYYY-MM-DD") and point the source\'s addresses_file at it';

/** How to refresh each provider's list, as rules/sources/*.txt explains. */
const REFRESH: Record<Exclude<SourceKind, 'server'>, string> = {
  microsoft365:
    'compare the list with Microsoft\'s (https://endpoints.office.com/endpoints/worldwide?clientrequestid=<any new GUID>&ServiceAreas=Exchange, the entry with "id": 10, its "ips"; or: dig +short TXT spf.protection.outlook.com), ' +
    KEEP_OWN_COPY,
  'google-workspace':
    "compare the list with Google's (dig +short TXT _netblocks.google.com; dig +short TXT _netblocks2.google.com; dig +short TXT _netblocks3.google.com; on Windows: nslookup -q=TXT _netblocks.google.com 8.8.8.8), " +
    KEEP_OWN_COPY,
};

export async function checkSources(config: DlpConfig, dns: DnsLookup, now: Date): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const dmarcDomains = new Set<string>();
  for (const source of config.sources) {
    results.push(describeSourceList(source, now));
    if (source.kind === 'server') continue;
    results.push(await compareWithProviderSpf(source, source.kind, dns));
    for (const domain of source.dkimDomains?.entries ?? []) dmarcDomains.add(domain.toLowerCase());
  }
  for (const domain of dmarcDomains) results.push(await checkDmarc(domain, dns));
  return results;
}

function describeSourceList(source: SourceRule, now: Date): CheckResult {
  const check = `source:${source.name}`;
  const count = source.networks.entries.length;
  const tls = source.certificateNames.length > 0
    ? `TLS required, with a client certificate for ${source.certificateNames.join(' or ')}`
    : source.tlsRequired ? 'TLS required' : 'TLS optional';
  const from = source.networksFrom === 'dlp.yaml' || source.networksFrom.startsWith('the default')
    ? source.networksFrom
    : isShipped(source.networksFrom) ? `the shipped list ${source.networksFrom}` : source.networksFrom;
  const described = `${describeSource(source)}: ${count} address range${count === 1 ? '' : 's'} from ${from}; ${tls}`;
  // A server's addresses are the trust's own; only the providers' lists go stale.
  if (source.kind === 'server') return ok(check, described);

  if (source.networksFrom === 'dlp.yaml') {
    return warn(check, `${described}; how old these addresses are is not known`, REFRESH[source.kind]);
  }
  const dated = addressListDate(source.networksFrom);
  if (!dated.date) return warn(check, `${described}; the list's date is not known (it has no "# As of:" date)`, REFRESH[source.kind]);
  const days = Math.floor((now.getTime() - dated.date.getTime()) / DAY_MS);
  const age = `${dated.source === 'as-of' ? 'as of' : 'file last changed'} ${dated.date.toISOString().slice(0, 10)} (${days} day${days === 1 ? '' : 's'} ago)`;
  if (days > ADDRESS_LIST_MAX_AGE_DAYS) return warn(check, `${described}; ${age}: older than ${ADDRESS_LIST_MAX_AGE_DAYS} days`, REFRESH[source.kind]);
  return ok(check, `${described}; ${age}`);
}

async function compareWithProviderSpf(source: SourceRule, kind: Exclude<SourceKind, 'server'>, dns: DnsLookup): Promise<CheckResult> {
  const check = `source-spf:${source.name}`;
  const published = await providerNetworks(kind, dns);
  if ('skipped' in published) return skip(check, `could not compare the addresses of ${describeSource(source)} with DNS: ${published.skipped}`);
  const inForce = cidrs(source.networks.entries);
  const inSpf = cidrs(published.networks);
  const missing = inSpf.filter((block) => !isCovered(block, inForce)).map((b) => b.text);
  const extra = inForce.filter((block) => !isCovered(block, inSpf)).map((b) => b.text);
  const record = `${published.provider}'s SPF record (${published.names.join(', ')})`;
  if (missing.length === 0 && extra.length === 0) return ok(check, `the ${inForce.length} ranges in force match ${record}`);
  const differences = [
    ...(missing.length ? [`in SPF but not admitted (mail from there is refused): ${missing.join(', ')}`] : []),
    ...(extra.length ? [`admitted but not in SPF: ${extra.join(', ')}`] : []),
  ];
  return warn(check, `the addresses of ${describeSource(source)} differ from ${record}: ${differences.join('; ')}`, REFRESH[kind]);
}

async function checkDmarc(domain: string, dns: DnsLookup): Promise<CheckResult> {
  const check = `dmarc:${domain}`;
  const name = `_dmarc.${domain}`;
  const answer = await dns.txt(name);
  if ('unreachable' in answer) return skip(check, `could not look up ${name}: ${answer.unreachable}`);
  const records = 'records' in answer ? answer.records.filter((r) => /^v=DMARC1\s*(;|$)/i.test(r.trim())) : [];
  const fix = `publish a TXT record at ${name}, for example "v=DMARC1; p=none; rua=mailto:dmarc-reports@${domain}", and move to p=quarantine once the reports show only the trust's own mail servers`;
  if (records.length === 0) {
    return warn(check, `${name} has no DMARC record (${'missing' in answer ? answer.missing : 'none of its TXT records starts v=DMARC1'}): receivers cannot tell forged mail from ${domain} from Gmail's signed mail`, fix);
  }
  if (records.length > 1) return warn(check, `${name} has ${records.length} DMARC records, so receivers ignore them all`, `keep one TXT record at ${name}`);
  return ok(check, `${name} publishes "${records[0]}"`);
}

function cidrs(entries: readonly string[]): Cidr[] {
  return entries.map(parseCidr).filter((c): c is Cidr => c !== undefined);
}

function isShipped(path: string): boolean {
  return !relative(SHIPPED_RULES_DIR, path).startsWith('..');
}
