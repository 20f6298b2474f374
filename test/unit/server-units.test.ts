/** Pure parts of the server kit: liveness timing, resume tokens, option normalization. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { OptionsError } from '../../src/core/errors.js';
import { Liveness } from '../../src/core/liveness.js';
import { normalizeOptions } from '../../src/server/node/options.js';
import { createTokenSigner } from '../../src/server/clients/tokens.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('Liveness', () => {
  function setup(settings = { intervalMs: 1000, timeoutMs: 3000 }) {
    vi.useFakeTimers();
    const events: string[] = [];
    const liveness = new Liveness(
      { sendPing: () => events.push(`ping@${Date.now()}`), onDead: (silent) => events.push(`dead@${Date.now()}:${silent}`) },
      settings,
    );
    vi.setSystemTime(0);
    liveness.start();
    return { liveness, events };
  }

  it('pings only when nothing else was sent in the interval', () => {
    const { liveness, events } = setup();
    vi.advanceTimersByTime(900);
    liveness.sent();
    liveness.received();
    vi.advanceTimersByTime(900); // t=1800: last send at 900, no ping yet
    expect(events).toEqual([]);
    vi.advanceTimersByTime(100); // t=1900
    expect(events).toEqual(['ping@1900']);
    liveness.stop();
  });

  it('is dead after timeoutMs without inbound frames, judged from the last one', () => {
    const { liveness, events } = setup();
    vi.advanceTimersByTime(2500);
    liveness.received(); // t=2500: dead no earlier than 5500
    vi.advanceTimersByTime(2999);
    expect(events.filter((e) => e.startsWith('dead'))).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(events.filter((e) => e.startsWith('dead'))).toEqual(['dead@5500:3000']);
    vi.advanceTimersByTime(10_000);
    expect(events.filter((e) => e.startsWith('dead'))).toHaveLength(1); // once, then stopped
  });

  it('without an interval only watches for silence', () => {
    const { events } = setup({ timeoutMs: 500 } as { intervalMs: number; timeoutMs: number });
    vi.advanceTimersByTime(600);
    expect(events).toEqual(['dead@500:500']);
  });
});

describe('resume tokens', () => {
  it('binds session, client and expiry', () => {
    let now = 1_000;
    const signer = createTokenSigner('s3cret', 60_000, () => now);
    const token = signer.issue('room', 'alice');
    expect(signer.verify(token, 'room', 'alice')).toBe(true);
    expect(signer.verify(token, 'room', 'bob')).toBe(false);
    expect(signer.verify(token, 'hall', 'alice')).toBe(false);
    expect(createTokenSigner('other', 60_000, () => now).verify(token, 'room', 'alice')).toBe(false);
    expect(signer.verify(`${token.slice(0, -2)}AA`, 'room', 'alice')).toBe(false);
    expect(signer.verify(undefined, 'room', 'alice')).toBe(false);
    expect(signer.verify('garbage', 'room', 'alice')).toBe(false);
    now += 60_001;
    expect(signer.verify(token, 'room', 'alice')).toBe(false);
  });

  it('stays short whatever the ids are (the codec caps resume at 1024 chars)', () => {
    const signer = createTokenSigner('s3cret', 60_000);
    expect(signer.issue('\u{1F600}'.repeat(64), '\u{1F600}'.repeat(64)).length).toBeLessThan(100);
  });
});

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
