/**
 * One shared, frozen copy of each node entry and node list, by value. Every client of a cloud
 * names the same few nodes in its options, its resolver's answer, each welcome and each advertised
 * list, and an idle client used to keep a copy of each (a dozen objects and half a dozen arrays):
 * in a process holding thousands of clients, most of their memory beyond the socket. Entries and
 * lists are values (nothing mutates them once made), so equal ones can be one object.
 *
 * Bounded (forgotten all at once when full): a miss only makes a new copy, so correctness never
 * depends on a hit. A copy carries a node's fields only (`id`, `url`, `cookie`, `address`).
 */
import type { NodeInfo } from '../protocol/frames.js';

/** A resolver's node (resolver.ts `ResolvedNode`, which imports this file). */
type ResolvedNode = NodeInfo & { readonly address?: string | undefined };

const copies = new Map<string, object>();

/**
 * The shared frozen value under `key`, made by `make` on a miss (and not kept if `make` throws).
 * Node keys are JSON arrays, list keys their entries' keys in braces; node-list.ts keeps its parsed
 * URLs here too, keyed by `u` and the URL.
 */
export function remember<V extends object>(key: string, make: () => V): V {
  let hit = copies.get(key) as V | undefined;
  if (hit === undefined) {
    if (copies.size >= 2048) copies.clear();
    copies.set(key, (hit = Object.freeze(make())));
  }
  return hit;
}

/** The key each shared copy was filed under: a list's key is its entries' keys, and a copy given again is known. */
const keys = new WeakMap<object, string>();

/** The shared copy of `node` (its node fields only, frozen). */
export function internNode<N extends ResolvedNode>(node: N): N {
  if (keys.has(node)) return node;
  const { id, url, cookie, address } = node;
  // JSON tells an absent field (null) apart from every string.
  const key = JSON.stringify([id, url, cookie, address]);
  const copy = remember(key, () => ({ id, url, ...(cookie === undefined ? {} : { cookie }), ...(address === undefined ? {} : { address }) }) as N);
  keys.set(copy, key);
  return copy;
}

/** The shared copy of `list`: a frozen array of shared entries, in the same order. */
export function internList<N extends ResolvedNode>(list: readonly N[]): readonly N[] {
  if (keys.has(list)) return list;
  const entries = list.map(internNode);
  // Entry keys are JSON arrays: joined by commas inside braces, no list key is an entry's key.
  const key = `{${entries.map((entry) => keys.get(entry)).join()}}`;
  const copy = remember(key, () => entries);
  keys.set(copy, key);
  return copy;
}
