/** dlp.yaml's keys for the mail path: sources, dns, delivery, monitoring, and where data lives. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { loadConfig } from '../../src/config/load.js';
import { BASE_DLP_YAML, configDirWith } from '../support/config.js';

const TENANT = '6f1c2a3b-4d5e-4f60-8a9b-0c1d2e3f4a5b';

function load(yaml: string, files: Record<string, string> = {}, options: { dataDir?: string } = {}) {
  const dir = configDirWith(`${BASE_DLP_YAML}${yaml}`);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return { dir, config: loadConfig(dir, options) };
}

function problems(yaml: string, files: Record<string, string> = {}): string {
  try {
    load(yaml, files);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('the configuration was accepted');
}

describe('sources', () => {
  it('without sources:, accepts only this machine', () => {
    const [local] = load('').config.sources;
    expect(local).toMatchObject({ name: 'this machine', kind: 'server', tlsRequired: false, certificateNames: [] });
    expect(local!.networks.includes('127.0.0.1')).toBe(true);
    expect(local!.networks.includes('::1')).toBe(true);
    expect(local!.networks.includes('192.0.2.10')).toBe(false);
  });

  it('takes each kind with its defaults: the shipped address lists, TLS for the cloud kinds, the trust\'s domains for DKIM', () => {
    const { config } = load(`sources:
  - { name: office, kind: server, addresses: [192.0.2.0/28, '2001:db8::1'] }
  - { name: hq, kind: server, addresses: [192.0.2.20], certificate_names: [Mail.Example-Trust.org.uk] }
  - { name: m365, kind: microsoft365, tenant_id: '${TENANT.toUpperCase()}' }
  - { name: google, kind: google-workspace }
`);
    const [office, hq, m365, google] = config.sources;
    expect(office).toMatchObject({ kind: 'server', tlsRequired: false, networksFrom: 'dlp.yaml' });
    expect(office!.networks.includes('192.0.2.15')).toBe(true);
    expect(office!.networks.includes('192.0.2.16')).toBe(false);
    expect(office!.networks.includes('::ffff:192.0.2.1')).toBe(true);
    expect(hq).toMatchObject({ tlsRequired: true, certificateNames: ['mail.example-trust.org.uk'] });
    expect(m365).toMatchObject({ tenantId: TENANT, tlsRequired: true, networksFrom: expect.stringMatching(/rules\/sources\/microsoft365\.txt$/) });
    expect(m365!.networks.includes('40.107.22.1')).toBe(true);
    expect(m365!.networks.includes('2a01:111:f403:c000::1')).toBe(true);
    expect(google).toMatchObject({ tlsRequired: true, signatureMaxAgeMs: 24 * 3_600_000 });
    expect(google!.networks.includes('209.85.128.25')).toBe(true);
    expect(google!.dkimDomains!.has('example-trust.org.uk')).toBe(true);
    expect(google!.dkimDomains!.has('staff.example-trust.org.uk')).toBe(true);
  });

  it('reads a trust\'s own address list, naming the file and line of a bad entry', () => {
    const { config } = load(`sources:\n  - { name: m365, kind: microsoft365, tenant_id: '${TENANT}', addresses_file: exo.txt }\n`, { 'exo.txt': '# refreshed\n40.92.0.0/15 # EOP\n' });
    expect(config.sources[0]!.networks.includes('40.93.1.1')).toBe(true);
    expect(config.sources[0]!.networks.includes('40.107.1.1')).toBe(false);
    expect(problems(`sources:\n  - { name: m365, kind: microsoft365, tenant_id: '${TENANT}', addresses_file: exo.txt }\n`, { 'exo.txt': '40.92.0.0/15\n40.107.0.0/33\n' })).toMatch(
      /dlp\.yaml:\d+: sources\.0\.addresses_file: .*exo\.txt line 2: "40\.107\.0\.0\/33" is not an IP address or CIDR block/,
    );
  });

  it.each([
    ['a server with no addresses', 'sources:\n  - { name: a, kind: server }\n', /sources\.0: a mail server source needs addresses/],
    ['a bad address', 'sources:\n  - { name: a, kind: server, addresses: [192.0.2.300] }\n', /sources\.0\.addresses\.0: "192\.0\.2\.300" is not an IP address or CIDR block/],
    ['a tenant id that is not a GUID', 'sources:\n  - { name: a, kind: microsoft365, tenant_id: contoso.onmicrosoft.com }\n', /sources\.0\.tenant_id: must be the tenant id, a GUID/],
    ['two sources with one name', 'sources:\n  - { name: a, kind: server, addresses: [192.0.2.1] }\n  - { name: A, kind: server, addresses: [192.0.2.2] }\n', /sources\.1\.name: another source is already called "A"/],
    ['a certificate without TLS', 'sources:\n  - { name: a, kind: server, addresses: [192.0.2.1], tls: optional, certificate_names: [mail.example.org] }\n', /sources\.0\.tls: a client certificate needs TLS/],
    ['a wildcard certificate name', 'sources:\n  - { name: a, kind: server, addresses: [192.0.2.1], certificate_names: ["*.example.org"] }\n', /sources\.0\.certificate_names\.0: "\*\.example\.org" is not a host name/],
    ['an unknown kind', 'sources:\n  - { name: a, kind: exchange, addresses: [192.0.2.1] }\n', /sources\.0\.kind/],
    ['a misspelt key', 'sources:\n  - { name: a, kind: server, adresses: [192.0.2.1] }\n', /sources\.0\.adresses: unknown key/],
    ['an empty list', 'sources: []\n', /sources: list at least one source/],
    ['both addresses and a file', 'sources:\n  - { name: a, kind: server, addresses: [192.0.2.1], addresses_file: x.txt }\n', /give addresses or addresses_file, not both/],
  ])('refuses %s, naming the key', (_what, yaml, message) => {
    expect(problems(yaml)).toMatch(message);
  });
});

describe('dns, delivery and monitoring', () => {
  it('has defaults: the system resolver, delivery by MX, health and metrics on', () => {
    const { config } = load('');
    expect(config.dns).toEqual({ timeoutMs: 5_000 });
    expect(config.delivery).toEqual({});
    expect(config.monitoring).toEqual({ health: true, metrics: true, rosterMaxAgeMs: 192 * 3_600_000, outboxMaxPending: 200, certificateMinDays: 7 });
  });

  it('takes a resolver, a smarthost and monitoring limits', () => {
    const { config } = load(`dns: { servers: ['192.0.2.53', '[2001:db8::53]:5353'], timeout_ms: 1000 }
delivery: { smarthost: 'smtp://smtp.example-trust.org.uk:587' }
monitoring: { metrics: false, roster_max_age_hours: 0 }
`);
    expect(config.dns).toEqual({ servers: ['192.0.2.53', '[2001:db8::53]:5353'], timeoutMs: 1000 });
    expect(config.delivery).toEqual({ smarthost: { host: 'smtp.example-trust.org.uk', port: 587 } });
    expect(config.monitoring).toMatchObject({ health: true, metrics: false, rosterMaxAgeMs: 0 });
    expect(problems("dns: { servers: ['dns.example.org'] }\n")).toMatch(/dns\.servers\.0: must be an IP address/);
    expect(problems("delivery: { smarthost: 'smtp.example.org' }\n")).toMatch(/delivery\.smarthost: must be smtp:\/\/host:port/);
  });
});

describe('where the relay keeps what it writes', () => {
  it('keeps the quarantine, its key and the outbox in the data directory unless dlp.yaml names other places', () => {
    const { dir, config } = load('notifications:\n  from: dlp@example-trust.org.uk\n', {}, { dataDir: '/var/lib/dlp' });
    expect(config.dataDir).toBe('/var/lib/dlp');
    expect(config.quarantine.database).toBe('sqlite:/var/lib/dlp/quarantine.sqlite');
    expect(config.quarantine.keyFile).toBe('/var/lib/dlp/quarantine.key');
    expect(config.notifications!.outboxDir).toBe('/var/lib/dlp/outbox');
    const named = load('quarantine: { database: sqlite:queue.sqlite, key_file: keys/q.key }\nnotifications:\n  from: dlp@example-trust.org.uk\n  outbox: spool\n', {}, { dataDir: '/var/lib/dlp' }).config;
    expect(named.quarantine.database).toMatch(/^sqlite:\/.*\/queue\.sqlite$/);
    expect(named.quarantine.database).not.toContain('/var/lib/dlp');
    expect(named.quarantine.keyFile.endsWith('/keys/q.key')).toBe(true);
    expect(dir).not.toBe('/var/lib/dlp');
  });

  it('defaults the data directory to data/ beside the configuration', () => {
    const { dir, config } = load('');
    expect(config.dataDir).toBe(join(dir, '..', 'data'));
  });

  it("greets the submission server with the relay's own name from config/me", () => {
    const submission = 'notifications:\n  from: dlp@example-trust.org.uk\n  submission: { host: smtp.example-trust.org.uk }\n';
    expect(load(submission, { me: 'relay.example-trust.org.uk\n' }).config.notifications!.submission!.heloName).toBe('relay.example-trust.org.uk');
  });
});
