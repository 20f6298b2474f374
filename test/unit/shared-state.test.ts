/**
 * The host's shared map (server/sessions/shared-state.ts) and a member's copy (session/shared.ts):
 * versions from the hybrid clock, the merge order and its convergence whatever order copies are
 * merged in, bounds (keys with tombstones, bytes), and what a member's copy takes and refuses.
 */
import { describe, expect, it } from 'vitest';
import type { SharedMapWire, WelcomeFrame } from '../../src/protocol/frames.js';
import { MAX_FUTURE_MS, SharedState, outranks } from '../../src/server/sessions/shared-state.js';
import { SharedMap } from '../../src/session/shared.js';

const limits = { keys: 100, bytes: 10_000 };
const clock = (start: number) => {
  let t = start;
  return { now: () => t, set: (v: number) => (t = v) };
};

describe('SharedState (host)', () => {
  it('versions rise with every write, even within one millisecond, and follow the wall clock when it is ahead', () => {
    const c = clock(1000);
    const s = new SharedState(limits, c.now);
    const v1 = s.write('a', '1');
    const v2 = s.write('a', '2');
    expect(v1).toMatchObject({ ok: true, v: 1000 });
    expect(v2).toMatchObject({ ok: true, v: 1001 });
    c.set(5000);
    expect(s.write('b', '"x"')).toMatchObject({ ok: true, v: 5000 });
    expect(s.snapshot()).toEqual({ a: [1001, 2], b: [5000, 'x'] });
  });

  it('a deletion stays as a tombstone, and an older copy of the key does not bring it back', () => {
    const s = new SharedState(limits, () => 10);
    s.write('a', '1');
    s.write('a', '');
    expect(s.snapshot()).toEqual({ a: [11] });
    expect(s.merge({ a: [10, 1] }).changed).toEqual([]);
    expect(s.snapshot()).toEqual({ a: [11] });
  });

  it('merge: the higher version wins; at equal versions the larger JSON text; a far-future version is not believed', () => {
    const s = new SharedState(limits, () => 1000);
    s.write('a', '"host"'); // v1000
    expect(s.merge({ a: [999, 'old'], b: [5, true] }).changed).toEqual(['b']);
    expect(s.merge({ a: [1000, 'zzz'] }).changed).toEqual(['a']); // '"zzz"' > '"host"'
    expect(s.merge({ a: [1000, 'aaa'] }).changed).toEqual([]);
    expect(s.merge({ c: [1000 + MAX_FUTURE_MS + 1, 'mallory'] }).changed).toEqual([]);
    expect(s.snapshot()).toEqual({ a: [1000, 'zzz'], b: [5, true] });
    // Later writes outrank what was merged: the clock moved past it.
    expect(s.write('a', '"new"')).toMatchObject({ ok: true, v: 1001 });
  });

  it('outranks is a total order: exactly one of two different entries outranks the other', () => {
    const entries = [{ v: 1, json: '' }, { v: 1, json: '1' }, { v: 2, json: '' }, { v: 2, json: '"a"' }, { v: 2, json: '"b"' }];
    for (const a of entries) for (const b of entries) {
      if (a === b) expect(outranks(a, b)).toBe(false);
      else expect(outranks(a, b) !== outranks(b, a)).toBe(true);
    }
  });

  it('converges: any members\' copies merged in any order on a fresh host give the same map', () => {
    // Copies as members hold them after a host died mid-broadcast: some have a write, some not.
    const copies: SharedMapWire[] = [
      { owner: [10, 'ann'], x: [3, 1], gone: [12] },
      { owner: [11, 'bob'], x: [3, 1], gone: [7, 'old'] },
      { owner: [10, 'ann'], y: [9, [1, 2]], gone: [7, 'old'] },
      { owner: [11, 'bob'], x: [4, 2] },
    ];
    const orders = [[0, 1, 2, 3], [3, 2, 1, 0], [2, 0, 3, 1], [1, 3, 0, 2]];
    const results = orders.map((order) => {
      const s = new SharedState(limits, () => 20);
      for (const i of order) s.merge(copies[i] as SharedMapWire);
      return s.snapshot();
    });
    for (const r of results) expect(Object.fromEntries(Object.entries(r).sort())).toEqual({ gone: [12], owner: [11, 'bob'], x: [4, 2], y: [9, [1, 2]] });
  });

  it('bounds: a new key past maxSharedKeys drops the oldest tombstone, or is refused when there is none; bytes are checked per write', () => {
    const s = new SharedState({ keys: 3, bytes: 40 }, () => 1);
    s.write('a', '1');
    s.write('b', '');
    s.write('c', '1');
    expect(s.write('d', '1')).toEqual({ ok: true, v: 4, dropped: ['b'] });
    expect(s.write('e', '1')).toEqual({ ok: false });
    expect(s.write('a', JSON.stringify('x'.repeat(40)))).toEqual({ ok: false });
    expect(s.snapshot()).toEqual({ a: [1, 1], c: [3, 1], d: [4, 1] });
    expect(s.bytes).toBe(6);
    // A seeded entry past the bounds is skipped, not half taken.
    expect(s.merge({ f: [9, 1] }).changed).toEqual([]);
  });
});

