/**
 * The relay's health report and metrics, read from the parts of the running relay: the
 * inspection pool, the quarantine store, the outbox, the TLS certificate and the roster.
 */
import type { DlpConfig } from '../config/load.js';
import { healthReport, type HealthReport } from './health.js';
import type { Inspector } from './inspection-pool.js';
import { RelayMetrics, type MetricsSources } from './metrics.js';
import type { QuarantineAccess } from './quarantine-access.js';
import type { RelayMail } from './relay-mail.js';
import type { RosterKeeper } from './roster-keeper.js';
import { checkTlsCertificate, type CertificateCheck } from './tls-certificate.js';

export interface RelayParts {
  config(): DlpConfig;
  inspector(): Inspector | undefined;
  quarantine(): QuarantineAccess | undefined;
  mail(): RelayMail | undefined;
  roster(): RosterKeeper | undefined;
}

/** The certificate is read from disk at most this often. */
const CERTIFICATE_RECHECK_MS = 60_000;

export class RelayMonitoring {
  readonly metrics: RelayMetrics;
  private certificateChecked: { at: number; configDir: string; check: CertificateCheck } | undefined;
  private inForce: CertificateCheck | undefined;

  constructor(private readonly parts: RelayParts) {
    this.metrics = new RelayMetrics(this.sources());
    this.certificate(); // what Haraka loads as it starts
  }

  health(): Promise<HealthReport> {
    return healthReport({
      ...this.sources(),
      config: () => this.parts.config(),
      certificate: () => this.certificate(),
      lastBusyAt: () => this.metrics.lastBusyAt,
    });
  }

  private sources(): MetricsSources {
    return {
      inspection: () => this.parts.inspector()?.stats(),
      held: async () => {
        const access = this.parts.quarantine();
        if (!access) return undefined;
        const config = this.parts.config();
        const counts = await (await access.store()).counts(new Date(Date.now() - config.quarantine.overdueAfterMs));
        return { held: counts.held, overdue: counts.overdue };
      },
      outbox: async () => this.parts.mail()?.outboxState(),
      certificateExpiry: () => {
        const check = this.certificate().inForce;
        return check.state === 'ok' ? check.notAfter : undefined;
      },
      rosterExportedAt: () => this.parts.roster()?.state.exportedAt,
    };
  }

  /** The certificate as on disk now (read at most once a minute). */
  private onDisk(): CertificateCheck {
    const configDir = this.parts.config().configDir;
    const cached = this.certificateChecked;
    if (cached && cached.configDir === configDir && Date.now() - cached.at < CERTIFICATE_RECHECK_MS) return cached.check;
    const check = checkTlsCertificate(configDir);
    this.certificateChecked = { at: Date.now(), configDir, check };
    return check;
  }

  /** The certificate Haraka serves: the one on disk when the relay started. */
  private certificate(): { inForce: CertificateCheck; onDisk: CertificateCheck } {
    const onDisk = this.onDisk();
    this.inForce ??= onDisk;
    return { inForce: this.inForce, onDisk };
  }

}
