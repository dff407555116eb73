/**
 * GET /healthz and GET /metrics on the review queue's listener, from a real Haraka: what a
 * monitoring system sees after real mail, and the parts that fail (a database that is down,
 * a certificate about to expire, a roster exported long ago), with no sign-in and no
 * personal data.
 */
import { readFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestCa } from '../support/certificates.js';
import { freePort, HarakaRelay } from '../support/haraka-relay.js';
import { FIXTURES } from '../support/paths.js';
import { RIVERSIDE_ROSTER } from '../support/roster.js';

const ROSTER = readFileSync(RIVERSIDE_ROSTER);
import { crlf, sendRaw } from '../support/send.js';
import { SmtpSink } from '../support/smtp-sink.js';

const STAFF = 's.jones@example-trust.org.uk';
const YAML = `mode: enforce
organisation:
  name: Test Academy Trust
  internal_domains: [example-trust.org.uk]
roster:
  file: roster.csv
`;
const LETTER = crlf(`From: Sarah Jones <${STAFF}>
To: r.patel@riverside.example.com
Subject: Year 7 trip
Message-ID: <monitoring-1@example-trust.org.uk>

The coach leaves at 8.45.
`);

async function get(relay: HarakaRelay, path: string): Promise<{ status: number; type: string; text: string }> {
  const response = await fetch(`http://127.0.0.1:${relay.reviewPort}${path}`, { redirect: 'manual' });
  return { status: response.status, type: response.headers.get('content-type') ?? '', text: await response.text() };
}

describe('health and metrics of a running relay', () => {
  const sink = new SmtpSink();
  let relay: HarakaRelay;

  beforeAll(async () => {
    await sink.start();
    relay = await new HarakaRelay({ dlpYaml: YAML, smarthostPort: sink.port, configFiles: { 'roster.csv': ROSTER } }).start();
  });
  afterAll(async () => {
    await relay?.stop();
    await sink.stop();
  });

  it('/healthz: 200 with every part, without signing in', async () => {
    const { status, type, text } = await get(relay, '/healthz');
    expect(status).toBe(200);
    expect(type).toMatch(/application\/json/);
    const report = JSON.parse(text) as { status: string; failing: string[]; checks: Record<string, { ok: boolean }> };
    expect(report).toMatchObject({ status: 'ok', failing: [] });
    expect(Object.keys(report.checks).sort()).toEqual(['certificate', 'inspection', 'outbox', 'roster', 'store']);
    expect(report.checks['store']).toMatchObject({ ok: true, held: 0, overdue: 0 });
    expect(report.checks['roster']).toMatchObject({ ok: true, age_hours: 0 });
    expect(report.checks['inspection']).toMatchObject({ ok: true, waiting: 0 });
  });

  it('/metrics: messages by outcome, rules fired, inspection times, refused clients and queue state, in Prometheus text format', async () => {
    expect((await sendRaw(relay.port, { from: STAFF, to: ['r.patel@riverside.example.com'] }, LETTER)).code).toBe(250);
    const forward = crlf(readFileSync(join(FIXTURES, 'forwarding/gmail-forward.eml')));
    expect((await sendRaw(relay.port, { from: STAFF, to: ['sarah.jones1984@gmail.com'] }, forward)).code).toBe(550);
    expect((await sendRaw(relay.port, { from: STAFF, to: ['r.patel@riverside.example.com'] }, LETTER, { localAddress: '127.0.0.2' })).code).toBe(550);
    const { status, type, text } = await get(relay, '/metrics');
    expect(status).toBe(200);
    expect(type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(text).toMatch(/^dlp_messages_total\{outcome="pass"\} 1$/m);
    expect(text).toMatch(/^dlp_messages_total\{outcome="reject"\} 1$/m);
    expect(text).toMatch(/^dlp_rules_fired_total\{rule="forward-to-personal-address",action="reject"\} 1$/m);
    expect(text).toMatch(/^dlp_inspection_duration_seconds_count 2$/m);
    expect(text).toMatch(/^dlp_answer_duration_seconds_count 2$/m);
    expect(text).toMatch(/^dlp_relay_refused_total\{reason="not-a-source"\} 1$/m);
    expect(text).toMatch(/^dlp_held_messages\{overdue="false"\} 0$/m);
    expect(text).toMatch(/^dlp_inspection_processes\{state="busy"\} \d+$/m);
    expect(text).toMatch(/^dlp_roster_export_timestamp_seconds \d+(\.\d+)?(e\+\d+)?$/m);
    expect(text).toMatch(/^process_cpu_seconds_total /m);
    // Never an address, a subject or a name.
    for (const secret of ['sarah.jones1984', 'gmail.com', 'riverside', 'Year 7', 'Jones']) expect(text).not.toContain(secret);
  });
});

describe('/healthz names the part that fails (503)', () => {
  it('the quarantine database, a certificate about to expire and an old roster', async () => {
    const ca = makeTestCa();
    const soon = ca.issue('relay.example-trust.org.uk', { days: 3 });
    const closedPort = await freePort();
    const relay = await new HarakaRelay({
      dlpYaml: `${YAML}quarantine:\n  database: postgres://postgres@127.0.0.1:${closedPort}/test\n`,
      smarthostPort: 9,
      plugins: ['dlp', 'tls', 'queue/smtp_forward'],
      configFiles: { 'roster.csv': ROSTER, 'tls_cert.pem': soon.cert, 'tls_key.pem': soon.key },
    });
    try {
      await relay.start();
      const tenDaysAgo = new Date(Date.now() - 10 * 86_400_000);
      utimesSync(join(relay.configDir, 'roster.csv'), tenDaysAgo, tenDaysAgo);
      // The roster keeper notices the file changed (it is polled) and puts the same roster in force again.
      await relay.waitForOutput(/dlp: roster: 7 pupils/, 15_000, relay.output.length);
      const { status, text } = await get(relay, '/healthz');
      expect(status).toBe(503);
      const report = JSON.parse(text) as { status: string; failing: string[]; checks: Record<string, { ok: boolean; detail?: string }> };
      expect(report.status).toBe('failing');
      expect(report.failing.sort()).toEqual(['certificate', 'roster', 'store']);
      expect(report.checks['store']!.detail).toBe("the quarantine store cannot be used: see the relay's log");
      expect(text).not.toContain('postgres');
      expect(relay.output).toMatch(/the quarantine store cannot be used.*ECONNREFUSED/);
      expect(report.checks['certificate']!.detail).toMatch(/the TLS certificate expires in 2 days: renew it/);
      expect(report.checks['roster']!.detail).toMatch(/the roster was exported 10 days ago: export it again from the MIS/);
      expect(report.checks['inspection']!.ok).toBe(true);
    } finally {
      await relay.stop();
    }
  });

  it('can be turned off', async () => {
    const relay = await new HarakaRelay({ dlpYaml: `${YAML}monitoring: { health: false, metrics: false }\n`, smarthostPort: 9, configFiles: { 'roster.csv': ROSTER } }).start();
    try {
      // Only the review queue answers: it sends a visitor with no session to sign in.
      for (const path of ['/healthz', '/metrics']) expect(await get(relay, path)).toMatchObject({ status: 303 });
    } finally {
      await relay.stop();
    }
  });
});
