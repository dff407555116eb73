/** The resolver the relay asks for DKIM keys: the servers in dlp.yaml's `dns:`, else the system's. */
import { promises as dns } from 'node:dns';
import type { TxtResolver } from './message-proof.js';

export function txtResolver(settings: { servers?: string[]; timeoutMs: number }): TxtResolver {
  const resolver = new dns.Resolver({ timeout: settings.timeoutMs, tries: 2 });
  if (settings.servers) resolver.setServers(settings.servers);
  return async (name, type) => {
    if (type !== 'TXT') throw Object.assign(new Error(`no ${type} lookups here`), { code: 'ENOTIMP' });
    return resolver.resolveTxt(name);
  };
}
