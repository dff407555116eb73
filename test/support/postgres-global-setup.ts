/**
 * vitest globalSetup: the PostgreSQL the quarantine tests run on. DLP_TEST_POSTGRES_URL, when
 * set, is used as it is. Otherwise the server at 127.0.0.1:5432 (CI's) is used when it takes a
 * connection to its `test` database; when it does not, a throwaway cluster is started with
 * Debian's binaries and DLP_TEST_POSTGRES_URL is set to it for the test processes (vitest's
 * forks take the environment as it is after globalSetup), and stopped and removed at the end.
 * DLP_TEST_POSTGRES_PROBE=host:port probes elsewhere instead of 127.0.0.1:5432: to try the
 * throwaway path on a machine where 5432 answers (127.0.0.1:1 never does).
 */
import { maskDatabaseUrl } from '../../src/quarantine/database.js';
import { DEFAULT_TEST_POSTGRES_URL } from './quarantine.js';
import { findPostgresBin, probePostgres, startThrowawayPostgres } from './throwaway-postgres.js';

export default function setup(): Promise<() => Promise<void>> {
  return provideTestPostgres(process.env, (line) => process.stdout.write(`${line}\n`));
}

/**
 * Decides which PostgreSQL the tests use, says so in one line through `log`, and sets
 * `env.DLP_TEST_POSTGRES_URL` when it is not the default. Resolves with the teardown.
 */
export async function provideTestPostgres(env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<() => Promise<void>> {
  const nothing = async (): Promise<void> => {};
  if (env.DLP_TEST_POSTGRES_URL) {
    log(`PostgreSQL for the tests: ${maskDatabaseUrl(env.DLP_TEST_POSTGRES_URL)} (DLP_TEST_POSTGRES_URL)`);
    return nothing;
  }
  const probeUrl = env.DLP_TEST_POSTGRES_PROBE ? `postgres://postgres@${env.DLP_TEST_POSTGRES_PROBE}/test` : DEFAULT_TEST_POSTGRES_URL;
  const probe = await probePostgres(probeUrl);
  if (probe.reachable) {
    if (probeUrl !== DEFAULT_TEST_POSTGRES_URL) env.DLP_TEST_POSTGRES_URL = probeUrl;
    log(`PostgreSQL for the tests: the server at ${probeUrl} (it answers)`);
    return nothing;
  }
  const where = `nothing usable at ${new URL(probeUrl).host} (${probe.reason})`;
  const bin = findPostgresBin();
  if (!bin) {
    // The rest of the tests still run; the PostgreSQL ones fail, saying what they need.
    log(
      `PostgreSQL for the tests: none: ${where}, and no initdb and pg_ctl to start one ` +
        "(Debian's postgresql package; bash scripts/install-test-tools.sh installs it)",
    );
    return nothing;
  }
  const cluster = await startThrowawayPostgres(bin);
  env.DLP_TEST_POSTGRES_URL = cluster.url;
  const seconds = (ms: number): string => (ms / 1000).toFixed(1);
  log(
    `PostgreSQL for the tests: a throwaway PostgreSQL ${cluster.version} at ${cluster.url} in ${cluster.directory}` +
      `${cluster.runsAs ? ` running as ${cluster.runsAs}` : ''} (initdb ${seconds(cluster.timings.initdbMs)} s, ` +
      `start ${seconds(cluster.timings.startMs)} s), since ${where}`,
  );
  return async () => {
    delete env.DLP_TEST_POSTGRES_URL;
    await cluster.stop();
  };
}
