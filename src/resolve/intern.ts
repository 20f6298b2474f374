/**
 * One shared, frozen copy of each node entry and node list, by value. Every client of a cloud
 * names the same few nodes in its options, its resolver's answer, each welcome and each advertised
 * list, and an idle client used to keep a copy of each (a dozen objects and half a dozen arrays):
 * in a process holding thousands of clients, most of their memory beyond the socket. Entries and
 * lists are values (nothing mutates them once made), so equal ones can be one object.
 *
 * Bounded, oldest forgotten first: a miss only makes a new copy, so correctness never depends on
 * a hit. A copy carries a node's fields only (`id`, `url`, `cookie`, `address`).
 */
import type { NodeInfo } from '../protocol/frames.js';

/** A resolver's node (resolver.ts `ResolvedNode`, which imports this file). */
type ResolvedNode = NodeInfo & { readonly address?: string };

const MAX_NODES = 1024;
const MAX_LISTS = 256;

const nodes = new Map<string, ResolvedNode>();
const lists = new Map<string, readonly ResolvedNode[]>();
const EMPTY: readonly ResolvedNode[] = Object.freeze([]);

/** Tells `undefined` apart from every string (a cookie or address is never this). */
const field = (value: string | undefined): string => (value === undefined ? '\u0001' : value);
const keyOf = (node: ResolvedNode): string => `${node.id}\u0000${node.url}\u0000${field(node.cookie)}\u0000${field(node.address)}`;

function remember<V>(cache: Map<string, V>, key: string, value: V, max: number): V {
  if (cache.size >= max) cache.delete(cache.keys().next().value as string);
  cache.set(key, value);
  return value;
}

/** The shared copy of `node` (its node fields only, frozen). */
export function internNode<N extends ResolvedNode>(node: N): N {
  const key = keyOf(node);
  const hit = nodes.get(key);
  if (hit !== undefined) return hit as N;
  const copy: ResolvedNode = { id: node.id, url: node.url };
  if (node.cookie !== undefined) (copy as { cookie?: string }).cookie = node.cookie;
  if (node.address !== undefined) (copy as { address?: string }).address = node.address;
  return remember(nodes, key, Object.freeze(copy), MAX_NODES) as N;
}

/** The shared copy of `list`: a frozen array of shared entries, in the same order. */
export function internList<N extends ResolvedNode>(list: readonly N[]): readonly N[] {
  if (list.length === 0) return EMPTY as readonly N[];
  const entries = list.map(internNode);
  const key = entries.map(keyOf).join('\u0002');
  const hit = lists.get(key);
  if (hit !== undefined) return hit as readonly N[];
  return remember(lists, key, Object.freeze(entries), MAX_LISTS) as readonly N[];
}
