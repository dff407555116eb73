import { serve, type ServerType } from '@hono/node-server';
import { createReviewApp, type ReviewAppOptions } from './app.js';

/** Starts the review queue's web server; resolves once it listens. */
export function startReviewServer(listen: { host: string; port: number }, options: ReviewAppOptions): Promise<{ server: ServerType; close(): Promise<void> }> {
  const app = createReviewApp(options);
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: listen.host, port: listen.port }, () =>
      resolve({ server, close: () => new Promise<void>((done) => server.close(() => done())) }),
    );
    server.once('error', reject);
  });
}
