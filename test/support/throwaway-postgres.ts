/**
 * A throwaway PostgreSQL cluster for the tests, made with Debian's server binaries (initdb, pg_ctl)
 * in a temporary directory, and the probe that says whether a PostgreSQL already answers.
 * test/support/postgres-global-setup.ts starts one when nothing answers at 127.0.0.1:5432.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';

/** What {@link probePostgres} found: a server that takes a connection and a query, or why not. */
export type ProbeResult = { reachable: true } | { reachable: false; reason: string };

/**
 * Whether a PostgreSQL server at `url` takes a connection and answers `select 1` within
 * `timeoutMs`: a real connection, so a closed port, something that is not PostgreSQL, a refused
 * login and a missing database all say false, with the reason.
 */
export async function probePostgres(url: string, timeoutMs = 2000): Promise<ProbeResult> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
    return { reachable: true };
  } catch (error) {
    return { reachable: false, reason: errorText(error) };
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * The directory holding both initdb and pg_ctl: Debian's /usr/lib/postgresql/<version>/bin,
 * newest version first, else the first directory on PATH that has both. Undefined when none does.
 */
export function findPostgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((name) => /^\d+(\.\d+)?$/.test(name))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const candidates = [...versions.map((version) => join(root, version, 'bin')), ...(process.env.PATH ?? '').split(delimiter)];
  return candidates.find((dir) => dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')));
}

export interface ThrowawayPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/test`: trust authentication, a `test` database. */
  url: string;
  port: number;
  /** The temporary directory: data/, the unix socket, server.log. Gone after stop(). */
  directory: string;
  /** The major version, from PG_VERSION. */
  version: string;
  /** The user the server runs as (`postgres` or `nobody` when the tests run as root), else undefined. */
  runsAs: string | undefined;
  /** Milliseconds spent in initdb, and in pg_ctl start plus creating the `test` database. */
  timings: { initdbMs: number; startMs: number };
  /** Stops the server (fast, then immediate) and removes the directory; resolves with the milliseconds it took. */
  stop(): Promise<number>;
}

/** The prefix of the temporary directories, under os.tmpdir(). */
const DIRECTORY_PREFIX = 'dlp-test-postgres-';

/**
 * initdb a new cluster in a temporary directory with `bin`'s binaries, start it listening on
 * 127.0.0.1 on a free port (unix socket inside the directory, fsync off: the data is thrown away)
 * and create the `test` database. As root, the server runs as `postgres` (or `nobody`), since
 * initdb and postgres refuse to run as root. Clusters left behind by a run that was killed are
 * stopped and removed first.
 */
export async function startThrowawayPostgres(bin: string): Promise<ThrowawayPostgres> {
  removeAbandonedClusters();
  const user = clusterUser();
  const directory = mkdtempSync(join(tmpdir(), DIRECTORY_PREFIX));
  // Which process this cluster belongs to, so that a later run can tell it was abandoned.
  writeFileSync(join(directory, 'owner.pid'), `${process.pid}\n`);
  if (user) chownSync(directory, user.uid, user.gid);
  const data = join(directory, 'data');
  const log = join(directory, 'server.log');
  const pgCtl = join(bin, 'pg_ctl');
  const stopSync = (): void => {
    // A server may be running even when pg_ctl start failed (it gave up waiting): postmaster.pid says so.
    if (existsSync(join(data, 'postmaster.pid'))) spawnSync(...asUser(user, pgCtl, ['-D', data, '-m', 'immediate', '-w', 'stop']), { cwd: directory, stdio: 'ignore' });
    rmSync(directory, { recursive: true, force: true });
  };
  // If vitest exits without running the teardown (an uncaught error, process.exit), stop it anyway.
  process.on('exit', stopSync);
  try {
    const initdbStart = performance.now();
    await run(user, join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync'], directory);
    const initdbMs = performance.now() - initdbStart;

    const startStart = performance.now();
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      // Later lines win: each attempt appends its own port.
      appendFileSync(
        join(data, 'postgresql.conf'),
        [
          '',
          '# test/support/throwaway-postgres.ts',
          "listen_addresses = '127.0.0.1'",
          `port = ${port}`,
          `unix_socket_directories = '${directory.replace(/'/g, "''")}'`,
          'fsync = off',
          'synchronous_commit = off',
          'full_page_writes = off',
          '',
        ].join('\n'),
      );
      try {
        await run(user, pgCtl, ['-D', data, '-l', log, '-w', '-t', '60', 'start'], directory);
        break;
      } catch (error) {
        // Another process took the free port between our look and the server's bind: try another.
        if (attempt < 3 && /could not bind|address already in use/i.test(readLog(log))) continue;
        throw new Error(`${errorText(error)}\nserver.log:\n${readLog(log)}`, { cause: error });
      }
    }
    const admin = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`, connectionTimeoutMillis: 10_000 });
    await admin.connect();
    try {
      await admin.query('create database test');
    } finally {
      await admin.end();
    }
    const startMs = performance.now() - startStart;

    let stopped: Promise<number> | undefined;
    return {
      url: `postgres://postgres@127.0.0.1:${port}/test`,
      port,
      directory,
      version: readFileSync(join(data, 'PG_VERSION'), 'utf8').trim(),
      runsAs: user?.name,
      timings: { initdbMs, startMs },
      stop: () =>
        (stopped ??= (async () => {
          const stopStart = performance.now();
          try {
            await run(user, pgCtl, ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop'], directory);
          } catch {
            await run(user, pgCtl, ['-D', data, '-m', 'immediate', '-w', '-t', '30', 'stop'], directory).catch(() => {});
          } finally {
            rmSync(directory, { recursive: true, force: true });
            process.off('exit', stopSync);
          }
          return performance.now() - stopStart;
        })()),
    };
  } catch (error) {
    stopSync();
    process.off('exit', stopSync);
    throw new Error(`could not start a throwaway PostgreSQL with ${bin}: ${errorText(error)}`, { cause: error });
  }
}

