/**
 * What runs beside the relay for the quarantine: the review queue's web server (with the
 * health report and metrics beside it), and the retention and reminder housekeeping every
 * ten minutes.
 */
import type { DlpConfig } from '../config/load.js';
import { runMaintenance } from '../quarantine/maintenance.js';
import { startReviewServer } from '../review/server.js';
import { HarakaOutboundDelivery } from './haraka-outbound.js';
import type { QuarantineAccess } from './quarantine-access.js';
import type { RelayMail } from './relay-mail.js';
import type { RelayMonitoring } from './monitoring.js';
import type { RelayLog } from './roster-keeper.js';

const MAINTENANCE_EVERY_MS = 10 * 60_000;

export interface QuarantineServices {
  close(): Promise<void>;
}

export function startQuarantineServices(
  access: QuarantineAccess,
  config: () => DlpConfig,
  mail: RelayMail,
  log: RelayLog,
  monitoring?: RelayMonitoring,
): QuarantineServices {
  const initial = config();
  const listen = initial.review.listen;
  const endpoints = {
    ...(monitoring && initial.monitoring.health
      ? {
          health: async () => {
            const report = await monitoring.health();
            return { healthy: report.status === 'ok', report };
          },
        }
      : {}),
    ...(monitoring && initial.monitoring.metrics ? { metrics: async () => ({ contentType: monitoring.metrics.contentType, text: await monitoring.metrics.text() }) } : {}),
  };
  const server = listen
    ? startReviewServer(listen, {
        store: () => access.store(),
        delivery: new HarakaOutboundDelivery(initial.quarantine.releaseVia),
        settings: initial.review,
        organisation: initial.organisation.name,
        overdueAfterMs: initial.quarantine.overdueAfterMs,
        rules: initial.rules.map((r) => r.id),
        events: {
          problem: (message) => log.crit(`dlp: review queue: ${message}`),
          decided: ({ reference, decision }) => mail.afterDecision(reference, decision),
        },
      }, endpoints).then(
        (started) => {
          log.info(`dlp: review queue listening on http://${listen.host}:${listen.port}/`);
          return started;
        },
        (error: unknown) => {
          log.crit(`dlp: the review queue could not listen on ${listen.host}:${listen.port}: ${error instanceof Error ? error.message : String(error)}`);
          return undefined;
        },
      )
    : Promise.resolve(undefined);

  const maintain = async (): Promise<void> => {
    const current = config();
    try {
      const store = await access.store();
      await runMaintenance(
        store,
        {
          retentionMs: current.quarantine.retentionMs,
          overdueAfterMs: current.quarantine.overdueAfterMs,
          reminderEveryMs: current.quarantine.reminderEveryMs,
          organisation: current.organisation.name,
          alsoRemind: current.organisation.dpoContact ? [current.organisation.dpoContact] : [],
          ...(current.review.publicUrl ? { queueUrl: current.review.publicUrl } : {}),
        },
        current.notifications ? mail : undefined,
        log,
      );
    } catch (error) {
      log.warn(`dlp: quarantine housekeeping failed and will run again: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const first = setTimeout(() => void maintain(), 30_000);
  const timer = setInterval(() => void maintain(), MAINTENANCE_EVERY_MS);
  first.unref();
  timer.unref();
  return {
    async close() {
      clearTimeout(first);
      clearInterval(timer);
      await (await server)?.close();
    },
  };
}
