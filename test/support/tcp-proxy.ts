import { createServer, Socket, type AddressInfo, type Server } from 'node:net';

/**
 * A TCP proxy to a real server (PostgreSQL, say) that a test can break: `cut()` is the
 * database host going away (every connection reset, new ones refused), `stall()` is a
 * network that silently drops everything (connections stay open, no byte gets through),
 * and `restore()` brings it back on the same port.
 */
export class TcpProxy {
  port = 0;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private stalled = false;

  constructor(private readonly target: { host: string; port: number }) {}

  /** Listens on `port` (default: any free one, then the same one on every `restore()`). */
  async start(port = this.port): Promise<this> {
    this.stalled = false;
    const server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  /** Resets every connection and stops accepting new ones: connecting is refused. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.resetAndDestroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Keeps every connection open and accepts new ones, but passes no byte either way: a black hole. */
  stall(): void {
    this.stalled = true;
    for (const socket of this.sockets) {
      socket.unpipe();
      socket.pause();
    }
  }

  /** Forwards again on the same port; connections left from a `stall` are reset first. */
  async restore(): Promise<void> {
    await this.cut();
    await this.start(this.port);
  }

  stop(): Promise<void> {
    return this.cut();
  }

  private accept(client: Socket): void {
    this.sockets.add(client);
    client.on('close', () => this.sockets.delete(client));
    client.on('error', () => client.destroy());
    if (this.stalled) return void client.pause();
    const upstream = new Socket();
    this.sockets.add(upstream);
    upstream.on('close', () => {
      this.sockets.delete(upstream);
      if (!this.stalled) client.destroy();
    });
    upstream.on('error', () => upstream.destroy());
    client.on('close', () => {
      if (!this.stalled) upstream.destroy();
    });
    upstream.connect(this.target.port, this.target.host, () => {
      if (this.stalled) return void upstream.pause();
      client.pipe(upstream);
      upstream.pipe(client);
    });
  }
}
