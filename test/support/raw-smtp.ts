/**
 * An SMTP client driven one command at a time, for tests that must act between commands
 * (send half a message, signal the relay, then finish it). Replies are read whole, multi-line
 * ones included.
 */
import { Socket } from 'node:net';

export class RawSmtp {
  private buffer = '';
  private readonly replies: string[] = [];
  private waiting: (() => void) | undefined;
  closed = false;
  private constructor(private readonly socket: Socket) {
    socket.on('data', (data: Buffer) => {
      this.buffer += data.toString('latin1');
      let match: RegExpExecArray | null;
      // A reply ends with a line "NNN text" (no dash after the code).
      while ((match = /(?:^|\r\n)(\d{3}) [^\r\n]*\r\n/.exec(this.buffer))) {
        const end = match.index + match[0].length;
        this.replies.push(this.buffer.slice(0, end).replace(/^\r\n/, '').trimEnd());
        this.buffer = this.buffer.slice(end);
      }
      this.waiting?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiting?.();
    });
    socket.on('error', () => undefined);
  }

  static async connect(port: number, host = '127.0.0.1'): Promise<RawSmtp> {
    const socket = new Socket();
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(port, host, () => resolve());
    });
    const client = new RawSmtp(socket);
    await client.reply();
    return client;
  }

  /** The next reply, or rejects after `ms` (or when the server closes the connection first). */
  async reply(ms = 15_000): Promise<string> {
    const deadline = Date.now() + ms;
    while (this.replies.length === 0) {
      if (this.closed) throw new Error(`connection closed before a reply (unread: ${JSON.stringify(this.buffer)})`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no reply in time');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiting = undefined;
    }
    return this.replies.shift()!;
  }

  async command(line: string, ms?: number): Promise<string> {
    this.write(`${line}\r\n`);
    return this.reply(ms);
  }

  write(text: string | Buffer): void {
    this.socket.write(text);
  }

  close(): void {
    this.socket.destroy();
  }
}