const welcome = (shared?: SharedMapWire, keys = 10, bytes = 1000): WelcomeFrame =>
  ({ t: 'welcome', members: [], base: {}, shared, maxSharedKeys: keys, maxSharedBytes: bytes }) as unknown as WelcomeFrame;

describe('SharedMap (a member\'s copy)', () => {
  it('a welcome\'s snapshot replaces the copy (tombstones kept for the next seed); changes are reported', () => {
    const m = new SharedMap();
    expect(m.supported).toBe(false);
    expect(m.adopt(welcome({ a: [1, 'x'], b: [2] }))).toEqual([{ key: 'a', value: 'x', from: undefined }]);
    expect(m.supported).toBe(true);
    expect([...m.map]).toEqual([['a', 'x']]);
    expect(m.seed()).toEqual({ a: [1, 'x'], b: [2] });
    // After a migration: the new host's map, whatever we had.
    expect(m.adopt(welcome({ b: [3, 'y'] }))).toEqual([
      { key: 'a', value: undefined, from: undefined },
      { key: 'b', value: 'y', from: undefined },
    ]);
    expect(m.seed()).toEqual({ b: [3, 'y'] });
  });

  it('takes the host\'s frames in order: a write, a deletion, a forgotten tombstone; an unchanged value is no news', () => {
    const m = new SharedMap();
    m.adopt(welcome({}));
    expect(m.apply({ t: 'shared', k: 'a', v: 1, val: 1, from: 'ann', seq: 1 })).toEqual([{ key: 'a', value: 1, from: 'ann' }]);
    expect(m.apply({ t: 'shared', k: 'a', v: 2, val: 1, from: 'bob', seq: 4 })).toEqual([]);
    expect(m.apply({ t: 'shared', k: 'a', v: 3, from: 'bob', seq: 5 })).toEqual([{ key: 'a', value: undefined, from: 'bob' }]);
    expect(m.seed()).toEqual({ a: [3] });
    m.apply({ t: 'shared', k: 'a' });
    expect(m.seed()).toEqual({});
  });

  it('check: refuses a bad key, a node without shared state, and what would pass the node\'s bounds', () => {
    const m = new SharedMap();
    expect(() => m.check('a', 1)).toThrow(expect.objectContaining({ code: 'GRIDLINK_UNSUPPORTED' }));
    m.adopt(welcome({ a: [1, 'xx'], b: [2, 1] }, 2, 12));
    expect(() => m.check('', 1)).toThrow(expect.objectContaining({ code: 'GRIDLINK_INVALID_ARGUMENT' }));
    expect(() => m.check('c', 1)).toThrow(expect.objectContaining({ code: 'GRIDLINK_SHARED_TOO_LARGE' }));
    expect(() => m.check('a', 'x'.repeat(10))).toThrow(expect.objectContaining({ code: 'GRIDLINK_SHARED_TOO_LARGE' }));
    expect(() => m.check('a', 'x')).not.toThrow();
    expect(() => m.check('c', undefined)).not.toThrow();
  });
});

describe('the shared map\'s node flags', () => {
  it('--max-shared-keys and --max-shared-bytes are parsed, bounded, and passed on by tuningArgs', async () => {
    const { parseTuning, tuningArgs, TUNING_OPTIONS } = await import('../../src/process/node-flags.js');
    const { parseStrict } = await import('../../src/process/args.js');
    const tuning = parseTuning(parseStrict(['--max-shared-keys', '10', '--max-shared-bytes', '4096'], TUNING_OPTIONS));
    expect(tuning).toEqual({ maxSharedKeys: 10, maxSharedBytes: 4096 });
    expect(parseTuning(parseStrict(tuningArgs(tuning), TUNING_OPTIONS))).toEqual(tuning);
    expect(() => parseTuning(parseStrict(['--max-shared-keys', '0'], TUNING_OPTIONS))).toThrow(/max-shared-keys/);
    expect(() => parseTuning(parseStrict(['--max-shared-keys', '5000'], TUNING_OPTIONS))).toThrow(/max-shared-keys/);
    expect(() => parseTuning(parseStrict(['--max-shared-bytes', '1'], TUNING_OPTIONS))).toThrow(/max-shared-bytes/);
  });
});

describe('the shared map\'s node options', () => {
  it('maxSharedKeys and maxSharedBytes default to 1000 and 65536 and are bounded', async () => {
    const { normalizeOptions } = await import('../../src/server/node/options.js');
    const base = { id: 'a', port: 0 };
    expect(normalizeOptions(base)).toMatchObject({ maxSharedKeys: 1000, maxSharedBytes: 65_536 });
    expect(normalizeOptions({ ...base, maxSharedKeys: 5, maxSharedBytes: 100 })).toMatchObject({ maxSharedKeys: 5, maxSharedBytes: 100 });
    expect(() => normalizeOptions({ ...base, maxSharedKeys: 0 })).toThrow(/maxSharedKeys/);
    expect(() => normalizeOptions({ ...base, maxSharedKeys: 4097 })).toThrow(/maxSharedKeys/);
    expect(() => normalizeOptions({ ...base, maxSharedBytes: 1.5 })).toThrow(/maxSharedBytes/);
  });
});
