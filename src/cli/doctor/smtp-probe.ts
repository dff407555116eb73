/**
 * Knocks on an SMTP server's door: connect, read the greeting, say EHLO, note whether it
 * offers STARTTLS, QUIT. Enough to tell "it answers as a mail server" from "nothing there".
 */
import { connect as connectTcp, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { connect as connectTls } from 'node:tls';

export interface SmtpReply {
  code: number;
  lines: string[];
}

export type SmtpProbe =
  | { answered: false; reason: string }
  | { answered: true; greeting: SmtpReply; ehlo?: SmtpReply; startTls: boolean };

export interface SmtpProbeOptions {
  timeoutMs: number;
  /** Implicit TLS (port 465): the greeting comes after the TLS handshake. */
  secure?: boolean;
}

export async function probeSmtp(host: string, port: number, options: SmtpProbeOptions): Promise<SmtpProbe> {
  // A probe only asks whether the server answers; whether its certificate is trusted is for the sender to judge.
  const socket: Socket = options.secure
    ? connectTls({ host, port, rejectUnauthorized: false, ...(isIpAddress(host) ? {} : { servername: host }) })
    : connectTcp({ host, port });
  const replies = new ReplyReader(socket, options.timeoutMs);
  try {
    const greeting = await replies.next();
    if (greeting.code !== 220) return { answered: true, greeting, startTls: false };
    socket.write(`EHLO ${hostname() || 'dlp-doctor'}\r\n`);
    const ehlo = await replies.next();
    const startTls = ehlo.code === 250 && ehlo.lines.slice(1).some((line) => /^STARTTLS\b/i.test(line));
    socket.write('QUIT\r\n');
    await replies.next().catch(() => undefined);
    return { answered: true, greeting, ehlo, startTls };
  } catch (error) {
    return { answered: false, reason: error instanceof Error ? error.message : String(error) };
  } finally {
    socket.destroy();
  }
}

function isIpAddress(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}

/** Reads multi-line SMTP replies (`250-...` continued, `250 ...` last) from a socket, each within the time limit. */
class ReplyReader {
  #buffer = '';
  #lines: string[] = [];
  #ready: SmtpReply[] = [];
  #failure: Error | undefined;
  #wake: (() => void) | undefined;

  constructor(
    socket: Socket,
    private readonly timeoutMs: number,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.#take(chunk));
    socket.on('error', (error: Error) => this.#stop(new Error(error.message)));
    socket.on('close', () => this.#stop(new Error('the connection was closed')));
  }

  async next(): Promise<SmtpReply> {
    const deadline = Date.now() + this.timeoutMs;
    while (this.#ready.length === 0) {
      if (this.#failure) throw this.#failure;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply within ${this.timeoutMs / 1000} s`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.#ready.shift()!;
  }

  #take(chunk: string): void {
    this.#buffer += chunk;
    let end: number;
    while ((end = this.#buffer.indexOf('\n')) !== -1) {
      const line = this.#buffer.slice(0, end).replace(/\r$/, '');
      this.#buffer = this.#buffer.slice(end + 1);
      const match = /^(\d{3})([ -]?)(.*)$/.exec(line);
      if (!match) {
        this.#stop(new Error(`it did not answer as a mail server does ("${line.slice(0, 60)}")`));
        return;
      }
      this.#lines.push(match[3]!);
      if (match[2] !== '-') {
        this.#ready.push({ code: Number(match[1]), lines: this.#lines });
        this.#lines = [];
      }
    }
    this.#wake?.();
  }

  #stop(error: Error): void {
    this.#failure ??= error;
    this.#wake?.();
  }
}
