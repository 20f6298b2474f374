/**
 * Rendezvous (highest-random-weight) hashing: every party that knows the same set of live nodes
 * computes the same owner for a key without talking to anyone, and removing one node only moves
 * the keys that node owned. Nodes use it to place sessions; clients use it (the `affinity` policy)
 * to go to a session's host directly.
 *
 * The hash is 32-bit FNV-1a followed by a murmur3-style finalizer: tiny, dependency-free, identical
 * on every platform, and well mixed enough for ranking a handful of nodes.
 */

function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Weight of `nodeId` for `key`; ties (vanishingly rare) are broken by node id. */
export function rendezvousWeight(key: string, nodeId: string): number {
  return hash32(`${key}\u0000${nodeId}`);
}

/** Items ordered by descending weight for `key`: the first is the owner, the next its successor. */
export function rendezvousRank<T>(key: string, items: readonly T[], idOf: (item: T) => string): T[] {
  return items
    .map((item) => ({ item, id: idOf(item), w: rendezvousWeight(key, idOf(item)) }))
    .sort((a, b) => b.w - a.w || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((entry) => entry.item);
}

/** The owner of `key` among `items`, or undefined when there are none. */
export function rendezvousOwner<T>(key: string, items: readonly T[], idOf: (item: T) => string): T | undefined {
  let best: T | undefined;
  let bestWeight = -1;
  let bestId = '';
  for (const item of items) {
    const id = idOf(item);
    const w = rendezvousWeight(key, id);
    if (w > bestWeight || (w === bestWeight && id < bestId)) {
      best = item;
      bestWeight = w;
      bestId = id;
    }
  }
  return best;
}
