/**
 * The cost of the mail path's protections: the same relay (Haraka + dlp, shipped policy)
 * three ways in one run: plain SMTP from a local source (the baseline); STARTTLS and the
 * Microsoft 365 source checks (address list, TLS, tenant id on every message); STARTTLS and
 * the Google Workspace source checks (address list, TLS, a DKIM signature of the trust's
 * domain verified for every message, its key from a DNS server on loopback). Each is loaded
 * with 10 clients on open connections, and with 1 client opening a new connection (so a new
 * TLS handshake) for every message. Reports messages/s, latency, CPU per message (Haraka and
 * its inspection processes) and the ratios to the baseline; writes bench/results/mail-path.json.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, it } from 'vitest';
import { makeTestCa } from '../test/support/certificates.js';
import { TestDnsServer } from '../test/support/dns-server.js';
import { HarakaRelay } from '../test/support/haraka-relay.js';
import { REPO_ROOT, SHIPPED_CONFIG_DIR } from '../test/support/paths.js';
import { BENCH_PARTNER, BENCH_STAFF, everydayMessages } from './support/corpus.js';
import { PostfixSmtpSink } from './support/postfix-sink.js';
import { treeCpuMs } from './support/process-tree.js';
import { latencySummary, round2, type LatencySummary } from './support/stats.js';

const MESSAGES = Number(process.env['BENCH_MESSAGES'] ?? 600);
const RELAY_NAME = 'relay.example-trust.org.uk';
const TENANT = '6f1c2a3b-4d5e-4f60-8a9b-0c1d2e3f4a5b';
const SHIPPED_YAML = readFileSync(join(SHIPPED_CONFIG_DIR, 'dlp.yaml'), 'utf8');

interface Side {
  name: string;
  relay: HarakaRelay;
  sink: PostfixSmtpSink;
  job: Record<string, unknown>;
}

interface Figures {
  msgs_per_s: number;
  latency_ms: LatencySummary;
  cpu_ms_per_msg: number;
}

let sides: Side[] = [];
const dns = new TestDnsServer();

async function run(side: Side, clients: number, messages: number, connectionPerMessage: boolean): Promise<Figures> {
  const before = side.sink.received;
  const cpuBefore = treeCpuMs(side.relay.pid!);
  const job = { ...side.job, port: side.relay.port, clients, messages, from: BENCH_STAFF, to: [BENCH_PARTNER], connectionPerMessage };
  const { stdout } = await promisify(execFile)(process.execPath, [join(REPO_ROOT, 'bench/load/smtp-load.mjs'), JSON.stringify(job)], { maxBuffer: 64 * 1024 * 1024 });
  const result = JSON.parse(stdout) as { sent: number; failed: number; failures: string[]; elapsed_ms: number; latencies_ms: number[] };
  if (result.failed) throw new Error(`${side.name}: ${result.failed} refused, e.g. ${result.failures.join(' | ')}`);
  await side.sink.waitFor(before + result.sent, 600_000);
  return {
    msgs_per_s: round2(result.sent / (result.elapsed_ms / 1000)),
    latency_ms: latencySummary(result.latencies_ms),
    cpu_ms_per_msg: round2((treeCpuMs(side.relay.pid!) - cpuBefore) / result.sent),
  };
}

beforeAll(async () => {
  await dns.start();
  const dkim = generateKeyPairSync('rsa', { modulusLength: 2048 });
  dns.setTxt('bench._domainkey.example-trust.org.uk', `v=DKIM1; k=rsa; p=${dkim.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`);
  const ca = makeTestCa();
  const certificate = ca.issue(RELAY_NAME);
  const tls = { ca: ca.cert, servername: RELAY_NAME };
  const dir = mkdtempSync(join(tmpdir(), 'dlp-bench-mail-path-'));
  const corpus = (name: string, headers: string): string[] =>
    everydayMessages().map(({ raw }, i) => {
      const file = join(dir, `${name}-${i}.eml`);
      writeFileSync(file, Buffer.concat([Buffer.from(headers), raw]));
      return file;
    });
  const start = async (name: string, sources: string, plugins: string[], job: Record<string, unknown>): Promise<Side> => {
    const sink = await new PostfixSmtpSink().start();
    const relay = await new HarakaRelay({
      dlpYaml: `${SHIPPED_YAML}\n${sources}`,
      smarthostPort: sink.port,
      pluginsDir: join(REPO_ROOT, 'bench/haraka-plugins'),
      plugins,
      ...(plugins.includes('tls')
        ? { configFiles: { 'tls_cert.pem': certificate.cert, 'tls_key.pem': certificate.key, 'tls.ini': readFileSync(join(SHIPPED_CONFIG_DIR, 'tls.ini'), 'utf8') } }
        : {}),
    }).start();
    return { name, relay, sink, job };
  };
  sides = [
    await start('plain SMTP, local source', '', ['loop-delay', 'dlp', 'queue/smtp_forward'], { files: corpus('plain', '') }),
    await start(
      'TLS + Microsoft 365 checks',
      `dns: { servers: ['${dns.address}'] }\nsources:\n  - { name: m365, kind: microsoft365, tenant_id: '${TENANT}', addresses: ['127.0.0.3'] }\n`,
      ['loop-delay', 'dlp', 'tls', 'queue/smtp_forward'],
      { files: corpus('m365', `X-MS-Exchange-CrossTenant-Id: ${TENANT}\r\nX-MS-Exchange-CrossTenant-AuthAs: Internal\r\n`), localAddress: '127.0.0.3', tls },
    ),
    await start(
      'TLS + Google Workspace checks',
      `dns: { servers: ['${dns.address}'] }\nsources:\n  - { name: google, kind: google-workspace, addresses: ['127.0.0.4'] }\n`,
      ['loop-delay', 'dlp', 'tls', 'queue/smtp_forward'],
      {
        files: corpus('google', ''),
        localAddress: '127.0.0.4',
        tls,
        dkim: { domain: 'example-trust.org.uk', selector: 'bench', privateKey: dkim.privateKey.export({ type: 'pkcs8', format: 'pem' }) },
      },
    ),
  ];
}, 180_000);

afterAll(async () => {
  for (const side of sides) {
    await side.relay.stop();
    await side.sink.stop();
  }
  await dns.stop();
});

it('the cost of TLS and the source checks per message', async () => {
  for (const side of sides) await run(side, 10, 100, false); // warm-up
  const loads = [
    { name: `10 clients, open connections, ${MESSAGES} messages`, clients: 10, messages: MESSAGES, perMessage: false },
    { name: `1 client, a new connection per message, ${Math.round(MESSAGES / 3)} messages`, clients: 1, messages: Math.round(MESSAGES / 3), perMessage: true },
  ];
  const results: Record<string, Record<string, Figures>> = {};
  const table: Record<string, Record<string, string | number>> = {};
  for (const load of loads) {
    const figures: Record<string, Figures> = {};
    // Alternate the order between loads, so that drift in the machine hits every side alike.
    for (const side of load.perMessage ? [...sides].reverse() : sides) figures[side.name] = await run(side, load.clients, load.messages, load.perMessage);
    results[load.name] = figures;
    const base = figures[sides[0]!.name]!;
    for (const side of sides) {
      const f = figures[side.name]!;
      table[`${load.name}: ${side.name}`] = {
        'msg/s': f.msgs_per_s,
        'latency median ms': f.latency_ms.median,
        'latency p99 ms': f.latency_ms.p99,
        'CPU ms/msg': f.cpu_ms_per_msg,
        'CPU vs plain': side === sides[0] ? '' : `+${round2(f.cpu_ms_per_msg - base.cpu_ms_per_msg)} ms (x${round2(f.cpu_ms_per_msg / base.cpu_ms_per_msg)})`,
        'median vs plain': side === sides[0] ? '' : `x${round2(f.latency_ms.median / base.latency_ms.median)}`,
      };
    }
  }
  console.log(`\nThe mail path's protections (short text, 39 KB HTML newsletter, Outlook and Gmail forwards; ${process.version})`);
  console.table(table);
  mkdirSync(join(REPO_ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(REPO_ROOT, 'bench/results/mail-path.json'), `${JSON.stringify({ node: process.version, date: new Date().toISOString(), results }, null, 2)}\n`);
});
