/** The node's options: documented defaults, and a failure naming the option for each bad value. */
import { describe, expect, it } from 'vitest';
import { OptionsError } from '../../src/core/errors.js';
import { normalizeOptions } from '../../src/server/node/options.js';

describe('normalizeOptions', () => {
  it('fills the documented defaults', () => {
    const config = normalizeOptions({ id: 'a', peers: [{ id: 'a', url: 'ws://x:1' }, { id: 'b', url: 'ws://y:2' }] });
    expect(config).toMatchObject({
      port: 0,
      host: '127.0.0.1',
      peers: [{ id: 'b', url: 'ws://y:2' }],
      heartbeat: { intervalMs: 1000, timeoutMs: 10_000 },
      peerHeartbeat: { intervalMs: 500, timeoutMs: 1500 },
      memberGraceMs: 15_000,
      settleMs: 3000,
      maxFrameBytes: 1024 * 1024,
      tokenTtlMs: 3_600_000,
      drainDeadlineMs: 5000,
      handshakeTimeoutMs: 5000,
    });
    expect(config.secret.length).toBeGreaterThan(16);
  });

  it.each([
    [{ id: 'a', heartbeat: { timeoutMs: Number.NaN } }, /^heartbeat\.timeoutMs must be/],
    [{ id: 'a', peerHeartbeat: { intervalMs: 2000 } }, /^peerHeartbeat\.timeoutMs must be greater/],
    [{ id: 'a', port: 70000 }, /^port must be/],
    [{ id: 'a', memberGraceMs: -1 }, /^memberGraceMs must be/],
    [{ id: 'a', peers: [{ id: 'b', url: 'ws://y:2' }, { id: 'b', url: 'ws://z:2' }] }, /^peers\[1\]\.id 'b' is listed twice/],
    [{ id: 'x'.repeat(129) }, /^id must be/],
  ])('rejects %j', (options, message) => {
    let caught: unknown;
    try {
      normalizeOptions(options as never);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(OptionsError);
    expect((caught as OptionsError).code).toBe('GRIDLINK_INVALID_OPTION');
    expect((caught as Error).message).toMatch(message);
  });
});

describe('normalizeOptions: authenticate and maxJoinsPerSecond', () => {
  it('defaults to 200 joins per second and no hook; checks both', () => {
    expect(normalizeOptions({ id: 'a' })).toMatchObject({ maxJoinsPerSecond: 200, authenticate: undefined });
    expect(normalizeOptions({ id: 'a', maxJoinsPerSecond: Infinity }).maxJoinsPerSecond).toBe(Infinity);
    expect(() => normalizeOptions({ id: 'a', maxJoinsPerSecond: 0 })).toThrow(/maxJoinsPerSecond must be a number > 0/);
    expect(() => normalizeOptions({ id: 'a', authenticate: true as unknown as () => boolean })).toThrow(/authenticate must be a function/);
  });
});
