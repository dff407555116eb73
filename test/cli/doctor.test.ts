/**
 * `dlp doctor` against real parts: a DNS server on loopback (dlp.yaml's dns.servers points at
 * it), a real SMTP server as the smarthost and a closed port as a dead one, certificates made
 * by openssl, roster CSV fixtures, key files and directories with real modes, PostgreSQL.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { main } from '../../src/cli/main.js';
import { openQuarantineStore } from '../../src/quarantine/store.js';
import { makeTestCa, type Pem, type TestCa } from '../support/certificates.js';
import { TestDnsServer } from '../support/dns-server.js';
import { REPO_ROOT } from '../support/paths.js';
import { testPostgresUrl } from '../support/quarantine.js';
import { RIVERSIDE_ROSTER } from '../support/roster.js';
import { SmtpSink } from '../support/smtp-sink.js';

interface CheckLine {
  check: string;
  status: 'OK' | 'WARN' | 'FAIL' | 'SKIP';
  message: string;
  fix?: string;
}

const DAY_MS = 86_400_000;
const DOMAIN = 'example-trust.org.uk';
const RELAY_IP = '203.0.113.25';
const RULE_IDS = Object.keys(parse(readFileSync(join(REPO_ROOT, 'rules/rules.yaml'), 'utf8')) as Record<string, unknown>);

/** The trust's copy of Exchange Online's ranges (as rules/sources/microsoft365.txt has them). */
const M365_RANGES = ['40.92.0.0/15', '40.107.0.0/16', '52.100.0.0/14', '104.47.0.0/17', '2a01:111:f400::/48', '2a01:111:f403::/48'];
/** Microsoft's SPF record splits 52.100.0.0/14 in two: the same addresses, written differently. */
const M365_SPF = 'v=spf1 ip4:40.92.0.0/15 ip4:40.107.0.0/16 ip4:52.100.0.0/15 ip4:52.102.0.0/15 ip4:104.47.0.0/17 ip6:2a01:111:f400::/48 ip6:2a01:111:f403::/48 include:spfd.protection.outlook.com -all';
const GOOGLE_RANGES = ['35.190.247.0/24', '64.233.160.0/19', '2001:4860:4000::/36', '172.217.0.0/19'];

function serveProviderRecords(dns: TestDnsServer): void {
  dns.setTxt('spf.protection.outlook.com', M365_SPF);
  dns.setTxt('_spf.google.com', 'v=spf1 include:_netblocks.google.com include:_netblocks2.google.com include:_netblocks3.google.com ~all');
  dns.setTxt('_netblocks.google.com', 'v=spf1 ip4:35.190.247.0/24 ip4:64.233.160.0/19 ~all');
  dns.setTxt('_netblocks2.google.com', 'v=spf1 ip6:2001:4860:4000::/36 ~all');
  dns.setTxt('_netblocks3.google.com', 'v=spf1 ip4:172.217.0.0/19 ~all');
  dns.setTxt(DOMAIN, `v=spf1 include:spf.protection.outlook.com ip4:${RELAY_IP} -all`);
  dns.mx.set(DOMAIN, [{ preference: 10, exchange: 'mx1.example-trust.org.uk' }, { preference: 20, exchange: 'mx2.example-trust.org.uk' }]);
  dns.setTxt(`_dmarc.${DOMAIN}`, `v=DMARC1; p=quarantine; rua=mailto:dmarc@${DOMAIN}`);
}

let dns: TestDnsServer;
let smarthost: SmtpSink;
let ca: TestCa;
let certificate: Pem;

beforeAll(async () => {
  dns = await new TestDnsServer().start();
  serveProviderRecords(dns);
  smarthost = await new SmtpSink().start();
  ca = makeTestCa();
  certificate = ca.issue('relay.example-trust.org.uk');
});

afterAll(async () => {
  await dns.stop();
  await smarthost.stop();
});

interface DeploymentOptions {
  /** dlp.yaml lines added at the end. */
  yaml?: string;
  /** Replaces the whole sources: section. */
  sourcesYaml?: string;
  plugins?: string[];
  smarthostPort?: number;
  /** null: no certificate at all. */
  certificate?: Pem | null;
  keyMode?: number | null;
  rosterAgeDays?: number;
  m365Ranges?: string[];
  dnsServer?: TestDnsServer;
}

