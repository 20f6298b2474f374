import { describe, expect, it } from 'vitest';
import { rendezvousOwner, rendezvousRank, rendezvousWeight } from '../../src/protocol/rendezvous.js';

const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `node-${i}`);
const keys = (n: number): string[] => Array.from({ length: n }, (_, i) => `session-${i}`);
const id = (s: string): string => s;

describe('rendezvous hashing', () => {
  it('is deterministic and independent of input order', () => {
    const nodes = ids(5);
    for (const key of keys(200)) {
      const rank = rendezvousRank(key, nodes, id);
      expect(rendezvousRank(key, nodes, id)).toEqual(rank);
      expect(rendezvousRank(key, [...nodes].reverse(), id)).toEqual(rank);
      expect(rank.slice().sort()).toEqual(nodes);
    }
    expect(rendezvousWeight('k', 'n')).toBe(rendezvousWeight('k', 'n'));
  });

  it('the owner is always rank[0]', () => {
    for (const n of [1, 2, 3, 7]) {
      for (const key of keys(300)) expect(rendezvousOwner(key, ids(n), id)).toBe(rendezvousRank(key, ids(n), id)[0]);
    }
    expect(rendezvousOwner('k', [], id)).toBeUndefined();
    expect(rendezvousRank('k', [], id)).toEqual([]);
  });

  it('removing a node that does not own a key never changes its owner', () => {
    const nodes = ids(5);
    for (const key of keys(1000)) {
      const owner = rendezvousOwner(key, nodes, id);
      for (const gone of nodes) {
        if (gone === owner) continue;
        expect(rendezvousOwner(key, nodes.filter((n) => n !== gone), id)).toBe(owner);
      }
    }
  });

  it("removing the owner moves only that node's keys, each to its successor", () => {
    const nodes = ids(4);
    const gone = 'node-2';
    const rest = nodes.filter((n) => n !== gone);
    let moved = 0;
    for (const key of keys(1000)) {
      const rank = rendezvousRank(key, nodes, id);
      const after = rendezvousOwner(key, rest, id);
      if (rank[0] === gone) {
        moved++;
        expect(after).toBe(rank[1]);
      } else {
        expect(after).toBe(rank[0]);
      }
    }
    expect(moved).toBeGreaterThan(0);
  });

  it('spreads 3000 keys roughly evenly over 3 nodes', () => {
    // A statistical sanity bound; deterministic, since the hash is fixed.
    const counts = new Map<string, number>();
    for (const key of keys(3000)) {
      const owner = rendezvousOwner(key, ids(3), id) as string;
      counts.set(owner, (counts.get(owner) ?? 0) + 1);
    }
    expect(counts.size).toBe(3);
    for (const count of counts.values()) {
      expect(count).toBeGreaterThanOrEqual(3000 * 0.25);
      expect(count).toBeLessThanOrEqual(3000 * 0.42);
    }
  });

  it('ranks arbitrary items by the id it is given', () => {
    const items = ids(4).map((n) => ({ id: n, url: `ws://${n}/` }));
    const rank = rendezvousRank('s', items, (i) => i.id);
    expect(rank.map((i) => i.id)).toEqual(rendezvousRank('s', ids(4), id));
  });
});
