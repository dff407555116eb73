/**
 * DNS of the trust's own domains (organisation.internal_domains): where their mail goes (MX),
 * and who may send it (SPF). With --relay-ip, whether SPF lets the relay itself deliver.
 */
import type { DlpConfig } from '../../config/load.js';
import { ok, skip, warn, type CheckResult } from './check-result.js';
import { isCovered, parseCidr, type Cidr } from './cidr.js';
import type { DnsLookup } from './dns-lookup.js';
import { parseSpf, spfRecordsIn, type SpfRecord } from './spf-record.js';

const PROVIDER_INCLUDES: Record<string, string> = {
  'spf.protection.outlook.com': 'Microsoft 365',
  '_spf.google.com': 'Google Workspace',
};

export async function checkDomainDns(config: DlpConfig, dns: DnsLookup, relayIp?: string): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const domain of config.organisation.internalDomains) {
    results.push(await checkMx(domain, dns));
    const spf = await checkSpf(domain, dns);
    results.push(spf.result);
    if (relayIp !== undefined) results.push(spf.record ? await checkRelayIp(domain, spf.record, relayIp, dns) : relayIpWithoutSpf(domain, relayIp, spf.unreachable));
  }
  return results;
}

async function checkMx(domain: string, dns: DnsLookup): Promise<CheckResult> {
  const check = `mx:${domain}`;
  const answer = await dns.mx(domain);
  if ('unreachable' in answer) return skip(check, `could not look up the MX records of ${domain}: ${answer.unreachable}`);
  if ('missing' in answer) {
    return warn(check, `${domain} has no MX record (${answer.missing}): mail to it (replies, bounces, the DPO's guidance) cannot be delivered`, `publish the MX records your mail provider gives for ${domain}, or remove it from organisation.internal_domains if it is not a mail domain`);
  }
  return ok(check, `${domain} receives mail at ${answer.records.map((mx) => `${mx.exchange} (${mx.priority})`).join(', ')}`);
}

async function checkSpf(domain: string, dns: DnsLookup): Promise<{ result: CheckResult; record?: SpfRecord; unreachable?: string }> {
  const check = `spf:${domain}`;
  const answer = await dns.txt(domain);
  if ('unreachable' in answer) return { result: skip(check, `could not look up the SPF record of ${domain}: ${answer.unreachable}`), unreachable: answer.unreachable };
  const records = 'records' in answer ? spfRecordsIn(answer.records) : [];
  const publish = `publish one TXT record at ${domain} starting v=spf1 that lists every system sending as ${domain} (for example "v=spf1 include:spf.protection.outlook.com -all" for Microsoft 365, "v=spf1 include:_spf.google.com -all" for Google)`;
  if (records.length === 0) {
    return { result: warn(check, `${domain} has no SPF record (${'missing' in answer ? answer.missing : 'no TXT record starts v=spf1'}): receivers cannot tell its mail from forgeries`, publish) };
  }
  if (records.length > 1) {
    return { result: warn(check, `${domain} has ${records.length} SPF records, which receivers treat as an error (permerror): ${records.map((r) => `"${r}"`).join(', ')}`, `merge them into one record: ${publish}`) };
  }
  const record = parseSpf(records[0]!);
  const providers = record.includes.map((name) => PROVIDER_INCLUDES[name]).filter((name): name is string => name !== undefined);
  const includes = providers.length > 0 ? `; it includes ${providers.join(' and ')}` : '; it includes neither Microsoft 365 (spf.protection.outlook.com) nor Google (_spf.google.com)';
  return { result: ok(check, `${domain} publishes "${record.text}"${includes}`), record };
}

/**
 * Whether the domain's SPF record lets the relay's address send: its ip4:/ip6: entries, and
 * those of the records it includes (one level). Mechanisms that could still admit the address
 * in the record itself (a, mx, ptr, exists, redirect) make the answer "could not tell"; what
 * included records include in turn is not followed (a provider's record never lists a
 * trust's own relay), and the answer says so.
 */
async function checkRelayIp(domain: string, record: SpfRecord, relayIp: string, dns: DnsLookup): Promise<CheckResult> {
  const check = `spf-relay-ip:${domain}`;
  const address = parseCidr(relayIp)!;
  const direct = coveringEntry(record.networks, address);
  if (direct) return ok(check, `${domain}'s SPF record covers the relay's address ${relayIp} (ip${address.bits === 32 ? '4' : '6'}:${direct})`);
  const notFollowed: string[] = [];
  for (const include of record.includes) {
    const answer = await dns.txt(include);
    if ('unreachable' in answer) return skip(check, `could not tell whether ${domain}'s SPF record covers ${relayIp}: ${answer.unreachable}`);
    const [spf] = 'records' in answer ? spfRecordsIn(answer.records) : [];
    if (!spf) continue;
    const included = parseSpf(spf);
    const entry = coveringEntry(included.networks, address);
    if (entry) return ok(check, `${domain}'s SPF record covers the relay's address ${relayIp} (through include:${include}, which lists ${entry})`);
    notFollowed.push(...included.includes.map((i) => `include:${i}`), ...included.unfollowed);
  }
  if (record.unfollowed.length > 0) {
    return skip(check, `could not tell whether ${domain}'s SPF record covers the relay's address ${relayIp}: its ip4:/ip6: entries and includes do not, and doctor does not look up ${record.unfollowed.join(', ')}`);
  }
  const unchecked = notFollowed.length > 0 ? ` (doctor looked one include deep, not into ${notFollowed.join(', ')})` : '';
  const mechanism = `ip${address.bits === 32 ? '4' : '6'}:${relayIp}`;
  return warn(
    check,
    `${domain}'s SPF record does not cover the relay's address ${relayIp}${unchecked}, so receivers may reject or junk the mail it delivers`,
    `the relay delivers directly: add ${mechanism} to the SPF record of ${domain} (before its "all")`,
  );
}

function relayIpWithoutSpf(domain: string, relayIp: string, unreachable: string | undefined): CheckResult {
  const check = `spf-relay-ip:${domain}`;
  if (unreachable) return skip(check, `could not tell whether ${domain}'s SPF record covers ${relayIp}: ${unreachable}`);
  return warn(check, `${domain} has no usable SPF record, so nothing says the relay's address ${relayIp} may send its mail`, `publish an SPF record for ${domain} that includes ip${relayIp.includes(':') ? '6' : '4'}:${relayIp}`);
}

/** The entry of `networks` (ip4:/ip6: values) that includes `address`, as written. */
function coveringEntry(networks: readonly string[], address: Cidr): string | undefined {
  return networks.find((text) => {
    const block = parseCidr(text);
    return block !== undefined && isCovered(address, [block]);
  });
}