/** A complete, healthy deployment in temporary directories, with the given parts changed. */
function deployment(options: DeploymentOptions = {}): { configDir: string; dataDir: string } {
  const configDir = mkdtempSync(join(tmpdir(), 'dlp-doctor-config-'));
  const dataDir = mkdtempSync(join(tmpdir(), 'dlp-doctor-data-'));
  chmodSync(dataDir, 0o700);
  const asOf = new Date(Date.now() - 10 * DAY_MS).toISOString().slice(0, 10);
  writeFileSync(join(configDir, 'm365.txt'), `# As of: ${asOf}\n${(options.m365Ranges ?? M365_RANGES).join('\n')}\n`);
  writeFileSync(join(configDir, 'google.txt'), `# As of: ${asOf}\n${GOOGLE_RANGES.join('\n')}\n`);
  const sources =
    options.sourcesYaml ??
    `sources:
  - { name: office, kind: server, addresses: [192.0.2.10] }
  - { name: m365, kind: microsoft365, tenant_id: 0a1b2c3d-1111-2222-3333-444455556666, addresses_file: m365.txt }
  - { name: gmail, kind: google-workspace, addresses_file: google.txt }
`;
  writeFileSync(
    join(configDir, 'dlp.yaml'),
    `mode: enforce
organisation:
  name: Test Academy Trust
  internal_domains: [${DOMAIN}]
dns:
  servers: [${(options.dnsServer ?? dns).address}]
  timeout_ms: 300
roster:
  file: roster.csv
${sources}rules:
${RULE_IDS.map((id) => `  ${id}: { clause: "Trust ICT policy, section ${id}" }`).join('\n')}
quarantine:
  release_via: smtp://127.0.0.1:${smarthost.port}
${options.yaml ?? ''}`,
  );
  writeFileSync(join(configDir, 'plugins'), `${(options.plugins ?? ['dlp', 'tls', 'queue/smtp_forward']).join('\n')}\n`);
  writeFileSync(join(configDir, 'smtp_forward.ini'), `host=127.0.0.1\nport=${options.smarthostPort ?? smarthost.port}\nenable_outbound=true\n`);
  const pem = options.certificate === undefined ? certificate : options.certificate;
  if (pem) {
    writeFileSync(join(configDir, 'tls_cert.pem'), pem.cert);
    writeFileSync(join(configDir, 'tls_key.pem'), pem.key, { mode: 0o600 });
  }
  copyFileSync(RIVERSIDE_ROSTER, join(configDir, 'roster.csv'));
  if (options.rosterAgeDays !== undefined) {
    const then = new Date(Date.now() - options.rosterAgeDays * DAY_MS);
    utimesSync(join(configDir, 'roster.csv'), then, then);
  }
  if (options.keyMode !== null) {
    const keyFile = join(dataDir, 'quarantine.key');
    writeFileSync(keyFile, `${randomBytes(32).toString('base64')}\n`);
    chmodSync(keyFile, options.keyMode ?? 0o600);
  }
  return { configDir, dataDir };
}

/** Runs `dlp doctor` in-process, as bin/dlp.js does, and collects what it prints. */
async function doctor(...args: string[]): Promise<{ status: number; stdout: string; stderr: string; lines: CheckLine[] }> {
  let stdout = '';
  let stderr = '';
  const status = await main(['doctor', ...args], { out: (t) => void (stdout += t), err: (t) => void (stderr += t) });
  const lines = args.includes('--json') ? stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as CheckLine) : [];
  return { status, stdout, stderr, lines };
}

async function doctorJson(where: { configDir: string; dataDir: string }, ...args: string[]) {
  return doctor('--config', where.configDir, '--data', where.dataDir, '--json', ...args);
}

