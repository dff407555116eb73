/**
 * A real DNS server on a loopback UDP port, answering TXT queries from a table (DKIM keys,
 * SPF records) and NXDOMAIN for anything else. The relay under test is pointed at it with
 * dlp.yaml's dns.servers, exactly as a trust points it at its own resolver.
 */
import { createSocket, type Socket } from 'node:dgram';
import dnsPacket from 'dns-packet';

export class TestDnsServer {
  /** TXT records by lower-case name; each record is a list of strings (long values split into 255-byte strings). */
  readonly txt = new Map<string, string[][]>();
  /** MX records by lower-case name. */
  readonly mx = new Map<string, Array<{ preference: number; exchange: string }>>();
  /** While true, queries are read and never answered (a resolver that has gone away). */
  silent = false;
  queries: string[] = [];
  port = 0;
  private readonly socket: Socket = createSocket('udp4');

  setTxt(name: string, value: string): void {
    const strings: string[] = [];
    for (let i = 0; i < value.length; i += 255) strings.push(value.slice(i, i + 255));
    this.txt.set(name.toLowerCase(), [strings]);
  }

  async start(): Promise<this> {
    this.socket.on('message', (message, remote) => {
      let query: dnsPacket.Packet;
      try {
        query = dnsPacket.decode(message);
      } catch {
        return;
      }
      const question = query.questions?.[0];
      if (!question) return;
      this.queries.push(`${question.type} ${question.name}`);
      if (this.silent) return;
      const name = question.name.toLowerCase();
      const answers: dnsPacket.Answer[] = [];
      if (question.type === 'TXT') for (const data of this.txt.get(name) ?? []) answers.push({ type: 'TXT', name: question.name, ttl: 60, data });
      if (question.type === 'MX') for (const data of this.mx.get(name) ?? []) answers.push({ type: 'MX', name: question.name, ttl: 60, data });
      const known = this.txt.has(name) || this.mx.has(name);
      const response = dnsPacket.encode({
        type: 'response',
        id: query.id,
        flags: dnsPacket.AUTHORITATIVE_ANSWER | (known ? 0 : 3), // rcode 3: NXDOMAIN
        questions: [question],
        answers,
      });
      this.socket.send(response, remote.port, remote.address);
    });
    await new Promise<void>((resolve) => this.socket.bind(0, '127.0.0.1', resolve));
    this.port = this.socket.address().port;
    return this;
  }

  /** `127.0.0.1:<port>`, for dns.servers. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
