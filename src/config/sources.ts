/**
 * Who may relay through us (`sources:` in dlp.yaml). A source is a kind of sender and the
 * proof it must give: an on-premises server by its address (and optionally its TLS client
 * certificate); a Microsoft 365 tenant by Exchange Online's sending addresses AND the tenant
 * id stamped on each message; a Google Workspace tenant by Google's sending addresses AND a
 * fresh DKIM signature of one of the trust's domains. Provider address lists are shipped in
 * rules/sources/ and admit a connection only: every customer of the provider shares them.
 */
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { DomainList, parseDomainEntry } from './domain-list.js';
import { NetworkList, parseNetwork, parseNetworkListText } from './networks.js';
import type { ProblemAt } from './problems.js';

export const SOURCE_KINDS = ['server', 'microsoft365', 'google-workspace'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

/** What each kind is called in logs, replies and `dlp doctor`. */
export const SOURCE_KIND_LABELS: Record<SourceKind, string> = {
  server: 'mail server',
  microsoft365: 'Microsoft 365 tenant',
  'google-workspace': 'Google Workspace',
};

/** The shipped address lists of the cloud kinds, in rules/sources/. */
const SHIPPED_ADDRESSES: Partial<Record<SourceKind, string>> = {
  microsoft365: 'sources/microsoft365.txt',
  'google-workspace': 'sources/google-workspace.txt',
};

const nonEmpty = z.string().trim().min(1, 'must not be empty');
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const common = {
  /** A short name for logs and replies ("main-office", "m365"). */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,62}$/, 'use letters, digits, spaces, dots, hyphens and underscores (up to 63)'),
  /** IP addresses or CIDR blocks the source connects from (replaces the shipped list of a cloud kind). */
  addresses: z.array(nonEmpty).min(1, 'list at least one address, or remove the key').optional(),
  /** A file of addresses or CIDR blocks, one a line (relative to the config directory). */
  addresses_file: nonEmpty.optional(),
  /** `required`: the client must use STARTTLS before RCPT TO (default for the cloud kinds, and whenever certificate_names is set). */
  tls: z.enum(['required', 'optional']).optional(),
  /** The client must present a TLS certificate that verifies against the trusted CAs and carries one of these names. */
  certificate_names: z.array(nonEmpty).min(1, 'list at least one name, or remove the key').optional(),
};

export const sourceSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('server'), ...common }),
  z.strictObject({
    kind: z.literal('microsoft365'),
    ...common,
    /** The tenant's id (Microsoft Entra admin centre > Overview > Tenant ID). */
    tenant_id: z.string().trim().regex(GUID, 'must be the tenant id, a GUID like 0a1b2c3d-1111-2222-3333-444455556666'),
  }),
  z.strictObject({
    kind: z.literal('google-workspace'),
    ...common,
    /** Domains whose DKIM signature proves the message is the trust's (default: organisation.internal_domains). */
    dkim_domains: z.array(nonEmpty).min(1).optional(),
    /**
     * How old a signature may be (its t= tag). Long enough for Gmail's retries after the relay
     * was down or busy; a copy re-sent within it is refused as already used.
     */
    signature_max_age_minutes: z.number().int().min(1).max(7 * 24 * 60).default(24 * 60),
  }),
]);

export const sourcesSchema = z.array(sourceSchema).min(1, 'list at least one source, or remove the key to accept mail from this machine only');
export type SourceFileEntry = z.infer<typeof sourceSchema>;

/** A source as the relay checks it. */
export interface SourceRule {
  name: string;
  kind: SourceKind;
  networks: NetworkList;
  /** Where the addresses came from (dlp.yaml, a trust's file, or the shipped list). */
  networksFrom: string;
  tlsRequired: boolean;
  /** The client certificate must verify and carry one of these names; empty: no certificate needed. */
  certificateNames: string[];
  /** microsoft365: the tenant id, lower case. */
  tenantId?: string;
  /** google-workspace: the domains whose signature is proof, and the longest a signature may be old. */
  dkimDomains?: DomainList;
  signatureMaxAgeMs?: number;
}

/** With no `sources:` in dlp.yaml, only this machine may relay: a relay open to the network must be configured to be. */
export const LOCAL_ONLY_SOURCES = (): SourceRule[] => [
  {
    name: 'this machine',
    kind: 'server',
    networks: new NetworkList(['127.0.0.1/32', '::1/128']),
    networksFrom: 'the default (no sources: in dlp.yaml)',
    tlsRequired: false,
    certificateNames: [],
  },
];

