/**
 * The sending addresses Microsoft 365 and Google publish in their SPF records, to compare
 * with the address list a cloud source is admitted from.
 */
import type { SourceKind } from '../../config/sources.js';
import type { DnsLookup } from './dns-lookup.js';
import { parseSpf, spfRecordsIn } from './spf-record.js';

type CloudKind = Exclude<SourceKind, 'server'>;

/** Where each provider publishes its addresses: Google's record only includes the lists (one level). */
const PROVIDER_SPF: Record<CloudKind, { provider: string; name: string }> = {
  microsoft365: { provider: 'Microsoft', name: 'spf.protection.outlook.com' },
  'google-workspace': { provider: 'Google', name: '_spf.google.com' },
};

export type ProviderNetworks = { networks: string[]; provider: string; names: string[] } | { skipped: string };

export async function providerNetworks(kind: CloudKind, dns: DnsLookup): Promise<ProviderNetworks> {
  const { provider, name } = PROVIDER_SPF[kind];
  const top = await spfOf(name, dns);
  if ('skipped' in top) return top;
  const networks = [...top.record.networks];
  const names = [name];
  if (kind === 'google-workspace') {
    for (const include of top.record.includes) {
      const included = await spfOf(include, dns);
      if ('skipped' in included) return included;
      networks.push(...included.record.networks);
      names.push(include);
    }
  }
  return { networks, provider, names };
}

async function spfOf(name: string, dns: DnsLookup): Promise<{ record: ReturnType<typeof parseSpf> } | { skipped: string }> {
  const answer = await dns.txt(name);
  if ('unreachable' in answer) return { skipped: answer.unreachable };
  const [spf] = 'records' in answer ? spfRecordsIn(answer.records) : [];
  if (!spf) return { skipped: `${name} has no SPF record (${'missing' in answer ? answer.missing : 'its TXT records are not SPF'}), so there is nothing to compare with` };
  return { record: parseSpf(spf) };
}
