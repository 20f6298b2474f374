/** The resolver wrappers, each alone: TTL cache, stale-if-error, and the combination of sources. */
import { describe, expect, it, vi } from 'vitest';
import { withCache } from '../../src/resolve/with-cache.js';
import { withLastKnownGood } from '../../src/resolve/with-last-known-good.js';
import { combineResolvers } from '../../src/resolve/combine.js';
import { ConnectError, type GridlinkError } from '../../src/core/errors.js';
import type { Answer, ResolvedNode, Resolver } from '../../src/resolve/resolver.js';

const signal = new AbortController().signal;
const node = (id: string): ResolvedNode => ({ id, url: `ws://${id}.cloud.test/`, address: `10.0.0.${id.length}` });

/** A source answering a script of answers (or errors), counting lookups. */
function source(script: Array<Answer | Error>) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    lookup: async (): Promise<Answer> => {
      const next = script[Math.min(calls++, script.length - 1)] as Answer | Error;
      if (next instanceof Error) throw next;
      return next;
    },
  };
}

describe('withCache', () => {
  it('reuses an answer until its TTL runs out, then asks again', async () => {
    let t = 0;
    const src = source([
      { nodes: [node('a')], ttlMs: 5000 },
      { nodes: [node('b')], ttlMs: 5000 },
    ]);
    const r = withCache(src, () => t);
    expect(await r.resolve(signal)).toEqual([node('a')]);
    t = 4999;
    expect(await r.resolve(signal)).toEqual([node('a')]);
    expect(src.calls).toBe(1);
    t = 5000;
    expect(await r.resolve(signal)).toEqual([node('b')]);
    expect(src.calls).toBe(2);
  });

  it('TTL 0 asks every time; a failure is not cached; clear() forgets', async () => {
    const t = 0;
    const down = new ConnectError('GRIDLINK_TIMEOUT', 'dns down', { retriable: true });
    const src = source([{ nodes: [node('a')], ttlMs: 0 }, down, { nodes: [node('c')], ttlMs: 60_000 }, { nodes: [node('d')], ttlMs: 60_000 }]);
    const r = withCache(src, () => t);
    await r.resolve(signal);
    await expect(r.resolve(signal)).rejects.toBe(down);
    expect(await r.resolve(signal)).toEqual([node('c')]);
    expect(await r.resolve(signal)).toEqual([node('c')]);
    r.clear();
    expect(await r.resolve(signal)).toEqual([node('d')]);
    expect(src.calls).toBe(4);
  });
});

describe('withLastKnownGood', () => {
  it('answers the last good list when the source fails, and says so once per use', async () => {
    const down = new ConnectError('GRIDLINK_CONNECT_FAILED', 'dns down', { retriable: true });
    let fail = false;
    const inner: Resolver = { resolve: async () => (fail ? Promise.reject(down) : [node('a'), node('b')]) };
    const stale: Array<[GridlinkError, readonly ResolvedNode[]]> = [];
    const r = withLastKnownGood(inner, (error, nodes) => stale.push([error, nodes]));
    expect(await r.resolve(signal)).toEqual([node('a'), node('b')]);
    expect(stale).toEqual([]);
    fail = true;
    expect(await r.resolve(signal)).toEqual([node('a'), node('b')]);
    expect(await r.resolve(signal)).toEqual([node('a'), node('b')]);
    expect(stale).toEqual([
      [down, [node('a'), node('b')]],
      [down, [node('a'), node('b')]],
    ]);
    fail = false;
    await r.resolve(signal);
    expect(stale).toHaveLength(2);
  });

  it('rethrows when it never had a good answer, or when the caller aborted', async () => {
    const down = new Error('raw failure');
    const r = withLastKnownGood({ resolve: () => Promise.reject(down) }, () => {
      throw new Error('must not be called');
    });
    await expect(r.resolve(signal)).rejects.toBe(down);

    let fail = false;
    const ok = withLastKnownGood({ resolve: async () => (fail ? Promise.reject(down) : [node('a')]) }, () => {
      throw new Error('must not be called');
    });
    await ok.resolve(signal);
    fail = true;
    const aborted = new AbortController();
    aborted.abort();
    await expect(ok.resolve(aborted.signal)).rejects.toBe(down);
  });

  it('wraps a raw error in a GridlinkError for the stale report, keeping it as cause', async () => {
    let fail = false;
    const raw = new Error('ECONNREFUSED');
    const seen: GridlinkError[] = [];
    const r = withLastKnownGood({ resolve: async () => (fail ? Promise.reject(raw) : [node('a')]) }, (e) => seen.push(e));
    await r.resolve(signal);
    fail = true;
    await r.resolve(signal);
    expect(seen[0]).toMatchObject({ code: 'GRIDLINK_NO_NODES', cause: raw });
  });

  it('an empty answer is not remembered as good', async () => {
    let answer: ResolvedNode[] = [node('a')];
    let fail = false;
    const r = withLastKnownGood({ resolve: async () => (fail ? Promise.reject(new Error('x')) : answer) }, () => {});
    await r.resolve(signal);
    answer = [];
    await r.resolve(signal);
    fail = true;
    expect(await r.resolve(signal)).toEqual([node('a')]);
  });
});

