import { defineConfig } from 'vitest/config';

// `npm run bench`: measurements, not tests. They run one at a time, with generous limits.
export default defineConfig({
  test: {
    include: ['bench/**/*.bench-run.ts'],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