export function buildSources(
  entries: readonly SourceFileEntry[] | undefined,
  context: { configDir: string; rulesDir: string; internalDomains: readonly string[] },
  at: ProblemAt,
): SourceRule[] {
  if (!entries) return LOCAL_ONLY_SOURCES();
  const seen = new Set<string>();
  const rules: SourceRule[] = [];
  for (const [index, entry] of entries.entries()) {
    const key = ['sources', index];
    if (seen.has(entry.name.toLowerCase())) at([...key, 'name'], `another source is already called "${entry.name}"`);
    seen.add(entry.name.toLowerCase());
    const networks = sourceNetworks(entry, context, key, at);
    if (!networks) continue;
    const certificateNames = (entry.certificate_names ?? []).map((n) => n.toLowerCase());
    for (const [i, name] of certificateNames.entries()) {
      // A name is compared with the certificate as a host name is: "*.example.org" here would only match a wildcard certificate.
      if (!parseDomainEntry(name) || name.startsWith('*.')) at([...key, 'certificate_names', i], `"${name}" is not a host name: give the exact name the certificate carries`);
    }
    if (entry.tls === 'optional' && certificateNames.length > 0) at([...key, 'tls'], 'a client certificate needs TLS: remove tls: optional, or certificate_names');
    const cloud = entry.kind !== 'server';
    const rule: SourceRule = {
      name: entry.name,
      kind: entry.kind,
      networks: networks.list,
      networksFrom: networks.from,
      tlsRequired: entry.tls ? entry.tls === 'required' : cloud || certificateNames.length > 0,
      certificateNames,
    };
    if (entry.kind === 'microsoft365') rule.tenantId = entry.tenant_id.toLowerCase();
    if (entry.kind === 'google-workspace') {
      const domains = entry.dkim_domains ?? [...context.internalDomains];
      const bad = domains.findIndex((d) => !parseDomainEntry(d) || d.startsWith('*.'));
      if (bad !== -1) at([...key, 'dkim_domains', bad], `"${domains[bad]}" is not a domain`);
      else rule.dkimDomains = new DomainList(domains);
      rule.signatureMaxAgeMs = entry.signature_max_age_minutes * 60_000;
    }
    rules.push(rule);
  }
  return rules;
}

function sourceNetworks(
  entry: SourceFileEntry,
  context: { configDir: string; rulesDir: string },
  key: Array<string | number>,
  at: ProblemAt,
): { list: NetworkList; from: string } | undefined {
  if (entry.addresses && entry.addresses_file) {
    at([...key, 'addresses_file'], 'give addresses or addresses_file, not both');
    return undefined;
  }
  if (entry.addresses) {
    const bad = entry.addresses.findIndex((a) => !parseNetwork(a));
    if (bad !== -1) {
      at([...key, 'addresses', bad], `"${entry.addresses[bad]}" is not an IP address or CIDR block (like 192.0.2.10 or 192.0.2.0/24)`);
      return undefined;
    }
    return { list: new NetworkList(entry.addresses), from: 'dlp.yaml' };
  }
  const shipped = SHIPPED_ADDRESSES[entry.kind];
  const path = entry.addresses_file
    ? isAbsolute(entry.addresses_file)
      ? entry.addresses_file
      : resolve(context.configDir, entry.addresses_file)
    : shipped && join(context.rulesDir, shipped);
  if (!path) {
    at(key, 'a mail server source needs addresses (or addresses_file): the addresses it connects from');
    return undefined;
  }
  const fileKey = entry.addresses_file ? [...key, 'addresses_file'] : key;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    at(fileKey, `${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    return undefined;
  }
  const { entries, bad } = parseNetworkListText(text);
  if (bad.length > 0) {
    at(fileKey, `${path} line ${bad[0]!.line}: "${bad[0]!.text}" is not an IP address or CIDR block`);
    return undefined;
  }
  if (entries.length === 0) {
    at(fileKey, `${path} lists no addresses`);
    return undefined;
  }
  return { list: new NetworkList(entries), from: path };
}

/** The "As of: <date>" line of an address list, else the file's modification time; undefined when neither is known. */
export function addressListDate(path: string): { date?: Date; source: 'as-of' | 'modified' | 'unknown' } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { source: 'unknown' };
  }
  const asOf = /^#\s*As of:\s*(\S+)/im.exec(text)?.[1];
  if (asOf) {
    const date = new Date(`${asOf}T00:00:00Z`);
    return Number.isNaN(date.getTime()) ? { source: 'unknown' } : { date, source: 'as-of' };
  }
  try {
    return { date: statSync(path).mtime, source: 'modified' };
  } catch {
    return { source: 'unknown' };
  }
}
