/**
 * The benches' downstream smarthost: postfix's `smtp-sink` (Debian's postfix package,
 * scripts/install-bench-tools.sh), a C test server that accepts and discards mail as fast as
 * a real MTA could take it, in its own process. The `smtp-server` package the tests use waits
 * 100 ms before every greeting, which would hide the relays' own cost.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { canConnect, freePort } from '../../test/support/haraka-relay.js';

export const SMTP_SINK = '/usr/sbin/smtp-sink';

export class PostfixSmtpSink {
  port = 0;
  private output = '';
  private child?: ChildProcess;

  async start(): Promise<this> {
    if (!existsSync(SMTP_SINK)) throw new Error(`${SMTP_SINK} is missing: run bash scripts/install-bench-tools.sh`);
    this.port = await freePort();
    // -c: a running count of messages received (mesg=N); -u: it refuses to run as root.
    const child = spawn(SMTP_SINK, ['-c', '-u', 'nobody', `127.0.0.1:${this.port}`, '1024'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout.on('data', (d: Buffer) => (this.output = (this.output + d.toString()).slice(-4096)));
    child.stderr.on('data', (d: Buffer) => (this.output = (this.output + d.toString()).slice(-4096)));
    const deadline = Date.now() + 10_000;
    while (!(await canConnect(this.port))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`smtp-sink did not start: ${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return this;
  }

  /** Messages received so far. */
  get received(): number {
    const counts = [...this.output.matchAll(/mesg=(\d+)/g)];
    return counts.length ? Number(counts[counts.length - 1]![1]) : 0;
  }

  async waitFor(count: number, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.received < count) {
      if (Date.now() > deadline) throw new Error(`smtp-sink received ${this.received} of ${count} messages in ${ms} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async stop(): Promise<void> {
    if (this.child && this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child!.once('exit', resolve));
      this.child.kill();
      await exited;
    }
  }
}
