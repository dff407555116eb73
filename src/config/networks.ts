/**
 * Lists of IP networks (addresses and CIDR blocks, IPv4 and IPv6): who a source may connect
 * from. Matching is Node's BlockList, which also matches IPv4-mapped IPv6 addresses
 * (::ffff:192.0.2.1) against IPv4 blocks, as a dual-stack listener reports them.
 */
import { BlockList, isIP } from 'node:net';

export interface Network {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/** `192.0.2.10`, `192.0.2.0/24`, `2001:db8::/32`; undefined when the text is neither. */
export function parseNetwork(text: string): Network | undefined {
  const [address = '', prefixText, extra] = text.trim().split('/');
  if (extra !== undefined) return undefined;
  const version = isIP(address);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

export class NetworkList {
  private readonly blocks = new BlockList();

  /** Throws on an entry that is not an address or CIDR block (callers validate first, to say where). */
  constructor(readonly entries: readonly string[]) {
    for (const entry of entries) {
      const network = parseNetwork(entry);
      if (!network) throw new Error(`"${entry}" is not an IP address or CIDR block`);
      this.blocks.addSubnet(network.address, network.prefix, network.family);
    }
  }

  includes(ip: string): boolean {
    const version = isIP(ip);
    if (version === 0) return false;
    return this.blocks.check(ip, version === 4 ? 'ipv4' : 'ipv6');
  }
}

/** A file of networks: one a line, `#` starts a comment. Bad lines are returned with their numbers, not thrown. */
export function parseNetworkListText(text: string): { entries: string[]; bad: Array<{ line: number; text: string }> } {
  const entries: string[] = [];
  const bad: Array<{ line: number; text: string }> = [];
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    if (parseNetwork(line)) entries.push(line);
    else bad.push({ line: index + 1, text: line });
  }
  return { entries, bad };
}
