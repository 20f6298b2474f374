/** The `latency` policy with injected measurements and fake timers: order, timeouts, cache, cooldown. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { latencyPolicy } from '../../src/choose/latency.js';
import { withCooldown } from '../../src/choose/with-cooldown.js';
import { createPolicy, customPolicy } from '../../src/choose/policy.js';
import { Cooldown } from '../../src/core/cooldown.js';
import type { NodeInfo } from '../../src/protocol/frames.js';

const nodes: NodeInfo[] = ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id, url: `ws://${id}.cloud.test/` }));
const ids = (list: readonly NodeInfo[]) => list.map((n) => n.id);
const ctx = (failed: string[] = []) => ({ session: 's', failed: new Set(failed) });

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** Measurements that take `rtt[id]` ms of (fake) time; 'never' hangs until aborted; 'error' rejects. */
function world(rtt: Record<string, number | 'never' | 'error'>) {
  const measured: string[] = [];
  const measure = (node: NodeInfo, signal: AbortSignal): Promise<number> => {
    measured.push(node.id);
    const value = rtt[node.id];
    if (value === 'error') return Promise.reject(new Error('ECONNREFUSED'));
    return new Promise((resolve, reject) => {
      signal.addEventListener('abort', () => reject(new Error('aborted')));
      if (value !== 'never' && value !== undefined) setTimeout(() => resolve(value), value);
    });
  };
  return { measure, measured, now: () => Date.now() };
}

async function rank(policy: ReturnType<typeof latencyPolicy>, list: readonly NodeInfo[], c = ctx()): Promise<string[]> {
  const pending = policy.rank(list, c);
  await vi.runAllTimersAsync();
  return ids(await pending);
}

describe('latency policy', () => {
  it('measures the first `probes` candidates in parallel and puts the closest first; the rest keep the cloud order', async () => {
    const w = world({ a: 40, b: 5, c: 20, d: 1, e: 1 });
    const policy = latencyPolicy({ measure: w.measure, now: w.now, probes: 3 });
    expect(await rank(policy, nodes)).toEqual(['b', 'c', 'a', 'd', 'e']);
    expect(w.measured.sort()).toEqual(['a', 'b', 'c']);
  });

  it('puts unmeasurable nodes (error or timeout) last', async () => {
    const w = world({ a: 'never', b: 'error', c: 30 });
    const policy = latencyPolicy({ measure: w.measure, now: w.now, probes: 3, timeoutMs: 100 });
    expect(await rank(policy, nodes)).toEqual(['c', 'd', 'e', 'a', 'b']);
  });

  it('a round waits at most timeoutMs for its measurements', async () => {
    const w = world({ a: 'never', b: 'never', c: 'never' });
    const policy = latencyPolicy({ measure: w.measure, now: w.now, timeoutMs: 250 });
    const started = Date.now();
    await rank(policy, nodes);
    expect(Date.now() - started).toBe(250);
  });

  it('reuses measurements for cacheMs, then measures again', async () => {
    const w = world({ a: 30, b: 10, c: 20 });
    const policy = latencyPolicy({ measure: w.measure, now: w.now, cacheMs: 10_000 });
    expect(await rank(policy, nodes)).toEqual(['b', 'c', 'a', 'd', 'e']);
    expect(w.measured).toHaveLength(3);
    vi.advanceTimersByTime(5000);
    expect(await rank(policy, nodes)).toEqual(['b', 'c', 'a', 'd', 'e']);
    expect(w.measured).toHaveLength(3);
    vi.advanceTimersByTime(5000);
    await rank(policy, nodes);
    expect(w.measured).toHaveLength(6);
  });

  it('does not measure nodes that already failed this migration', async () => {
    const w = world({ a: 1, b: 2, c: 3, d: 4 });
    const policy = latencyPolicy({ measure: w.measure, now: w.now });
    expect(await rank(policy, nodes, ctx(['a']))).toEqual(['b', 'c', 'a', 'd', 'e']);
    expect(w.measured.sort()).toEqual(['b', 'c']);
  });

  it('an aborted round records nothing', async () => {
    const w = world({ a: 50, b: 50, c: 50 });
    const policy = latencyPolicy({ measure: w.measure, now: w.now });
    const controller = new AbortController();
    const pending = policy.rank(nodes, { ...ctx(), signal: controller.signal });
    controller.abort();
    await vi.runAllTimersAsync();
    await pending;
    await rank(policy, nodes);
    expect(w.measured).toHaveLength(6);
  });

  it('keeps the node objects it was given (their dial address travels with them)', async () => {
    const w = world({ a: 2, b: 1 });
    const withAddress = nodes.slice(0, 2).map((n) => ({ ...n, address: '10.0.0.1' }));
    const out = latencyPolicy({ measure: w.measure, now: w.now }).rank(withAddress, ctx());
    await vi.runAllTimersAsync();
    const ranked = await out;
    expect(ranked[0]).toBe(withAddress[1]);
  });

  it('composes with the cooldown wrapper: cooling nodes go last even if closest', async () => {
    const cooldown = new Cooldown({ baseMs: 1000, maxMs: 1000 }, () => Date.now(), () => 0.5);
    cooldown.fail((nodes[1] as NodeInfo).url);
    const w = world({ a: 30, b: 1, c: 20 });
    const policy = withCooldown(latencyPolicy({ measure: w.measure, now: w.now }), cooldown);
    const pending = policy.rank(nodes, ctx());
    expect(pending).toBeInstanceOf(Promise);
    await vi.runAllTimersAsync();
    expect(ids(await pending)).toEqual(['c', 'a', 'd', 'e', 'b']);
  });
});

describe('policies stay synchronous when they can', () => {
  it('named policies and a synchronous custom function answer at once', () => {
    expect(Array.isArray(createPolicy('assigned').rank(nodes, ctx()))).toBe(true);
    expect(Array.isArray(customPolicy((list) => list).rank(nodes, ctx()))).toBe(true);
  });

  it('an async custom function is awaited and still cannot add nodes', async () => {
    vi.useRealTimers();
    const policy = customPolicy(async (list) => [{ id: 'evil', url: 'ws://evil.example/' }, ...[...list].reverse()]);
    expect(ids(await policy.rank(nodes, ctx()))).toEqual(['e', 'd', 'c', 'b', 'a']);
  });
});
