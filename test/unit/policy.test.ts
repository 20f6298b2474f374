import { describe, expect, it } from 'vitest';
import { affinityPolicy, assignedPolicy, createPolicy, customPolicy, roundRobinPolicy } from '../../src/choose/policy.js';
import { withCooldown } from '../../src/choose/with-cooldown.js';
import { rendezvousRank } from '../../src/protocol/rendezvous.js';
import { Cooldown } from '../../src/core/cooldown.js';
import type { NodeInfo } from '../../src/protocol/frames.js';

const nodes: NodeInfo[] = ['a', 'b', 'c', 'd'].map((id) => ({ id, url: `ws://${id}.cloud.test/` }));
const ctx = { session: 'room-1', failed: new Set<string>() };
const idsOf = (list: readonly NodeInfo[]): string[] => list.map((n) => n.id);

describe('policies', () => {
  it('assigned keeps the given order and returns a copy', () => {
    const out = assignedPolicy.rank(nodes, ctx);
    expect(out).toEqual(nodes);
    expect(out).not.toBe(nodes);
  });

  it('round-robin rotates the start each round', () => {
    const rr = roundRobinPolicy();
    expect(idsOf(rr.rank(nodes, ctx))).toEqual(['a', 'b', 'c', 'd']);
    expect(idsOf(rr.rank(nodes, ctx))).toEqual(['b', 'c', 'd', 'a']);
    expect(idsOf(rr.rank(nodes, ctx))).toEqual(['c', 'd', 'a', 'b']);
    expect(idsOf(rr.rank(nodes, ctx))).toEqual(['d', 'a', 'b', 'c']);
    expect(idsOf(rr.rank(nodes, ctx))).toEqual(['a', 'b', 'c', 'd']);
    expect(rr.rank([], ctx)).toEqual([]);
  });

  it('round-robin instances do not share a cursor', () => {
    const one = createPolicy('round-robin');
    one.rank(nodes, ctx);
    expect(idsOf(createPolicy('round-robin').rank(nodes, ctx))).toEqual(['a', 'b', 'c', 'd']);
  });

  it('affinity equals the rendezvous rank of the session by node id', () => {
    for (const session of ['room-1', 'room-2', 'x', 'a-much-longer-session-name']) {
      const c = { session, failed: new Set<string>() };
      expect(affinityPolicy.rank(nodes, c)).toEqual(rendezvousRank(session, nodes, (n) => n.id));
      expect(affinityPolicy.rank([...nodes].reverse(), c)).toEqual(affinityPolicy.rank(nodes, c));
    }
  });

  it('a custom policy cannot add nodes that are not in the list, and is deduped', () => {
    const policy = customPolicy(() => [
      { id: 'evil', url: 'ws://evil.example/' },
      nodes[2] as NodeInfo,
      { id: 'renamed', url: (nodes[0] as NodeInfo).url },
      nodes[2] as NodeInfo,
      nodes[0] as NodeInfo,
    ]);
    expect(policy.rank(nodes, ctx)).toEqual([nodes[2], nodes[0]]);
  });

  it('a custom policy sees the nodes and the context', () => {
    const seen: unknown[] = [];
    const policy = createPolicy((list, c) => {
      seen.push(list, c);
      return [...list].reverse();
    });
    expect(idsOf(policy.rank(nodes, ctx))).toEqual(['d', 'c', 'b', 'a']);
    expect(seen).toEqual([nodes, ctx]);
  });

  it('createPolicy picks by name, assigned by default', () => {
    expect(createPolicy('assigned')).toBe(assignedPolicy);
    expect(createPolicy('affinity')).toBe(affinityPolicy);
    expect(createPolicy('round-robin').name).toBe('round-robin');
  });
});

describe('withCooldown', () => {
  function setup() {
    let t = 1000;
    const cooldown = new Cooldown({ baseMs: 1000, maxMs: 30_000 }, () => t, () => 0.5);
    return { cooldown, advance: (ms: number) => void (t += ms) };
  }

  it('moves cooling nodes last, soonest back first, and never drops them', () => {
    const { cooldown } = setup();
    cooldown.fail((nodes[0] as NodeInfo).url);
    cooldown.fail((nodes[0] as NodeInfo).url); // a: longer
    cooldown.fail((nodes[2] as NodeInfo).url); // c: shorter
    const policy = withCooldown(assignedPolicy, cooldown);
    expect(idsOf(policy.rank(nodes, ctx))).toEqual(['b', 'd', 'c', 'a']);
    expect(policy.name).toBe('assigned');
  });

  it('keeps every node when all of them are cooling', () => {
    const { cooldown } = setup();
    for (const n of nodes) cooldown.fail(n.url);
    cooldown.fail((nodes[1] as NodeInfo).url);
    const out = withCooldown(assignedPolicy, cooldown).rank(nodes, ctx);
    expect(out).toHaveLength(4);
    expect(idsOf(out).at(-1)).toBe('b');
  });

  it('a node comes back to its place once its cooldown is over', () => {
    const { cooldown, advance } = setup();
    cooldown.fail((nodes[0] as NodeInfo).url);
    const policy = withCooldown(assignedPolicy, cooldown);
    expect(idsOf(policy.rank(nodes, ctx))).toEqual(['b', 'c', 'd', 'a']);
    advance(1000);
    expect(idsOf(policy.rank(nodes, ctx))).toEqual(['a', 'b', 'c', 'd']);
  });

  it('keeps the inner policy order among ready nodes', () => {
    const { cooldown } = setup();
    cooldown.fail((nodes[1] as NodeInfo).url);
    const inner = affinityPolicy.rank(nodes, ctx);
    const out = withCooldown(affinityPolicy, cooldown).rank(nodes, ctx);
    expect(out).toEqual([...inner.filter((n) => n.id !== 'b'), nodes[1]]);
  });
});

describe('withCooldown: a cooling node is never dropped', () => {
  it('keeps a node whose cooldown ends while rank() is running', () => {
    // A clock that moves on every read, as a real monotonic clock does between two calls.
    let t = 0;
    const now = () => t++;
    const cooldown = new Cooldown({ baseMs: 2, maxMs: 2 }, now, () => 0.999); // fail at 0: cooling until ~1.999
    const nodes = [
      { id: 'a', url: 'ws://a.test/' },
      { id: 'b', url: 'ws://b.test/' },
    ];
    cooldown.fail('ws://a.test/');
    const ranked = withCooldown(assignedPolicy, cooldown).rank(nodes, { session: 's', failed: new Set() });
    expect(ranked.map((n) => n.id).sort()).toEqual(['a', 'b']);
  });
});
