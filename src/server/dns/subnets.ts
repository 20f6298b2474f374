/**
 * CIDR blocks ("closest node" ranking): parsing, for option checks, and matching an address
 * against a node's blocks. Matching uses Node's own `net.BlockList` (no hand-written prefix math);
 * compiled lists are cached per distinct set of blocks, since every query would otherwise rebuild them.
 */
import { BlockList, isIP } from 'node:net';

export interface Cidr {
  readonly address: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

/** Parses `10.1.0.0/16` or `2001:db8::/32` (a bare address is a /32 or /128); undefined if invalid. */
export function parseCidr(text: string): Cidr | undefined {
  if (typeof text !== 'string' || text.length > 64) return undefined;
  const slash = text.indexOf('/');
  const address = plainAddress(slash < 0 ? text : text.slice(0, slash));
  const version = isIP(address);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  const prefixText = slash < 0 ? String(max) : text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > max) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** `::ffff:10.0.0.1` (a v4 client on a dual-stack socket) is `10.0.0.1`. */
export function plainAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped?.[1] ?? address;
}

const MAX_CACHED = 1024;
const compiled = new Map<string, BlockList>();

function blockList(subnets: readonly string[]): BlockList {
  const key = subnets.join(',');
  let list = compiled.get(key);
  if (list !== undefined) return list;
  list = new BlockList();
  for (const text of subnets) {
    const cidr = parseCidr(text);
    // Views are checked where they are built; a bad entry in a hand-built view just never matches.
    if (cidr !== undefined) list.addSubnet(cidr.address, cidr.prefix, cidr.family);
  }
  // A view whose subnets change without end must not grow this forever.
  if (compiled.size >= MAX_CACHED) compiled.clear();
  compiled.set(key, list);
  return list;
}

/** True when `address` (an IP literal) lies in one of `subnets`. */
export function inSubnets(address: string, subnets: readonly string[] | undefined): boolean {
  if (subnets === undefined || subnets.length === 0) return false;
  const plain = plainAddress(address);
  const version = isIP(plain);
  if (version === 0) return false;
  return blockList(subnets).check(plain, version === 4 ? 'ipv4' : 'ipv6');
}
