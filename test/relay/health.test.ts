import { describe, expect, it } from 'vitest';
import { healthReport, type HealthSources } from '../../src/relay/health.js';
import { BASE_DLP_YAML, configFrom } from '../support/config.js';

const NOW = Date.parse('2026-12-02T12:00:00Z');
const NO_CERTIFICATE = { state: 'none', certPath: 'tls_cert.pem', keyPath: 'tls_key.pem' } as const;
const withNotifications = configFrom(`${BASE_DLP_YAML}notifications:\n  from: dlp@example-trust.org.uk\nmonitoring:\n  outbox_max_pending: 5\n`);

function sources(overrides: Partial<HealthSources> = {}): HealthSources {
  return {
    config: () => withNotifications,
    now: () => NOW,
    inspection: () => ({ processes: 2, busy: 1, waiting: 0 }),
    held: async () => ({ held: 3, overdue: 1 }),
    outbox: async () => ({ pending: 0, failed: 0 }),
    certificate: () => ({ inForce: NO_CERTIFICATE, onDisk: NO_CERTIFICATE }),
    rosterExportedAt: () => undefined,
    lastBusyAt: () => undefined,
    ...overrides,
  };
}

describe('the health report (the parts the end-to-end test cannot easily break)', () => {
  it('is ok with counts when nothing is wrong', async () => {
    const report = await healthReport(sources());
    expect(report).toMatchObject({ status: 'ok', failing: [] });
    expect(report.checks['store']).toEqual({ ok: true, held: 3, overdue: 1 });
    expect(report.checks['certificate']).toEqual({ ok: true, detail: 'no TLS certificate: STARTTLS is not offered' });
  });

  it('fails the inspection part for five minutes after a message waited too long for a process', async () => {
    const busy = await healthReport(sources({ lastBusyAt: () => NOW - 60_000, inspection: () => ({ processes: 2, busy: 2, waiting: 7 }) }));
    expect(busy.failing).toEqual(['inspection']);
    expect(busy.checks['inspection']).toMatchObject({ ok: false, busy: 2, waiting: 7, detail: expect.stringMatching(/answered 451 4\.3\.2/) });
    expect((await healthReport(sources({ lastBusyAt: () => NOW - 6 * 60_000 }))).status).toBe('ok');
    expect((await healthReport(sources({ inspection: () => undefined }))).failing).toEqual(['inspection']);
  });

  it('fails the outbox past its backlog limit, and says when emails were given up', async () => {
    const backlog = await healthReport(sources({ outbox: async () => ({ pending: 6, failed: 0 }) }));
    expect(backlog.failing).toEqual(['outbox']);
    expect(backlog.checks['outbox']!.detail).toMatch(/6 emails wait to be sent \(more than 5\)/);
    const gaveUp = await healthReport(sources({ outbox: async () => ({ pending: 1, failed: 2 }) }));
    expect(gaveUp.status).toBe('ok');
    expect(gaveUp.checks['outbox']).toMatchObject({ ok: true, failed: 2, detail: '2 emails were given up (outbox/failed/)' });
  });

  it('fails the store when it does not answer', async () => {
    const report = await healthReport(sources({ held: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432')) }));
    expect(report.failing).toEqual(['store']);
    expect(report.checks['store']!.detail).toBe("the quarantine store cannot be used: see the relay's log");
    expect(JSON.stringify(report)).not.toContain('5432');
  });

  it('tells a renewed certificate on disk from the one in use, which Haraka serves until a restart', async () => {
    const certificate = (days: number) => ({ state: 'ok' as const, certPath: 'tls_cert.pem', names: ['relay.example-trust.org.uk'], notAfter: new Date(NOW + days * 86_400_000), daysLeft: days });
    const report = await healthReport(sources({ certificate: () => ({ inForce: certificate(3), onDisk: certificate(90) }) }));
    expect(report.failing).toEqual(['certificate']);
    expect(report.checks['certificate']).toMatchObject({ ok: false, days_left: 3, detail: 'the TLS certificate in use expires in 3 days; a renewed one is on disk: restart the relay to use it' });
  });
});
