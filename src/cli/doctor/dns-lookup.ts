/**
 * DNS for `dlp doctor`, through the servers in dlp.yaml's `dns:` (else the system's), with
 * the three outcomes a technician needs told apart: records found; the name or record does
 * not exist (an answer: the record is missing); no answer at all (DNS could not be asked, so
 * nothing can be concluded). Once a server has not answered, later questions are not sent:
 * one unreachable resolver must not turn doctor into minutes of timeouts.
 */
import { promises as dns } from 'node:dns';

export type DnsAnswer<T> = { records: T[] } | { missing: string } | { unreachable: string };

export interface DnsSettings {
  servers?: string[];
  timeoutMs: number;
}

/** Codes that mean a server answered: the name, or this kind of record, does not exist. */
const NO_RECORD: Record<string, string> = {
  ENOTFOUND: 'DNS says the name does not exist',
  ENODATA: 'DNS says the name has no such record',
};
/** Codes that mean no server answered at all: later lookups would only wait as long again. */
const NO_SERVER = new Set(['ETIMEOUT', 'ECONNREFUSED', 'ECONNRESET']);

export class DnsLookup {
  readonly #resolver: dns.Resolver;
  readonly servers: string;
  #unreachable: string | undefined;

  /** Throws when a server is not an IP address (with an optional port). */
  constructor(settings: DnsSettings) {
    this.#resolver = new dns.Resolver({ timeout: settings.timeoutMs, tries: 2 });
    if (settings.servers) this.#resolver.setServers(settings.servers);
    this.servers = settings.servers ? settings.servers.join(', ') : `the system's resolver ${this.#resolver.getServers().join(', ') || '(none configured)'}`;
  }

  /** TXT records, each joined from its strings. */
  async txt(name: string): Promise<DnsAnswer<string>> {
    return this.#ask(name, 'TXT', async () => (await this.#resolver.resolveTxt(name)).map((parts) => parts.join('')));
  }

  async mx(name: string): Promise<DnsAnswer<{ exchange: string; priority: number }>> {
    return this.#ask(name, 'MX', async () => (await this.#resolver.resolveMx(name)).sort((a, b) => a.priority - b.priority));
  }

  async #ask<T>(name: string, type: string, lookup: () => Promise<T[]>): Promise<DnsAnswer<T>> {
    if (this.#unreachable) return { unreachable: this.#unreachable };
    try {
      const records = await lookup();
      return records.length > 0 ? { records } : { missing: NO_RECORD['ENODATA']! };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      const missing = NO_RECORD[code];
      if (missing) return { missing };
      if (NO_SERVER.has(code)) this.#unreachable = `DNS did not answer an earlier lookup (${code} from ${this.servers}), so doctor asked no more`;
      return { unreachable: `DNS did not answer the ${type} lookup of ${name} (${code} from ${this.servers})` };
    }
  }
}
