import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // End-to-end tests start Haraka and SMTP servers; they get more time than unit tests.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The PostgreSQL the quarantine tests use: 127.0.0.1:5432 when it answers, else a throwaway cluster.
    globalSetup: ['./test/support/postgres-global-setup.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