interface ClusterUser {
  name: string;
  uid: number;
  gid: number;
}

/** As root, the unprivileged user to run initdb and the server as: `postgres` (Debian's package makes it), else `nobody`. */
function clusterUser(): ClusterUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
      const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
      return { name, uid, gid };
    } catch {
      // No such user: try the next.
    }
  }
  throw new Error('the tests run as root, and there is neither a postgres nor a nobody user to run PostgreSQL as');
}

/** The command and arguments that run `command` as `user` (runuser, from util-linux), or as ourselves. */
function asUser(user: ClusterUser | undefined, command: string, args: string[]): [string, string[]] {
  return user ? ['runuser', ['-u', user.name, '--', command, ...args]] : [command, args];
}

function run(user: ClusterUser | undefined, command: string, args: string[], cwd: string): Promise<void> {
  const [file, fileArgs] = asUser(user, command, args);
  return new Promise((resolve, reject) => {
    execFile(file, fileArgs, { cwd, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C.UTF-8' } }, (error, stdout) => {
      // The message is `Command failed: <command line>` and then what it wrote to stderr.
      if (error) reject(new Error([error.message.trim(), stdout.trim()].filter(Boolean).join('\n')));
      else resolve();
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Stops and removes throwaway clusters whose owning process is gone (a run killed before its
 * teardown), so that a server is never left running for ever. Those of running processes stay.
 */
function removeAbandonedClusters(): void {
  let names: string[];
  try {
    names = readdirSync(tmpdir()).filter((name) => name.startsWith(DIRECTORY_PREFIX));
  } catch {
    return;
  }
  for (const name of names) {
    const directory = join(tmpdir(), name);
    let owner = 0;
    try {
      owner = Number(readFileSync(join(directory, 'owner.pid'), 'utf8'));
    } catch {
      // Being made by another run this moment, or not ours: leave it.
    }
    if (!owner || processExists(owner)) continue;
    try {
      const data = join(directory, 'data');
      const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
      // Only a postgres serving this very directory (a pid can be reused): SIGQUIT is its immediate shutdown.
      if (postmaster && readFileSync(`/proc/${postmaster}/cmdline`, 'utf8').split('\0').includes(data)) {
        process.kill(postmaster, 'SIGQUIT');
        const pause = new Int32Array(new SharedArrayBuffer(4));
        for (let i = 0; i < 100 && processExists(postmaster); i++) Atomics.wait(pause, 0, 0, 50);
      }
    } catch {
      // No server running there (or another user's): nothing to stop.
    }
    try {
      rmSync(directory, { recursive: true, force: true });
    } catch {
      // Another user's: leave it.
    }
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLog(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '(no log)';
  }
}

function errorText(error: unknown): string {
  if (error instanceof AggregateError && !error.message) return error.errors.map(errorText).join('; ');
  return error instanceof Error ? error.message : String(error);
}
