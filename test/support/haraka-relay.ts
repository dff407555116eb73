import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { REPO_ROOT } from './paths.js';

export interface RelayOptions {
  /** config/dlp.yaml for this relay. */
  dlpYaml: string;
  /** Port of the downstream smarthost (queue/smtp_forward). */
  smarthostPort: number;
  /** Use this repository's plugins/ (default) or a directory of test plugins. */
  pluginsDir?: string;
  /** Plugin list; default: dlp, queue/smtp_forward. */
  plugins?: string[];
  /** Extra environment for the Haraka process. */
  env?: Record<string, string>;
  /** More files for config/ (a roster CSV, say), by name. */
  configFiles?: Record<string, string | Buffer>;
  /**
   * Start as the service does, `node bin/relay.js --config <dir>/config --data <dir>/data`,
   * instead of Haraka directly on a home of the test's making.
   */
  launcher?: boolean;
}

export async function freePort(): Promise<number> {
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
 * A real Haraka started from a temporary install directory that holds a test config/,
 * with plugins/ and dist/ linked to this repository's.
 */
export class HarakaRelay {
  port = 0;
  /** The review queue's port (each relay its own, unless dlp.yaml sets review:). */
  reviewPort = 0;
  output = '';
  readonly dir: string;
  private child?: ChildProcess;
  private exited?: Promise<number | null>;

  constructor(private readonly options: RelayOptions) {
    this.dir = mkdtempSync(join(tmpdir(), 'dlp-relay-'));
  }

  /** The Haraka process's id, while it runs (its inspection workers are its children). */
  get pid(): number | undefined {
    return this.child && this.child.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  get configDir(): string {
    return join(this.dir, 'config');
  }

  /** Where a relay started by the launcher keeps its data (Haraka's home is under it). */
  get dataDir(): string {
    return join(this.dir, 'data');
  }

  writeConfig(name: string, content: string | Buffer): void {
    writeFileSync(join(this.configDir, name), content);
  }

  /** Starts Haraka and resolves when it accepts connections; rejects with its output if it exits first. */
  async start(): Promise<this> {
    this.port = await freePort();
    if (!this.reviewPort) this.reviewPort = await freePort();
    mkdirSync(this.configDir, { recursive: true });
    const plugins = this.options.plugins ?? ['dlp', 'queue/smtp_forward'];
    // Haraka reads connection.ini from the install directory only: it must be whole.
    copyFileSync(join(REPO_ROOT, 'config/connection.ini'), join(this.configDir, 'connection.ini'));
    this.writeConfig('plugins', `${plugins.join('\n')}\n`);
    this.writeConfig('smtp.ini', `listen=127.0.0.1:${this.port}\nnodes=0\n`);
    this.writeConfig('log.ini', '[main]\nlevel=info\ntimestamps=false\nformat=default\n');
    // For a relay without dlp (a bench's plain Haraka), Haraka's relay plugin and its list.
    this.writeConfig('relay.ini', '[relay]\nacl=true\nforce_routing=false\n');
    this.writeConfig('relay_acl_allow', '127.0.0.1/32\n');
    copyFileSync(join(REPO_ROOT, 'config/dhparams.pem'), join(this.configDir, 'dhparams.pem'));
    this.writeConfig('smtp_forward.ini', `host=127.0.0.1\nport=${this.options.smarthostPort}\nenable_outbound=true\n`);
    this.writeConfig('me', 'relay.test\n');
    const ownReview = /^review:/m.test(this.options.dlpYaml);
    this.writeConfig('dlp.yaml', ownReview ? this.options.dlpYaml : `${this.options.dlpYaml}\nreview:\n  listen: 127.0.0.1:${this.reviewPort}\n`);
    for (const [name, content] of Object.entries(this.options.configFiles ?? {})) this.writeConfig(name, content);
    if (!this.options.launcher && !existsSync(join(this.dir, 'plugins'))) {
      symlinkSync(this.options.pluginsDir ?? join(REPO_ROOT, 'plugins'), join(this.dir, 'plugins'));
      symlinkSync(join(REPO_ROOT, 'dist'), join(this.dir, 'dist'));
    }

    const haraka = createRequire(import.meta.url).resolve('haraka/bin/haraka');
    const args = this.options.launcher ? [join(REPO_ROOT, 'bin/relay.js'), '--config', this.configDir, '--data', this.dataDir] : [haraka, '-c', this.dir];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...this.options.env } });
    this.child = child;
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));

    const deadline = Date.now() + 30_000;
    for (;;) {
      const exitCode = await Promise.race([this.exited, delay(100).then(() => 'running' as const)]);
      if (exitCode !== 'running') throw new RelayExitedError(exitCode, this.output);
      if (await canConnect(this.port)) return this;
      if (Date.now() > deadline) throw new Error(`Haraka did not listen within 30 s:\n${this.output}`);
    }
  }

  /** Resolves once Haraka's output matches `pattern` (searching only output written after `from`). */
  async waitForOutput(pattern: RegExp, ms = 15_000, from = 0): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pattern.test(this.output.slice(from))) {
      if (Date.now() > deadline) throw new Error(`relay output never matched ${pattern}:\n${this.output.slice(-3000)}`);
      await delay(100);
    }
  }

  /** Waits for Haraka to exit by itself (for start-up failure tests). */
  async exitCode(ms = 30_000): Promise<number | null> {
    return Promise.race([this.exited!, delay(ms).then(() => Promise.reject(new Error('Haraka did not exit')))]);
  }

  /** Sends a signal to the relay's process (SIGTERM: the service manager's stop). */
  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  /** Kills Haraka with SIGKILL (no shutdown of any kind) and keeps its directory, queue and data for a restart. */
  async kill(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }

  async stop(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export class RelayExitedError extends Error {
  constructor(
    readonly code: number | null,
    readonly output: string,
  ) {
    super(`Haraka exited with code ${code}:\n${output}`);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** True when something accepts TCP connections on 127.0.0.1:`port`. */
export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.connect(port, '127.0.0.1');
  });
}
