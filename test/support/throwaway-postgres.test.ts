import { existsSync, readFileSync, statSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { provideTestPostgres } from './postgres-global-setup.js';
import { isAlive } from './processes.js';
import { testPostgresUrl } from './quarantine.js';
import { findPostgresBin, probePostgres, startThrowawayPostgres } from './throwaway-postgres.js';

/** Whether anything accepts a TCP connection at 127.0.0.1:`port`. */
function tcpConnects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A port nothing listens on: one the kernel just gave out and was closed again. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function postgresBin(): string {
  const bin = findPostgresBin();
  if (!bin) throw new Error("no initdb and pg_ctl: install Debian's postgresql package (bash scripts/install-test-tools.sh)");
  return bin;
}

describe('a throwaway PostgreSQL cluster', () => {
  it('starts on a free port (not 5432) in a temporary directory, takes a table, and when stopped leaves no directory, process or port behind', async () => {
    const cluster = await startThrowawayPostgres(postgresBin());
    const data = join(cluster.directory, 'data');
    let postmaster = 0;
    try {
      expect(cluster.port).not.toBe(5432);
      expect(cluster.url).toBe(`postgres://postgres@127.0.0.1:${cluster.port}/test`);
      postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
      expect(isAlive(postmaster)).toBe(true);
      // initdb and postgres refuse root: as root, the cluster belongs to an unprivileged user.
      if (process.getuid?.() === 0) {
        expect(['postgres', 'nobody']).toContain(cluster.runsAs);
        expect(statSync(data).uid).not.toBe(0);
      }

      const client = new pg.Client({ connectionString: cluster.url, connectionTimeoutMillis: 5000 });
      await client.connect();
      try {
        await client.query('create table held (reference text primary key, subject text not null)');
        await client.query('insert into held values ($1, $2)', ['DLP-7Q2K', 'Jane Smith – EHCP review']);
        const { rows } = await client.query('select reference, subject from held');
        expect(rows).toEqual([{ reference: 'DLP-7Q2K', subject: 'Jane Smith – EHCP review' }]);
        const { rows: settings } = await client.query(
          "select current_setting('data_directory') as data, current_setting('listen_addresses') as listen, " +
            "current_setting('unix_socket_directories') as sockets, current_setting('server_encoding') as encoding",
        );
        expect(settings).toEqual([{ data, listen: '127.0.0.1', sockets: cluster.directory, encoding: 'UTF8' }]);
      } finally {
        await client.end();
      }
      expect(await probePostgres(cluster.url)).toEqual({ reachable: true });
    } finally {
      await cluster.stop();
    }

    expect(existsSync(cluster.directory)).toBe(false);
    expect(isAlive(postmaster)).toBe(false);
    expect(await tcpConnects(cluster.port)).toBe(false);
    expect(await probePostgres(cluster.url)).toMatchObject({ reachable: false, reason: expect.stringMatching(/ECONNREFUSED/) });
    // A second stop is harmless.
    await cluster.stop();
  });
});

describe('the probe', () => {
  it('says false, with the reason, for a closed port', async () => {
    const port = await closedPort();
    expect(await probePostgres(`postgres://postgres@127.0.0.1:${port}/test`)).toEqual({
      reachable: false,
      reason: expect.stringMatching(new RegExp(`ECONNREFUSED 127\\.0\\.0\\.1:${port}`)),
    });
  });

  it('says false for a port that takes the connection but is not PostgreSQL', async () => {
    const sockets: Socket[] = [];
    const server: Server = createServer((socket) => {
      sockets.push(socket);
      socket.end('220 smtp.example ESMTP\r\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as { port: number };
      expect(await probePostgres(`postgres://postgres@127.0.0.1:${port}/test`, 1000)).toMatchObject({ reachable: false });
      expect(sockets).toHaveLength(1);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('says true for the PostgreSQL the tests use (127.0.0.1:5432 on CI), and false for a database it does not have', async () => {
    expect(await probePostgres(testPostgresUrl())).toEqual({ reachable: true });
    const missing = new URL(testPostgresUrl());
    missing.pathname = '/dlp_no_such_database';
    expect(await probePostgres(missing.toString())).toMatchObject({ reachable: false, reason: expect.stringMatching(/does not exist/) });
  });
});

describe('the global setup', () => {
  it('starts a throwaway cluster when nothing answers at the probed address, hands its URL to the tests, and removes it at teardown', async () => {
    const env: NodeJS.ProcessEnv = { DLP_TEST_POSTGRES_PROBE: '127.0.0.1:1' };
    const lines: string[] = [];
    const teardown = await provideTestPostgres(env, (line) => lines.push(line));
    const url = env.DLP_TEST_POSTGRES_URL;
    try {
      expect(url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/test$/);
      expect(url).not.toContain(':5432/');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^PostgreSQL for the tests: a throwaway PostgreSQL \d+ at postgres:\/\/postgres@127\.0\.0\.1:\d+\/test in /);
      expect(lines[0]).toContain('nothing usable at 127.0.0.1:1 (connect ECONNREFUSED 127.0.0.1:1)');
      expect(await probePostgres(url!)).toEqual({ reachable: true });

      // With that cluster answering at the probed address, nothing more is started: the tests use it.
      const port = new URL(url!).port;
      const answering: NodeJS.ProcessEnv = { DLP_TEST_POSTGRES_PROBE: `127.0.0.1:${port}` };
      const noteAnswering: string[] = [];
      const nothing = await provideTestPostgres(answering, (line) => noteAnswering.push(line));
      expect(answering.DLP_TEST_POSTGRES_URL).toBe(url);
      expect(noteAnswering).toEqual([`PostgreSQL for the tests: the server at ${url} (it answers)`]);
      await nothing();
      expect(await probePostgres(url!)).toEqual({ reachable: true });
    } finally {
      await teardown();
    }
    expect(env.DLP_TEST_POSTGRES_URL).toBeUndefined();
    expect(await probePostgres(url!)).toMatchObject({ reachable: false });
    const directory = /in (\S+)/.exec(lines[0]!)?.[1];
    expect(directory && existsSync(directory)).toBe(false);
  });

  it('uses DLP_TEST_POSTGRES_URL as it is, probing nothing and starting nothing', async () => {
    const env: NodeJS.ProcessEnv = { DLP_TEST_POSTGRES_URL: 'postgres://dlp:secret@db.example:5433/dlp', DLP_TEST_POSTGRES_PROBE: '127.0.0.1:1' };
    const lines: string[] = [];
    const teardown = await provideTestPostgres(env, (line) => lines.push(line));
    await teardown();
    expect(env).toEqual({ DLP_TEST_POSTGRES_URL: 'postgres://dlp:secret@db.example:5433/dlp', DLP_TEST_POSTGRES_PROBE: '127.0.0.1:1' });
    expect(lines).toEqual(['PostgreSQL for the tests: postgres://dlp:***@db.example:5433/dlp (DLP_TEST_POSTGRES_URL)']);
  });
});