const line = (lines: CheckLine[], check: string): CheckLine => {
  const found = lines.find((l) => l.check === check);
  if (!found) throw new Error(`no "${check}" line in:\n${lines.map((l) => `${l.status} ${l.check}`).join('\n')}`);
  return found;
};
const notOk = (lines: CheckLine[]) => lines.filter((l) => l.status !== 'OK');

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('dlp doctor on a healthy deployment', () => {
  it('says OK to every check and exits 0', async () => {
    const where = deployment();
    const { status, lines, stderr } = await doctorJson(where, '--relay-ip', RELAY_IP);
    expect(stderr).toBe('');
    expect(notOk(lines)).toEqual([]);
    expect(status).toBe(0);
    expect(lines.map((l) => l.check)).toEqual([
      'configuration',
      'plugins',
      'tls-certificate',
      'policy',
      'roster:roster.csv',
      'quarantine-key',
      'data-directory',
      'database',
      'quarantine-key-fits',
      'source:office',
      'source:m365',
      'source-spf:m365',
      'source:gmail',
      'source-spf:gmail',
      `dmarc:${DOMAIN}`,
      `mail-route:127.0.0.1:${smarthost.port}`,
      `mx:${DOMAIN}`,
      `spf:${DOMAIN}`,
      `spf-relay-ip:${DOMAIN}`,
    ]);
    expect(line(lines, 'tls-certificate').message).toMatch(/for relay\.example-trust\.org\.uk, valid until \d{4}-\d\d-\d\d \((29|30) days\)/);
    expect(line(lines, 'roster:roster.csv').message).toMatch(/7 pupils from 7 rows \(utf-8\); exported 0 days ago/);
    expect(line(lines, 'source:m365').message).toMatch(/Microsoft 365 tenant "m365": 6 address ranges from .*m365\.txt; TLS required; as of \d{4}-\d\d-\d\d \(10 days ago\)/);
    expect(line(lines, 'source-spf:m365').message).toBe("the 6 ranges in force match Microsoft's SPF record (spf.protection.outlook.com)");
    expect(line(lines, 'source-spf:gmail').message).toMatch(/match Google's SPF record \(_spf\.google\.com, _netblocks\.google\.com, _netblocks2\.google\.com, _netblocks3\.google\.com\)/);
    expect(line(lines, `dmarc:${DOMAIN}`).message).toContain('publishes "v=DMARC1; p=quarantine');
    // The smarthost and release_via are the same server: asked once, both named.
    expect(line(lines, `mail-route:127.0.0.1:${smarthost.port}`).message).toMatch(
      /for the smarthost \(smtp_forward\.ini\) and released messages \(quarantine\.release_via\): answered "220 .*"; STARTTLS not offered/,
    );
    expect(line(lines, `mx:${DOMAIN}`).message).toBe(`${DOMAIN} receives mail at mx1.example-trust.org.uk (10), mx2.example-trust.org.uk (20)`);
    expect(line(lines, `spf:${DOMAIN}`).message).toMatch(/it includes Microsoft 365$/);
    expect(line(lines, `spf-relay-ip:${DOMAIN}`).message).toContain(`covers the relay's address ${RELAY_IP} (ip4:${RELAY_IP})`);
  });

  it('prints one readable line per check, and a count', async () => {
    const where = deployment({ rosterAgeDays: 12 });
    const { status, stdout } = await doctor('--config', where.configDir, '--data', where.dataDir);
    expect(status).toBe(0);
    const printed = stdout.trim().split('\n');
    expect(printed[0]).toMatch(/^OK    configuration: .*dlp\.yaml loads \(mode enforce, 3 sources\); the notice templates compile$/);
    expect(printed).toContainEqual(expect.stringMatching(/^WARN  roster:roster\.csv: .*roster\.csv: 7 pupils .* exported 12 days ago \(\d{4}-\d\d-\d\d\)\. Fix: export it again from the MIS/));
    expect(printed.at(-1)).toBe('17 OK, 1 WARN, 0 FAIL, 0 SKIP');
  });

  it('says when mail is delivered by MX, with no smarthost, release_via or submission server', async () => {
    const where = deployment({ plugins: ['dlp', 'tls'], yaml: '' });
    writeFileSync(join(where.configDir, 'dlp.yaml'), readFileSync(join(where.configDir, 'dlp.yaml'), 'utf8').replace(/quarantine:\n  release_via: .*\n/, ''));
    const { lines } = await doctorJson(where);
    expect(line(lines, 'mail-route')).toEqual({ check: 'mail-route', status: 'OK', message: expect.stringMatching(/^delivered by MX from Haraka's queue/) });
  });
});

describe('dlp doctor failures', () => {
  it('exits 2 with the file, line and key when dlp.yaml cannot be loaded', async () => {
    const where = deployment();
    const path = join(where.configDir, 'dlp.yaml');
    writeFileSync(path, readFileSync(path, 'utf8').replace('mode: enforce', 'mode: enforced'));
    const { status, lines } = await doctorJson(where);
    expect(status).toBe(2);
    expect(lines).toEqual([{ check: 'configuration', status: 'FAIL', message: expect.stringMatching(/dlp\.yaml:1: mode: Invalid option/), fix: expect.stringContaining('correct dlp.yaml') }]);
  });

  it('fails a quarantine key others can read, with the exact chmod', async () => {
    const where = deployment({ keyMode: 0o644 });
    const { status, lines } = await doctorJson(where);
    expect(status).toBe(1);
    const keyFile = join(where.dataDir, 'quarantine.key');
    expect(line(lines, 'quarantine-key')).toEqual({
      check: 'quarantine-key',
      status: 'FAIL',
      message: `${keyFile} has mode 0644: other users of this machine can read the key that opens held messages`,
      fix: `chmod 600 ${keyFile}`,
    });
    expect(notOk(lines)).toHaveLength(1);
  });

  it('fails a key file that is not the one the quarantine was written with, changing nothing', async () => {
    const where = deployment();
    const database = `sqlite:${join(where.dataDir, 'quarantine.sqlite')}`;
    await (await openQuarantineStore({ url: database, key: randomBytes(32) })).close();
    const before = readFileSync(join(where.dataDir, 'quarantine.sqlite'));
    const { status, lines } = await doctorJson(where);
    expect(status).toBe(1);
    expect(line(lines, 'quarantine-key-fits')).toMatchObject({
      status: 'FAIL',
      message: expect.stringMatching(/quarantine\.key is not the key the quarantine sqlite:.*quarantine\.sqlite was written with: held messages cannot be opened, and the relay will not start/),
      fix: expect.stringMatching(/put back the key file/),
    });
    expect(readFileSync(join(where.dataDir, 'quarantine.sqlite')).equals(before)).toBe(true);
  });

  it('fails an expired TLS certificate', async () => {
    const expired = ca.issue('relay.example-trust.org.uk', { notBefore: new Date(Date.now() - 30 * DAY_MS), notAfter: new Date(Date.now() - DAY_MS) });
    const { status, lines } = await doctorJson(deployment({ certificate: expired }));
    expect(status).toBe(1);
    expect(line(lines, 'tls-certificate')).toMatchObject({
      status: 'FAIL',
      message: expect.stringMatching(/the TLS certificate .*tls_cert\.pem expired on \d{4}-\d\d-\d\d \(the relay will not start\)/),
      fix: expect.stringMatching(/^renew it, and put the new certificate in .*tls_cert\.pem and its key in .*tls_key\.pem$/),
    });
  });

  it('warns of a certificate that expires within two weeks', async () => {
    const soon = ca.issue('relay.example-trust.org.uk', { days: 5 });
    const { status, lines } = await doctorJson(deployment({ certificate: soon }));
    expect(status).toBe(0);
    expect(line(lines, 'tls-certificate')).toMatchObject({ status: 'WARN', message: expect.stringMatching(/expires in 4 days/), fix: expect.stringMatching(/^renew it/) });
  });

  it('fails cloud sources when the relay has no certificate', async () => {
    const { status, lines } = await doctorJson(deployment({ certificate: null, plugins: ['dlp', 'queue/smtp_forward'] }));
    expect(status).toBe(1);
    expect(line(lines, 'tls-certificate')).toMatchObject({
      status: 'FAIL',
      message: expect.stringContaining('Microsoft 365 tenant "m365", Google Workspace "gmail" must send over TLS, and the relay has no certificate'),
      fix: expect.stringMatching(/^put it in .*tls_cert\.pem and its key in .*tls_key\.pem/),
    });
  });

  it("fails Haraka's relay plugin in the plugin list", async () => {
    const { status, lines } = await doctorJson(deployment({ plugins: ['relay', 'dlp', 'tls', 'queue/smtp_forward'] }));
    expect(status).toBe(1);
    expect(line(lines, 'plugins')).toMatchObject({ status: 'FAIL', message: expect.stringContaining('lists "relay"'), fix: 'remove the line (and config/relay_acl_allow)' });
  });

  it('fails a smarthost that cannot be reached, within the time limit', async () => {
    const port = await closedPort();
    const { status, lines } = await doctorJson(deployment({ smarthostPort: port }));
    expect(status).toBe(1);
    expect(line(lines, `mail-route:127.0.0.1:${port}`)).toMatchObject({
      status: 'FAIL',
      message: expect.stringMatching(new RegExp(`^127\\.0\\.0\\.1:${port}, for the smarthost \\(smtp_forward\\.ini\\): cannot be reached \\(connect ECONNREFUSED`)),
      fix: expect.stringContaining('firewall'),
    });
    // release_via still points at the live server.
    expect(line(lines, `mail-route:127.0.0.1:${smarthost.port}`).status).toBe('OK');
  });

  it('fails a roster file that is not there', async () => {
    const where = deployment();
    const path = join(where.configDir, 'dlp.yaml');
    writeFileSync(path, readFileSync(path, 'utf8').replace('file: roster.csv', 'file: gone.csv'));
    const { status, lines } = await doctorJson(where);
    expect(status).toBe(1);
    expect(line(lines, 'roster:gone.csv')).toMatchObject({ status: 'FAIL', message: expect.stringMatching(/gone\.csv does not exist: the relay will not start with it$/) });
  });

  it('fails a PostgreSQL database it cannot reach, without printing the password', async () => {
    const port = await closedPort();
    const { status, lines, stdout } = await doctorJson(deployment({ yaml: `  database: postgres://dlp:Sekrit-pw-123@127.0.0.1:${port}/dlp\n` }));
    expect(status).toBe(1);
    expect(line(lines, 'database')).toMatchObject({ status: 'FAIL', message: expect.stringMatching(new RegExp(`postgres://dlp:\\*\\*\\*@127\\.0\\.0\\.1:${port}/dlp: .*ECONNREFUSED`)) });
    expect(stdout).not.toContain('Sekrit');
  });
});

describe('dlp doctor warnings', () => {
  it('warns of a roster exported more than 8 days ago', async () => {
    const { status, lines } = await doctorJson(deployment({ rosterAgeDays: 9 }));
    expect(status).toBe(0);
    expect(line(lines, 'roster:roster.csv')).toMatchObject({ status: 'WARN', message: expect.stringContaining('exported 9 days ago'), fix: expect.stringMatching(/^export it again from the MIS/) });
    expect(notOk(lines)).toHaveLength(1);
  });

  it('counts bad roster rows by line, never showing their content', async () => {
    const where = deployment();
    copyFileSync(join(REPO_ROOT, 'test/fixtures/roster/bad-rows.csv'), join(where.configDir, 'roster.csv'));
    const { lines, stdout } = await doctorJson(where);
    expect(line(lines, 'roster:roster.csv')).toMatchObject({ status: 'WARN', message: expect.stringMatching(/problems in rows \(lines 3, 4, 5, 6, 7/) });
    expect(stdout).not.toMatch(/Nosurname|Patel|noah\.mum/);
  });

  it('warns when no roster is configured', async () => {
    const where = deployment();
    const path = join(where.configDir, 'dlp.yaml');
    writeFileSync(path, readFileSync(path, 'utf8').replace('roster:\n  file: roster.csv\n', ''));
    const { lines } = await doctorJson(where);
    expect(line(lines, 'roster')).toMatchObject({ status: 'WARN', message: expect.stringMatching(/^no roster is configured/) });
  });

  it("warns when the domain's SPF record does not cover the relay's address", async () => {
    const { status, lines } = await doctorJson(deployment(), '--relay-ip', '198.51.100.7');
    expect(status).toBe(0);
    expect(line(lines, `spf-relay-ip:${DOMAIN}`)).toEqual({
      check: `spf-relay-ip:${DOMAIN}`,
      status: 'WARN',
      message:
        `${DOMAIN}'s SPF record does not cover the relay's address 198.51.100.7 (doctor looked one include deep, not into include:spfd.protection.outlook.com), ` +
        'so receivers may reject or junk the mail it delivers',
      fix: `the relay delivers directly: add ip4:198.51.100.7 to the SPF record of ${DOMAIN} (before its "all")`,
    });
    expect(notOk(lines)).toHaveLength(1);
  });

  it("finds the relay's address through one level of include, and says when it cannot tell", async () => {
    // 40.107.1.2 is in Microsoft's record, which the domain includes.
    const { lines } = await doctorJson(deployment(), '--relay-ip', '40.107.1.2');
    expect(line(lines, `spf-relay-ip:${DOMAIN}`)).toMatchObject({ status: 'OK', message: expect.stringContaining('through include:spf.protection.outlook.com, which lists 40.107.0.0/16') });
    // An mx mechanism could cover any address: doctor does not look it up, so it cannot tell.
    const other = new TestDnsServer();
    await other.start();
    try {
      serveProviderRecords(other);
      other.setTxt(DOMAIN, 'v=spf1 mx include:spf.protection.outlook.com -all');
      const { lines: unsure } = await doctorJson(deployment({ dnsServer: other }), '--relay-ip', '2001:db8::25');
      expect(line(unsure, `spf-relay-ip:${DOMAIN}`)).toMatchObject({ status: 'SKIP', message: expect.stringMatching(/^could not tell .*2001:db8::25: .* does not look up mx$/) });
    } finally {
      await other.stop();
    }
  });

  it('fails a mail server source inside a cloud source\'s addresses: an open relay for that provider\'s customers', async () => {
    const { status, lines } = await doctorJson(deployment({ m365Ranges: [...M365_RANGES, '192.0.2.0/24'] }));
    expect(status).toBe(1);
    expect(lines.find((l) => l.status === 'FAIL')).toMatchObject({ message: expect.stringMatching(/mail server "office" lists 192\.0\.2\.10, within Microsoft 365 tenant "m365"/) });
  });

  it("warns when a provider's address list differs from its SPF record, listing what is missing and extra", async () => {
    const ranges = M365_RANGES.filter((r) => r !== '104.47.0.0/17').concat('198.51.100.0/24');
    const { status, lines } = await doctorJson(deployment({ m365Ranges: ranges }));
    expect(status).toBe(0);
    expect(line(lines, 'source-spf:m365')).toMatchObject({
      status: 'WARN',
      message:
        `the addresses of Microsoft 365 tenant "m365" differ from Microsoft's SPF record (spf.protection.outlook.com): ` +
        'in SPF but not admitted (mail from there is refused): 104.47.0.0/17; admitted but not in SPF: 198.51.100.0/24',
      fix: expect.stringContaining('dig +short TXT spf.protection.outlook.com'),
    });
  });

  it('warns of address lists older than 90 days or of unknown date, with how to refresh them', async () => {
    const where = deployment();
    writeFileSync(join(where.configDir, 'm365.txt'), `# As of: 2020-01-31\n${M365_RANGES.join('\n')}\n`);
    writeFileSync(join(where.configDir, 'google.txt'), `# As of: unknown\n${GOOGLE_RANGES.join('\n')}\n`);
    const { lines } = await doctorJson(where);
    expect(line(lines, 'source:m365')).toMatchObject({ status: 'WARN', message: expect.stringMatching(/as of 2020-01-31 \(\d+ days ago\): older than 90 days$/), fix: expect.stringContaining('endpoints.office.com') });
    expect(line(lines, 'source:gmail')).toMatchObject({ status: 'WARN', message: expect.stringContaining('the list\'s date is not known'), fix: expect.stringContaining('_netblocks2.google.com') });
  });

  it('warns of a data directory and database others can read, and of a missing key without making one', async () => {
    const where = deployment({ keyMode: null });
    chmodSync(where.dataDir, 0o755);
    writeFileSync(join(where.dataDir, 'quarantine.sqlite'), '', { mode: 0o644 });
    chmodSync(join(where.dataDir, 'quarantine.sqlite'), 0o644);
    const { status, lines } = await doctorJson(where);
    expect(status).toBe(0);
    expect(line(lines, 'data-directory')).toMatchObject({ status: 'WARN', fix: `chmod 700 ${where.dataDir}` });
    expect(line(lines, 'database')).toMatchObject({ status: 'WARN', fix: `chmod 600 ${join(where.dataDir, 'quarantine.sqlite')}` });
    expect(line(lines, 'quarantine-key')).toMatchObject({ status: 'WARN', message: expect.stringContaining('the relay makes a new key there when it first starts'), fix: expect.stringContaining('back') });
    expect(existsSync(join(where.dataDir, 'quarantine.key'))).toBe(false);
  });

  it('warns when relayed mail would bypass the smarthost, and when a password would cross the network unencrypted', async () => {
    const submission = await new SmtpSink().start();
    try {
      const where = deployment({
        yaml: `notifications:\n  from: dlp@${DOMAIN}\n  submission: { host: 127.0.0.1, port: ${submission.port}, user: dlp-relay }\n`,
      });
      writeFileSync(join(where.configDir, 'smtp_forward.ini'), `host=127.0.0.1\nport=${smarthost.port}\n`);
      const { status, lines } = await doctorJson(where);
      expect(status).toBe(0);
      expect(line(lines, 'smarthost')).toMatchObject({ status: 'WARN', message: expect.stringContaining('does not set enable_outbound=true'), fix: expect.stringContaining('enable_outbound=true') });
      expect(line(lines, `mail-route:127.0.0.1:${submission.port}`)).toMatchObject({
        status: 'WARN',
        message: expect.stringContaining("for the relay's own emails (notifications.submission): answered \"220 "),
        fix: expect.stringContaining('STARTTLS'),
      });
    } finally {
      await submission.stop();
    }
  });

  it("warns when the trust's domain has no MX or SPF record: an answer, not a SKIP", async () => {
    const where = deployment();
    const path = join(where.configDir, 'dlp.yaml');
    writeFileSync(path, readFileSync(path, 'utf8').replace(`internal_domains: [${DOMAIN}]`, `internal_domains: [${DOMAIN}, no-records.example]`));
    const { lines } = await doctorJson(where);
    expect(line(lines, 'mx:no-records.example')).toMatchObject({ status: 'WARN', message: expect.stringContaining('no MX record (DNS says the name does not exist)') });
    expect(line(lines, 'spf:no-records.example')).toMatchObject({ status: 'WARN', message: expect.stringContaining('no SPF record (DNS says the name does not exist)') });
  });
});

describe('dlp doctor when it cannot check', () => {
  it('says SKIP, not OK or FAIL, for every DNS check when the DNS server does not answer, and does not hang', async () => {
    const silent = await new TestDnsServer().start();
    silent.silent = true;
    try {
      const started = Date.now();
      const { status, lines } = await doctorJson(deployment({ dnsServer: silent }), '--relay-ip', RELAY_IP);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(status).toBe(0);
      const skipped = lines.filter((l) => l.status === 'SKIP');
      expect(skipped.map((l) => l.check)).toEqual(['source-spf:m365', 'source-spf:gmail', `dmarc:${DOMAIN}`, `mx:${DOMAIN}`, `spf:${DOMAIN}`, `spf-relay-ip:${DOMAIN}`]);
      for (const l of skipped) expect(l.message).toMatch(new RegExp(`DNS did not answer .*\\(ETIMEOUT from ${silent.address.replace(/\./g, '\\.')}\\)`));
      expect(notOk(lines)).toEqual(skipped);
      // After the first lookup timed out, no more were sent.
      expect(new Set(silent.queries)).toEqual(new Set(['TXT spf.protection.outlook.com']));
    } finally {
      await silent.stop();
    }
  });

  it('--dns asks another server than dlp.yaml names', async () => {
    const silent = await new TestDnsServer().start();
    silent.silent = true;
    try {
      const { lines } = await doctorJson(deployment({ dnsServer: silent }), '--dns', dns.address);
      expect(notOk(lines)).toEqual([]);
    } finally {
      await silent.stop();
    }
  });
});

describe('dlp doctor with PostgreSQL', () => {
  it('connects and runs SELECT 1', async () => {
    const url = testPostgresUrl();
    const { lines } = await doctorJson(deployment({ yaml: `  database: ${url}\n` }));
    expect(line(lines, 'database')).toMatchObject({ status: 'OK', message: expect.stringMatching(/: connected, and it answered SELECT 1$/) });
  });
});

describe('dlp doctor usage', () => {
  it.each([
    [['--bogus'], /Unknown option '--bogus'/],
    [['--relay-ip', 'relay.example'], /--relay-ip relay\.example is not an IP address/],
  ])('exits 2 with usage for %j', async (args, message) => {
    const { status, stderr } = await doctor(...args);
    expect(status).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).toMatch(/Usage:\n {2}dlp doctor/);
  });

  it('exits 2 for a --dns server that is not an address', async () => {
    const where = deployment();
    const { status, stderr } = await doctorJson(where, '--dns', 'dns.example');
    expect(status).toBe(2);
    expect(stderr).toMatch(/--dns dns\.example/);
  });

  it('is in the usage of dlp', async () => {
    let out = '';
    expect(await main(['--help'], { out: (t) => void (out += t), err: () => {} })).toBe(0);
    expect(out).toContain('dlp doctor [--config DIR] [--data DIR] [--relay-ip ADDR] [--dns SERVER] [--json]');
  });
});
