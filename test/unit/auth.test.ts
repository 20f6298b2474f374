/**
 * Authentication and join limits, the pure parts: option checks that name the option and never the
 * credential, `hello.token` decoding, the per-address token bucket on a fake clock, nested redaction.
 */
import { describe, expect, it } from 'vitest';
import { normalizeOptions } from '../../src/client/options.js';
import { parseStrict } from '../../src/process/args.js';
import { parseTuning, tuningArgs, TUNING_OPTIONS } from '../../src/process/node-flags.js';
import { redact } from '../../src/core/logger.js';
import { decodeClientFrame } from '../../src/protocol/codec.js';
import { createJoinLimit } from '../../src/server/clients/join-limit.js';
import { normalizeOptions as normalizeNodeOptions } from '../../src/server/node/options.js';

const base = { session: 's', nodes: ['ws://127.0.0.1:1'] };
const limits = { maxFrameBytes: 1024 * 1024 };

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

describe('client options: token and getToken', () => {
  it('takes one or the other, and a fixed token is not worth retrying once refused', async () => {
    const fixed = normalizeOptions({ ...base, token: 't' }).token;
    expect(fixed?.refreshes).toBe(false);
    expect(await fixed?.get()).toBe('t');
    const fetched = normalizeOptions({ ...base, getToken: async () => 'u' }).token;
    expect(fetched?.refreshes).toBe(true);
    expect(await fetched?.get()).toBe('u');
    expect(normalizeOptions(base).token).toBeUndefined();
  });

  it('fails fast naming the option, never quoting the credential', () => {
    expect(thrown(() => normalizeOptions({ ...base, token: 'SECRET', getToken: () => 'x' })).message).toBe('give token or getToken, not both');
    const long = thrown(() => normalizeOptions({ ...base, token: `SECRET${'x'.repeat(4096)}` }));
    expect(long).toMatchObject({ code: 'GRIDLINK_INVALID_OPTION', message: 'token must be a string of 1..4096 characters' });
    expect(thrown(() => normalizeOptions({ ...base, token: '' })).message).toContain('token must be');
    expect(thrown(() => normalizeOptions({ ...base, getToken: 'SECRET' as unknown as () => string })).message).toContain('getToken must be a function');
  });
});

describe('node options: authenticate and maxJoinsPerSecond', () => {
  it('defaults to 200 joins per second and no hook; checks both', () => {
    expect(normalizeNodeOptions({ id: 'a' })).toMatchObject({ maxJoinsPerSecond: 200, authenticate: undefined });
    expect(normalizeNodeOptions({ id: 'a', maxJoinsPerSecond: Infinity }).maxJoinsPerSecond).toBe(Infinity);
    expect(() => normalizeNodeOptions({ id: 'a', maxJoinsPerSecond: 0 })).toThrow(/maxJoinsPerSecond must be a number > 0/);
    expect(() => normalizeNodeOptions({ id: 'a', authenticate: true as unknown as () => boolean })).toThrow(/authenticate must be a function/);
  });

  it('the local cloud passes the limit to its nodes (off as "off")', () => {
    for (const tuning of [{ maxJoinsPerSecond: 7 }, { maxJoinsPerSecond: Infinity }]) {
      expect(parseTuning(parseStrict(tuningArgs(tuning), TUNING_OPTIONS))).toEqual(tuning);
    }
  });
});

describe('hello.token', () => {
  const hello = (extra: Record<string, unknown>): string => JSON.stringify({ t: 'hello', v: 1, session: 's', client: 'c', recv: {}, members: [], ...extra });

  it('is decoded when present, absent otherwise', () => {
    expect(decodeClientFrame(hello({ token: 'abc' }), limits)).toMatchObject({ token: 'abc' });
    expect(decodeClientFrame(hello({}), limits)).not.toHaveProperty('token');
  });

  it('is refused empty, too long or not a string, without quoting it', () => {
    for (const token of ['', `SECRET${'x'.repeat(4091)}`, 42]) {
      const error = thrown(() => decodeClientFrame(hello({ token }), limits));
      expect(error).toMatchObject({ code: 'GRIDLINK_PROTOCOL' });
      expect(error.message).not.toContain('SECRET');
    }
  });
});

describe('join limit (token bucket per address)', () => {
  it('allows a burst, then refills at the rate; addresses do not share a bucket', () => {
    let now = 0;
    const limit = createJoinLimit(2, 4, () => now);
    expect([1, 2, 3, 4, 5].map(() => limit.take('10.0.0.1'))).toEqual([true, true, true, true, false]);
    expect(limit.take('10.0.0.2')).toBe(true);
    now += 499;
    expect(limit.take('10.0.0.1')).toBe(false);
    now += 1;
    expect(limit.take('10.0.0.1')).toBe(true);
    now += 60_000;
    // Refilled to the burst, not beyond it.
    expect([1, 2, 3, 4, 5].map(() => limit.take('10.0.0.1'))).toEqual([true, true, true, true, false]);
  });

  it('Infinity turns it off', () => {
    const limit = createJoinLimit(Infinity, Infinity, () => 0);
    expect(Array.from({ length: 1000 }, () => limit.take('a')).every(Boolean)).toBe(true);
  });

  it('survives a flood of distinct addresses (the map is pruned, never unbounded)', () => {
    let now = 0;
    const limit = createJoinLimit(1, 1, () => now);
    expect(limit.take('busy')).toBe(true);
    for (let i = 0; i < 30_000; i++) limit.take(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
    now += 1;
    // Evicted or not, the answer stays sane (an evicted address gets a fresh, bounded bucket).
    expect(typeof limit.take('busy')).toBe('boolean');
  });
});

describe('redact, nested', () => {
  it('redacts secret keys inside nested objects and arrays, and keeps errors as they are', () => {
    const error = new Error('boom');
    const out = redact({ hello: { t: 'hello', token: 'T', resume: 'R', client: 'c' }, list: [{ token: 'T2' }], error });
    expect(out).toEqual({ hello: { t: 'hello', token: '[redacted]', resume: '[redacted]', client: 'c' }, list: [{ token: '[redacted]' }], error });
  });
});
