import { domainToASCII } from 'node:url';

/**
 * A list of mail domains as the policy defines them: `nhs.net` matches that domain and
 * every subdomain; `*.sch.uk` matches subdomains only. Matching is by whole labels and
 * case-insensitive, so `trust.org.uk.evil.com` never matches `trust.org.uk`.
 */
export class DomainList {
  private readonly exact = new Set<string>();
  private readonly subdomainsOnly = new Set<string>();

  constructor(readonly entries: readonly string[]) {
    for (const entry of entries) {
      const parsed = parseDomainEntry(entry);
      if (!parsed) throw new Error(`"${entry}" is not a domain or a *.domain wildcard`);
      (parsed.subdomainsOnly ? this.subdomainsOnly : this.exact).add(parsed.domain);
    }
  }

  /** The entry that matches the domain, as written in the list, or undefined. */
  match(domain: string): string | undefined {
    const normalised = normaliseDomain(domain);
    if (!normalised) return undefined;
    if (this.exact.has(normalised)) return normalised;
    // Walk up the labels: a.b.c.uk checks b.c.uk, c.uk, uk.
    let rest = normalised;
    for (let dot = rest.indexOf('.'); dot !== -1; dot = rest.indexOf('.')) {
      rest = rest.slice(dot + 1);
      if (this.exact.has(rest)) return rest;
      if (this.subdomainsOnly.has(rest)) return `*.${rest}`;
    }
    return undefined;
  }

  has(domain: string): boolean {
    return this.match(domain) !== undefined;
  }
}

/** Lower-case ASCII (punycode) form without a trailing dot, or undefined when it is not a plausible domain. */
export function normaliseDomain(domain: string): string | undefined {
  const trimmed = domain.trim().replace(/\.$/, '');
  if (!trimmed || trimmed.startsWith('[')) return undefined;
  const ascii = domainToASCII(trimmed.toLowerCase());
  if (!ascii || !/^[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(ascii)) return undefined;
  return ascii;
}

export function parseDomainEntry(entry: string): { domain: string; subdomainsOnly: boolean } | undefined {
  const subdomainsOnly = entry.trim().startsWith('*.');
  const domain = normaliseDomain(subdomainsOnly ? entry.trim().slice(2) : entry);
  if (!domain) return undefined;
  return { domain, subdomainsOnly };
}

/** Reads a domain list file: one entry a line, `#` starts a comment. */
export function parseDomainListText(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => line.length > 0);
}

/** The domain of an address (`Jane@Example.org` → `example.org`), or '' for none. */
export function domainOfAddress(address: string): string {
  const at = address.lastIndexOf('@');
  if (at === -1) return '';
  return address.slice(at + 1).replace(/>$/, '').trim().toLowerCase();
}
