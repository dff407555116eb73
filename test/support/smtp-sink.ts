import { SMTPServer } from 'smtp-server';
import type { AddressInfo, Socket } from 'node:net';

export interface ReceivedMessage {
  mailFrom: string;
  rcptTo: string[];
  raw: Buffer;
  /** It came over TLS (STARTTLS). */
  secure: boolean;
}

/** A real downstream SMTP server (the smarthost) that keeps what it receives. */
export class SmtpSink {
  readonly received: ReceivedMessage[] = [];
  /** While set, every message is refused at the end of DATA with this reply (a full or failing smarthost). */
  refuseWith: { code: number; message: string } | undefined;
  /** Messages refused so far. */
  refused = 0;
  private waiters: Array<() => void> = [];
  private readonly server: SMTPServer;
  port = 0;

  /** `tls`: offer STARTTLS with this certificate (else the server does not offer it). */
  constructor(tls?: { key: string; cert: string }) {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: tls ? ['AUTH'] : ['STARTTLS', 'AUTH'],
      ...(tls ? { key: tls.key, cert: tls.cert } : {}),
      disableReverseLookup: true,
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          if (this.refuseWith) {
            this.refused += 1;
            return callback(Object.assign(new Error(this.refuseWith.message), { responseCode: this.refuseWith.code }));
          }
          const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
          this.received.push({ mailFrom, rcptTo: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks), secure: session.secure });
          for (const wake of this.waiters.splice(0)) wake();
          callback();
        });
      },
    });
    // A sender dying mid-transaction (a relay killed with SIGKILL) resets its connection: the
    // server reports that as an 'error' event, which must not take the test process down.
    this.server.on('error', () => {});
  }

  /** Listens on `port` (default: any free one). */
  async start(port = 0): Promise<this> {
    // Replies go out at once, as from a real MTA, instead of waiting on Nagle's algorithm.
    this.server.server.on('connection', (socket: Socket) => socket.setNoDelay(true));
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  /** Resolves when `count` messages have arrived, or rejects after `ms`. */
  async waitFor(count: number, ms = 10_000): Promise<ReceivedMessage[]> {
    const deadline = Date.now() + ms;
    while (this.received.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`sink received ${this.received.length} of ${count} messages in ${ms} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.received;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
