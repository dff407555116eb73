/**
 * Address blocks as numbers, to compare address lists that are written differently: the
 * provider's SPF record may split a block our list has whole, or the other way round.
 */
import { parseNetwork } from '../../config/networks.js';

export interface Cidr {
  bits: 32 | 128;
  /** The network address (host bits cleared). */
  base: bigint;
  prefix: number;
  /** Canonical text: network address, compressed IPv6, always with /prefix. */
  text: string;
}

export function parseCidr(text: string): Cidr | undefined {
  const network = parseNetwork(text);
  if (!network) return undefined;
  const bits = network.family === 'ipv4' ? 32 : 128;
  const value = bits === 32 ? ipv4Value(network.address) : ipv6Value(network.address);
  const base = value & mask(bits, network.prefix);
  return { bits, base, prefix: network.prefix, text: `${addressText(bits, base)}/${network.prefix}` };
}

/** `outer` includes every address of `inner`. */
export function contains(outer: Cidr, inner: Cidr): boolean {
  return outer.bits === inner.bits && outer.prefix <= inner.prefix && (inner.base & mask(outer.bits, outer.prefix)) === outer.base;
}

/** Every address of `block` is in one of `list` (together, not necessarily one block alone). */
export function isCovered(block: Cidr, list: readonly Cidr[]): boolean {
  if (list.some((entry) => contains(entry, block))) return true;
  // Only smaller blocks inside this one can still cover it between them: look at each half.
  if (!list.some((entry) => entry.prefix > block.prefix && contains(block, entry))) return false;
  const prefix = block.prefix + 1;
  const upper = block.base | (1n << BigInt(block.bits - prefix));
  const half = (base: bigint): Cidr => ({ bits: block.bits, base, prefix, text: `${addressText(block.bits, base)}/${prefix}` });
  return isCovered(half(block.base), list) && isCovered(half(upper), list);
}

function mask(bits: number, prefix: number): bigint {
  const all = (1n << BigInt(bits)) - 1n;
  return all ^ ((1n << BigInt(bits - prefix)) - 1n);
}

function ipv4Value(address: string): bigint {
  return address.split('.').reduce((value, octet) => (value << 8n) | BigInt(Number(octet)), 0n);
}

function ipv6Value(address: string): bigint {
  let text = address.toLowerCase();
  // An embedded IPv4 tail (::ffff:192.0.2.1) becomes two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  if (v4) {
    const n = ipv4Value(v4);
    text = `${text.slice(0, -v4.length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  return groups.reduce((value, group) => (value << 16n) | BigInt(parseInt(group, 16)), 0n);
}

function addressText(bits: number, value: bigint): string {
  if (bits === 32) return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
  const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((shift) => ((value >> shift) & 0xffffn).toString(16));
  // The URL parser writes IPv6 in its canonical, compressed form (RFC 5952).
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}
