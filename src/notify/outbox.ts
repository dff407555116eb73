/**
 * The relay's own outgoing email, kept on disk until a transport has taken it. A failed
 * attempt is logged and retried with a growing delay (survives a restart); a refusal that
 * retrying cannot change, or an email that has waited past the give-up time, is moved to
 * `failed/` and logged as critical. Nothing here can affect a verdict: callers do not wait
 * for delivery, only for the spool file.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RetrySettings } from '../config/settings.js';
import { composeMail, PermanentDeliveryError, type MailEnvelope, type MailTransport, type Mailer, type OutgoingMail } from './mailer.js';

export interface OutboxLog {
  info(message: string): void;
  warn(message: string): void;
  crit(message: string): void;
}

export type { RetrySettings };

interface SpooledMail {
  label: string;
  envelope: MailEnvelope;
  raw: string;
  createdAt: number;
  attempts: number;
  nextAttemptAt: number;
  lastError?: string;
}

export class MailOutbox implements Mailer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;
  private recovered: Promise<void> = Promise.resolve();
  /** Claims this outbox holds right now (anything else under its id is from before a restart). */
  private readonly claims = new Set<string>();

  constructor(
    private readonly dir: string,
    private readonly options: {
      from: () => string;
      transport: () => MailTransport;
      retry: () => RetrySettings;
      log: OutboxLog;
      now?: () => number;
      /** The id claims are made under: this process's (two outboxes in one process, as in tests, need two). */
      claimId?: number;
    },
  ) {
    mkdirSync(join(dir, 'failed'), { recursive: true, mode: 0o700 });
  }

  /** Starts sending: what a previous run left in the outbox first. */
  start(): this {
    this.recovered = this.recoverLeftovers().catch((error: unknown) => this.options.log.warn(`dlp: outbox: ${describe(error)}`));
    this.schedule(0);
    return this;
  }

  /**
   * After a crash: an email claimed by a process that is gone goes back to the outbox (it may
   * have been sent; a duplicate notice is better than none), and half-written files are removed.
   */
  private async recoverLeftovers(): Promise<void> {
    for (const name of await readdir(this.dir)) {
      const claim = CLAIMED.exec(name);
      if (claim && !this.claims.has(name) && !this.isAlive(Number(claim[2]))) await rename(join(this.dir, name), join(this.dir, claim[1]!)).catch(() => undefined);
      if (name.startsWith('.') && name.endsWith('.tmp')) {
        const age = this.now() - (await stat(join(this.dir, name)).catch(() => ({ mtimeMs: this.now() }))).mtimeMs;
        if (age > 60_000) await unlink(join(this.dir, name)).catch(() => undefined);
      }
    }
  }

  async send(mail: OutgoingMail): Promise<void> {
    const { envelope, raw } = await composeMail(mail, this.options.from());
    const now = this.now();
    // One file per recipient: a server that takes one address and defers another leaves nothing ambiguous to retry.
    for (const to of envelope.to) {
      const spooled: SpooledMail = { label: mail.label, envelope: { from: envelope.from, to: [to] }, raw: raw.toString('base64'), createdAt: now, attempts: 0, nextAttemptAt: now };
      const name = `${now.toString(36).padStart(9, '0')}-${randomBytes(6).toString('hex')}.json`;
      // Written whole, then renamed into place: a crash leaves a complete file or none.
      await writeFile(join(this.dir, `.${name}.tmp`), JSON.stringify(spooled), { mode: 0o600 });
      await rename(join(this.dir, `.${name}.tmp`), join(this.dir, name));
    }
    this.schedule(0);
  }

  /** How many emails wait to be sent (including one being sent now). */
  async pending(): Promise<number> {
    return (await readdir(this.dir)).filter((name) => (name.endsWith('.json') || CLAIMED.test(name)) && !name.startsWith('.')).length;
  }

  /** How many emails were given up (kept in failed/ until someone deletes them). */
  async failed(): Promise<number> {
    return (await readdir(join(this.dir, 'failed'))).filter((name) => name.endsWith('.json')).length;
  }

  /** Stops retrying (what is left stays on disk for the next start); waits for an attempt under way. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private get claimId(): number {
    return this.options.claimId ?? process.pid;
  }

  /** Whether the process that made a claim still runs (our own id: a claim from before a restart, nobody is sending it). */
  private isAlive(pid: number): boolean {
    if (pid === this.claimId) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(), Math.max(0, delayMs));
    this.timer.unref();
  }

  private run(): void {
    this.running = this.attemptDue()
      .catch((error: unknown) => this.options.log.warn(`dlp: outbox: ${describe(error)}`))
      .then((nextDue) => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          return this.schedule(0);
        }
        // Look again at the next due time, and at least every minute (another relay process, a clock jump).
        this.schedule(Math.min(60_000, Math.max(0, (nextDue ?? Infinity) - this.now())));
      });
  }

  /** Tries every email that is due; resolves with the time the next one falls due. */
  private async attemptDue(): Promise<number | undefined> {
    await this.recovered;
    let nextDue: number | undefined;
    for (const name of await this.spoolFiles()) {
      if (this.closed) break;
      try {
        const due = await this.attempt(name);
        if (due !== undefined) nextDue = Math.min(nextDue ?? Infinity, due);
      } catch (error) {
        // One file's trouble (the disk, a rename) must not hold up the others.
        this.options.log.warn(`dlp: outbox: ${name}: ${describe(error)}`);
      }
    }
    return nextDue;
  }

  /**
   * Sends one spooled email if it is due; resolves with when it is next due, or undefined once
   * it is gone. The file is claimed first (renamed with this process's id), so that two relay
   * processes sharing the directory never send the same email twice.
   */
  private async attempt(name: string): Promise<number | undefined> {
    const path = join(this.dir, name);
    let mail: SpooledMail;
    try {
      mail = parseSpooled(await readFile(path, 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // another process has it
      await this.moveToFailed(name, name, `unreadable outbox file: ${describe(error)}`);
      return undefined;
    }
    if (mail.nextAttemptAt > this.now()) return mail.nextAttemptAt;
    const claimed = `${name}.${this.claimId}.claim`;
    this.claims.add(claimed);
    try {
      await rename(path, join(this.dir, claimed));
    } catch (error) {
      this.claims.delete(claimed);
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      return await this.deliverClaimed(claimed, name, mail);
    } finally {
      this.claims.delete(claimed);
    }
  }

  /** Delivers a claimed email; then it is gone, back in the outbox with its next attempt time, or in failed/. */
  private async deliverClaimed(claimed: string, name: string, mail: SpooledMail): Promise<number | undefined> {
    const path = join(this.dir, name);
    let transportName = 'no transport';
    try {
      const transport = this.options.transport();
      transportName = transport.name;
      await transport.deliver(mail.envelope, Buffer.from(mail.raw, 'base64'));
    } catch (error) {
      mail.attempts += 1;
      mail.lastError = describe(error);
      const retry = this.options.retry();
      const to = mail.envelope.to.join(', ');
      if (error instanceof PermanentDeliveryError || this.now() - mail.createdAt >= retry.giveUpAfterMs) {
        await writeFile(join(this.dir, claimed), JSON.stringify(mail), { mode: 0o600 });
        await this.moveToFailed(claimed, name, `could not send ${mail.label} to ${to} (${transportName}, ${mail.attempts} attempt(s)): ${mail.lastError}`);
        return undefined;
      }
      const delay = Math.min(retry.maxDelayMs, retry.firstDelayMs * 2 ** (mail.attempts - 1));
      mail.nextAttemptAt = this.now() + delay;
      // The claim is replaced whole with the new attempt count, then handed back: one file at every moment.
      await writeFile(join(this.dir, `.${name}.tmp`), JSON.stringify(mail), { mode: 0o600 });
      await rename(join(this.dir, `.${name}.tmp`), join(this.dir, claimed));
      await rename(join(this.dir, claimed), path);
      this.options.log.warn(`dlp: could not send ${mail.label} to ${to} (${transportName}, attempt ${mail.attempts}): ${mail.lastError}; trying again in ${Math.round(delay / 1000)} s`);
      return mail.nextAttemptAt;
    }
    await unlink(join(this.dir, claimed));
    this.options.log.info(`dlp: sent ${mail.label} to ${mail.envelope.to.join(', ')} (${transportName}${mail.attempts > 0 ? `, after ${mail.attempts + 1} attempts` : ''})`);
    return undefined;
  }

  private async moveToFailed(from: string, name: string, why: string): Promise<void> {
    await rename(join(this.dir, from), join(this.dir, 'failed', name)).catch(() => undefined);
    this.options.log.crit(`dlp: ${why}; given up, kept in ${join(this.dir, 'failed', name)}`);
  }

  private async spoolFiles(): Promise<string[]> {
    return (await readdir(this.dir)).filter((name) => name.endsWith('.json') && !name.startsWith('.')).sort();
  }
}

/** `<name>.json.<pid>.claim`: being sent by that process. */
const CLAIMED = /^(.+\.json)\.(\d+)\.claim$/;

/** A spool file as written by `send`; anything else (a truncated or hand-edited file) is refused. */
function parseSpooled(text: string): SpooledMail {
  const value = JSON.parse(text) as Partial<SpooledMail> | null;
  const ok =
    typeof value === 'object' &&
    value !== null &&
    typeof value.label === 'string' &&
    typeof value.raw === 'string' &&
    typeof value.envelope?.from === 'string' &&
    Array.isArray(value.envelope.to) &&
    value.envelope.to.length > 0 &&
    value.envelope.to.every((a) => typeof a === 'string') &&
    [value.createdAt, value.attempts, value.nextAttemptAt].every((n) => typeof n === 'number' && Number.isFinite(n));
  if (!ok) throw new Error('not an outbox email');
  return value as SpooledMail;
}

function describe(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]!.slice(0, 300);
}