describe('withLastKnownGood: a slow source', () => {
  it('after patienceMs goes ahead on the stale answer; one lookup runs on, and its answer serves the next round', async () => {
    vi.useFakeTimers();
    try {
      let calls = 0;
      // First answer at once; the second takes 1 s (a silent DNS server); later ones at once.
      const inner: Resolver = {
        resolve: () => {
          calls++;
          const answer = calls === 2 ? [node('bb')] : calls === 1 ? [node('a')] : [node('ccc')];
          return new Promise((resolve) => setTimeout(() => resolve(answer), calls === 2 ? 1000 : 0));
        },
      };
      const stale: string[] = [];
      const r = withLastKnownGood(inner, (error) => stale.push(error.code), 250);
      const first = r.resolve(signal);
      await vi.advanceTimersByTimeAsync(0);
      expect(await first).toEqual([node('a')]);

      const slow = r.resolve(signal);
      await vi.advanceTimersByTimeAsync(250);
      expect(await slow).toEqual([node('a')]);
      expect(stale).toEqual(['GRIDLINK_TIMEOUT']);

      // A round while the slow lookup is still out shares it rather than asking again.
      const again = r.resolve(signal);
      await vi.advanceTimersByTimeAsync(250);
      expect(await again).toEqual([node('a')]);
      expect(calls).toBe(2);

      await vi.advanceTimersByTimeAsync(600); // the slow lookup lands
      const next = r.resolve(signal);
      await vi.advanceTimersByTimeAsync(0);
      expect(await next).toEqual([node('ccc')]);
      expect(calls).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('combineResolvers', () => {
  const fixed = [{ id: 's', url: 'ws://s.cloud.test/' }];

  it('concatenates sources in order, then the static list; reports failed sources', async () => {
    const warned: string[] = [];
    const r = combineResolvers(
      [{ resolve: async () => [node('a')] }, { resolve: () => Promise.reject(new ConnectError('GRIDLINK_TIMEOUT', 'slow', { retriable: true })) }],
      fixed,
      (e) => warned.push(e.code),
    );
    expect((await r.resolve(signal)).map((n) => n.id)).toEqual(['a', 's']);
    expect(warned).toEqual(['GRIDLINK_TIMEOUT']);
  });

  it('falls back to the static list alone, and fails only when there is nothing at all', async () => {
    const down = new ConnectError('GRIDLINK_CONNECT_FAILED', 'down', { retriable: true });
    const failing = { resolve: () => Promise.reject(down) };
    expect((await combineResolvers([failing], fixed, () => {}).resolve(signal)).map((n) => n.id)).toEqual(['s']);
    await expect(combineResolvers([failing, failing], [], () => {}).resolve(signal)).rejects.toBe(down);
    expect(combineResolvers([failing], [], () => {})).toBe(failing);
  });
});
