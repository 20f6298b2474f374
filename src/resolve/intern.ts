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
 * Node keys are JSON arrays; node-list.ts keeps its parsed URLs here too, keyed by the URL.
 */
export function remember<V extends object>(key: string, make: () => V): V {
  let hit = copies.get(key) as V | undefined;
  if (hit === undefined) {
    if (copies.size >= 2048) copies.clear();
    copies.set(key, (hit = Object.freeze(make())));
  }
  return hit;
}

/** The shared copy of `node` (its node fields only, frozen). */
export function internNode<N extends ResolvedNode>({ id, url, cookie, address }: N): N {
  // JSON tells an absent field (null) apart from every string.
  return remember(JSON.stringify([id, url, cookie, address]), () => ({ id, url, ...(cookie === undefined ? {} : { cookie }), ...(address === undefined ? {} : { address }) }) as N);
}

/** The shared copy of `list`: a frozen array of shared entries, in the same order. */
export function internList<N extends ResolvedNode>(list: readonly N[]): readonly N[] {
  const entries = list.map(internNode);
  return remember(JSON.stringify(entries), () => entries);
}
