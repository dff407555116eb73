import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { createReviewApp, type ReviewAppOptions } from './app.js';

/** GET /healthz and GET /metrics beside the review queue: no sign-in, no personal data. */
export interface MonitoringEndpoints {
  /** The health report and whether it is healthy (200) or not (503). */
  health?: () => Promise<{ healthy: boolean; report: object }>;
  metrics?: () => Promise<{ contentType: string; text: string }>;
}

const MONITORING_HEADERS = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };

/** Starts the review queue's web server; resolves once it listens. */
export function startReviewServer(
  listen: { host: string; port: number },
  options: ReviewAppOptions,
  monitoring: MonitoringEndpoints = {},
): Promise<{ server: ServerType; close(): Promise<void> }> {
  const app = new Hono();
  // Before the review queue's own middleware, which signs in and needs the database: a health
  // check must answer (503) when the database is down, and a scraper has no account.
  const { health, metrics } = monitoring;
  if (health) {
    app.get('/healthz', async (c) => {
      const { healthy, report } = await health();
      return c.json(report, healthy ? 200 : 503, MONITORING_HEADERS);
    });
  }
  if (metrics) {
    app.get('/metrics', async (c) => {
      const { contentType, text } = await metrics();
      return c.body(text, 200, { ...MONITORING_HEADERS, 'Content-Type': contentType });
    });
  }
  app.route('/', createReviewApp(options));
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: listen.host, port: listen.port }, () =>
      resolve({ server, close: () => new Promise<void>((done) => server.close(() => done())) }),
    );
    server.once('error', reject);
  });
}
