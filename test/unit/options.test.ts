import { describe, expect, it } from 'vitest';
import { normalizeOptions, type ConnectOptions } from '../../src/client/options.js';
import { logging } from '../../src/client/pieces.js';
import { OptionsError } from '../../src/core/errors.js';

const base: ConnectOptions = { session: 'room', nodes: ['ws://a.example.com:4000'] };

function refusal(options: unknown): OptionsError {
  try {
    normalizeOptions(options as ConnectOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(OptionsError);
    expect((error as OptionsError).code).toBe('GRIDLINK_INVALID_OPTION');
    return error as OptionsError;
  }
  throw new Error(`expected ${JSON.stringify(options)} to be refused`);
}

describe('normalizeOptions defaults', () => {
  it('fills every default', () => {
    const o = normalizeOptions(base);
    expect(o.heartbeat).toEqual({ intervalMs: 1000, timeoutMs: 3000 });
    expect(o).toMatchObject({
      session: 'room',
      clientId: undefined,
      nodes: [{ id: 'ws://a.example.com:4000/', url: 'ws://a.example.com:4000/' }],
      policy: 'assigned',
      allowHosts: [],
      connectTimeoutMs: 2000,
      staggerMs: 150,
      maxRedirects: 3,
      retry: { minDelayMs: 100, maxDelayMs: 5000, factor: 2, maxElapsedMs: 60_000 },
      cooldown: { baseMs: 1000, maxMs: 30_000 },
      maxBufferedBytes: 4 * 1024 * 1024,
      maxFrameBytes: 1024 * 1024,
      ackDelayMs: 20,
      maxNodes: 64,
      maxHeldMessages: 10_000,
    });
    expect(Object.isFrozen(o)).toBe(true);
  });

  it('detects a dead link within 3 s by default', () => {
    expect(normalizeOptions(base).heartbeat.timeoutMs).toBeLessThanOrEqual(3000);
  });

  it("refuses a clientId starting with '@' (the backend's publishes come from '@server')", () => {
    expect(() => normalizeOptions({ ...base, clientId: '@server' })).toThrow(expect.objectContaining({ code: 'GRIDLINK_INVALID_OPTION', message: "clientId must not start with '@'" }));
    expect(normalizeOptions({ ...base, clientId: 'a@b' }).clientId).toBe('a@b');
  });

  it('keeps given values, accepts { id, url } nodes, lowercases allowHosts, takes Infinity for maxElapsedMs', () => {
    const o = normalizeOptions({
      ...base,
      nodes: [{ id: 'n1', url: 'wss://N1.example.com' }],
      clientId: 'me',
      allowHosts: ['Extra.Example.COM'],
      heartbeat: { intervalMs: 200, timeoutMs: 700 },
      retry: { maxElapsedMs: Number.POSITIVE_INFINITY },
      policy: 'affinity',
    });
    expect(o.nodes).toEqual([{ id: 'n1', url: 'wss://n1.example.com/' }]);
    expect(o.clientId).toBe('me');
    expect(o.allowHosts).toEqual(['extra.example.com']);
    expect(o.heartbeat).toEqual({ intervalMs: 200, timeoutMs: 700 });
    expect(o.retry.maxElapsedMs).toBe(Number.POSITIVE_INFINITY);
    expect(o.policy).toBe('affinity');
  });

  it('a resolver alone is enough', () => {
    const resolver = { resolve: async () => [] };
    expect(normalizeOptions({ session: 's', resolver }).resolver).toBe(resolver);
  });

  it('the logging piece wraps the logger so it is redacted and cannot throw', () => {
    const seen: unknown[] = [];
    const given = normalizeOptions({
      ...base,
      logger: {
        debug: (_m, f) => seen.push(f),
        info: () => {
          throw new Error('broken');
        },
        warn: () => {},
        error: () => {},
      },
    });
    if (given.logger === undefined || logging.piece !== 'logger') throw new Error('expected a logger and the logging piece');
    const logger = logging.wrap(given.logger);
    logger.debug('x', { token: 't', n: 1 });
    expect(seen).toEqual([{ token: '[redacted]', n: 1 }]);
    expect(() => logger.info('y')).not.toThrow();
  });
});

describe('normalizeOptions refuses, naming the option', () => {
  it.each<[string, unknown]>([
    ['options', null],
    ['session', { nodes: base.nodes }],
    ['session', { ...base, session: '' }],
    ['session', { ...base, session: 's'.repeat(129) }],
    ['session', { ...base, session: 42 }],
    ['clientId', { ...base, clientId: '' }],
    ['nodes', { session: 's', nodes: 'ws://a/' }],
    ['nodes[0]', { session: 's', nodes: ['http://a.example.com/'] }],
    ['nodes[0]', { session: 's', nodes: ['https://a.example.com/'] }],
    ['nodes[1]', { session: 's', nodes: ['ws://a/', 'not a url'] }],
    ['nodes[0]', { session: 's', nodes: [42] }],
    ['nodes[0].id', { session: 's', nodes: [{ url: 'ws://a/' }] }],
    ['nodes or resolver', { session: 's' }],
    ['nodes or resolver', { session: 's', nodes: [] }],
    ['resolver', { session: 's', resolver: {} }],
    ['policy', { ...base, policy: 'fastest' }],
    ['heartbeat.intervalMs', { ...base, heartbeat: { intervalMs: 5 } }],
    ['heartbeat.intervalMs', { ...base, heartbeat: { intervalMs: Number.NaN } }],
    ['heartbeat.timeoutMs', { ...base, heartbeat: { timeoutMs: 50 } }],
    ['heartbeat.timeoutMs', { ...base, heartbeat: { timeoutMs: '3000' } }],
    ['heartbeat.timeoutMs', { ...base, heartbeat: { timeoutMs: Number.POSITIVE_INFINITY } }],
    ['heartbeat.timeoutMs', { ...base, heartbeat: { intervalMs: 1000, timeoutMs: 1000 } }],
    ['heartbeat.timeoutMs', { ...base, heartbeat: { intervalMs: 2000, timeoutMs: 1500 } }],
    ['heartbeat.timeoutMs', { ...base, heartbeat: { timeoutMs: 800 } }],
    ['retry.minDelayMs', { ...base, retry: { minDelayMs: -1 } }],
    ['retry.maxDelayMs', { ...base, retry: { minDelayMs: 500, maxDelayMs: 100 } }],
    ['retry.factor', { ...base, retry: { factor: 0.5 } }],
    ['retry.factor', { ...base, retry: { factor: 11 } }],
    ['retry.maxElapsedMs', { ...base, retry: { maxElapsedMs: -1 } }],
    ['cooldown.baseMs', { ...base, cooldown: { baseMs: -5 } }],
    ['cooldown.maxMs', { ...base, cooldown: { baseMs: 1000, maxMs: 10 } }],
    ['allowHosts', { ...base, allowHosts: 'a.example.com' }],
    ['allowHosts', { ...base, allowHosts: [1] }],
    ['signal', { ...base, signal: {} }],
    ['connectTimeoutMs', { ...base, connectTimeoutMs: 0 }],
    ['staggerMs', { ...base, staggerMs: -1 }],
    ['maxRedirects', { ...base, maxRedirects: 17 }],
    ['maxBufferedBytes', { ...base, maxBufferedBytes: 10 }],
    ['maxFrameBytes', { ...base, maxFrameBytes: 100 }],
    ['ackDelayMs', { ...base, ackDelayMs: 10_001 }],
    ['maxNodes', { ...base, maxNodes: 0 }],
    ['maxNodes', { ...base, maxNodes: 5000 }],
    ['maxHeldMessages', { ...base, maxHeldMessages: 0 }],
  ])('%s', (name, options) => {
    const error = refusal(options);
    if (name === 'nodes or resolver') {
      expect(error.message).toMatch(/nodes/);
      expect(error.message).toMatch(/resolver/);
    } else {
      expect(error.message.startsWith(name) || error.message.includes(` ${name} `)).toBe(true);
    }
  });
});
