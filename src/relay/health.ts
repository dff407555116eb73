/**
 * GET /healthz: whether this relay can do its job now, part by part, for a monitoring system
 * or a load balancer. No sign-in and no personal data: counts, ages and states only. Any part
 * failing makes the answer 503 and names it.
 */
import type { DlpConfig } from '../config/load.js';
import type { MetricsSources } from './metrics.js';
import type { CertificateCheck } from './tls-certificate.js';

export interface HealthPart {
  ok: boolean;
  /** What is wrong, or worth knowing, in a few words. */
  detail?: string;
  [measure: string]: unknown;
}

export interface HealthReport {
  status: 'ok' | 'failing';
  failing: string[];
  checks: Record<string, HealthPart>;
}

export interface HealthSources extends Omit<MetricsSources, 'certificateExpiry'> {
  config(): DlpConfig;
  /** The certificate Haraka serves (read when the relay started), and what is on disk now. */
  certificate(): { inForce: CertificateCheck; onDisk: CertificateCheck };
  /** When a message last waited too long for an inspection process (answered 451 4.3.2). */
  lastBusyAt(): number | undefined;
  now?: () => number;
}

const DAY_MS = 86_400_000;
/** A busy answer this recent counts against the inspection part. */
const RECENTLY_BUSY_MS = 5 * 60_000;
/** The store must answer within this. */
const STORE_TIMEOUT_MS = 3_000;

export async function healthReport(sources: HealthSources): Promise<HealthReport> {
  const config = sources.config();
  const now = (sources.now ?? Date.now)();
  const checks: Record<string, HealthPart> = {};

  const held = await Promise.race([
    sources.held().then((h) => h ?? 'no store', (error: unknown) => (error instanceof Error ? error.message : String(error))),
    new Promise<string>((resolve) => setTimeout(resolve, STORE_TIMEOUT_MS, `no answer within ${STORE_TIMEOUT_MS / 1000} s`).unref()),
  ]);
  // The reason is in the relay's log: an error text can carry a database user or a path, and this page needs no sign-in.
  checks['store'] = typeof held === 'string' ? { ok: false, detail: 'the quarantine store cannot be used: see the relay\'s log' } : { ok: true, held: held.held, overdue: held.overdue };

  const stats = sources.inspection();
  const busyAt = sources.lastBusyAt();
  const recentlyBusy = busyAt !== undefined && now - busyAt < RECENTLY_BUSY_MS;
  checks['inspection'] = stats
    ? {
        ok: !recentlyBusy,
        processes: stats.processes,
        busy: stats.busy,
        waiting: stats.waiting,
        ...(recentlyBusy ? { detail: `messages waited longer than ${config.inspection.maxWaitMs / 1000} s for an inspection process in the last 5 minutes (answered 451 4.3.2)` } : {}),
      }
    : { ok: false, detail: 'the inspection processes are not running' };

  const outbox = await sources.outbox().catch(() => undefined);
  if (!config.notifications) checks['outbox'] = { ok: true, detail: 'notifications are not configured' };
  else if (!outbox) checks['outbox'] = { ok: false, detail: 'the outbox cannot be read' };
  else {
    const over = outbox.pending > config.monitoring.outboxMaxPending;
    checks['outbox'] = {
      ok: !over,
      pending: outbox.pending,
      failed: outbox.failed,
      ...(over ? { detail: `${outbox.pending} emails wait to be sent (more than ${config.monitoring.outboxMaxPending}): the submission server or route may be down` } : {}),
      ...(!over && outbox.failed > 0 ? { detail: `${outbox.failed} emails were given up (outbox/failed/)` } : {}),
    };
  }

  const { inForce: certificate, onDisk } = sources.certificate();
  // Haraka reads the certificate when it starts: a renewed file is served only after a restart.
  const renewed =
    certificate.state === 'ok' && onDisk.state === 'ok' && onDisk.notAfter.getTime() !== certificate.notAfter.getTime()
      ? { renewed_on_disk: onDisk.notAfter.toISOString() }
      : {};
  if (certificate.state === 'none') checks['certificate'] = { ok: true, detail: 'no TLS certificate: STARTTLS is not offered' };
  else if (certificate.state === 'invalid') checks['certificate'] = { ok: false, detail: certificate.problem };
  else {
    const daysLeft = Math.floor((certificate.notAfter.getTime() - now) / DAY_MS);
    const failing = daysLeft < config.monitoring.certificateMinDays;
    checks['certificate'] = {
      ok: !failing,
      days_left: daysLeft,
      expires: certificate.notAfter.toISOString(),
      ...renewed,
      ...('renewed_on_disk' in renewed
        ? { detail: `the TLS certificate in use expires in ${daysLeft} days; a renewed one is on disk: restart the relay to use it` }
        : failing || certificate.warning
          ? { detail: `the TLS certificate expires in ${daysLeft} days: renew it` }
          : {}),
    };
  }

  const exportedAt = sources.rosterExportedAt();
  if (config.rosterFiles.length === 0) checks['roster'] = { ok: true, detail: 'no roster is configured: pupil names are not checked' };
  else if (!exportedAt) checks['roster'] = { ok: false, detail: 'the roster in force is unknown' };
  else {
    const ageHours = Math.floor((now - exportedAt.getTime()) / 3_600_000);
    const maxMs = config.monitoring.rosterMaxAgeMs;
    const stale = maxMs > 0 && now - exportedAt.getTime() > maxMs;
    checks['roster'] = {
      ok: !stale,
      age_hours: ageHours,
      ...(stale ? { detail: `the roster was exported ${Math.floor(ageHours / 24)} days ago: export it again from the MIS` } : {}),
    };
  }

  const failing = Object.entries(checks)
    .filter(([, part]) => !part.ok)
    .map(([name]) => name);
  return { status: failing.length === 0 ? 'ok' : 'failing', failing, checks };
}
