/**
 * The browser core's opt-in pieces: an option that needs a piece the page did not pass fails at
 * connect() with GRIDLINK_INVALID_OPTION naming the import, and works once the piece is in `use`.
 */
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/client/create-client.js';
import { logging, pageLifecycle } from '../../src/client/pieces.js';
import { affinityPolicy, latencyPolicy, roundRobinPolicy } from '../../src/client/policy-pieces.js';
import type { ConnectOptions } from '../../src/client/options.js';
import type { Platform, WebSocketLike } from '../../src/platform/types.js';

// Never dials: each client is closed in the same tick it is made.
const platform: Platform = {
  name: 'browser',
  openWebSocket: () => ({ readyState: 0, close() {}, send() {}, addEventListener() {}, removeEventListener() {} }) as unknown as WebSocketLike,
  fetch: () => Promise.reject(new Error('no network in unit tests')),
  now: () => 0,
};
const base = { session: 's', nodes: ['ws://a.test/'], retry: { maxElapsedMs: 0 } } as const;
const logger = { debug() {}, info() {}, warn() {}, error() {} };

function refusal(options: Partial<ConnectOptions>): unknown {
  try {
    void createClient(platform, { ...base, ...options }).close();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('opt-in pieces', () => {
  it.each([
    [{ policy: 'latency' }, 'latencyPolicy'],
    [{ policy: 'affinity' }, 'affinityPolicy'],
    [{ policy: 'round-robin' }, 'roundRobinPolicy'],
    [{ logger }, 'logging'],
  ] as const)('%o without its piece names the import of %s', (options, name) => {
    expect(refusal(options)).toMatchObject({ name: 'OptionsError', code: 'GRIDLINK_INVALID_OPTION', message: expect.stringContaining(`import { ${name} } from 'gridlink'`) });
  });

  it.each([
    [{ policy: 'latency', use: [latencyPolicy] }],
    [{ policy: 'affinity', use: [affinityPolicy] }],
    [{ policy: 'round-robin', use: [roundRobinPolicy] }],
    [{ logger, use: [logging] }],
    [{ policy: 'assigned' }],
    [{ policy: (nodes: readonly unknown[]) => nodes }],
  ] as const)('%o is accepted', (options) => {
    expect(refusal(options as Partial<ConnectOptions>)).toBeUndefined();
  });

  it('use takes only pieces', () => {
    expect(refusal({ use: [{ piece: 'nope' }] as never })).toMatchObject({ code: 'GRIDLINK_INVALID_OPTION', message: expect.stringMatching(/^use\[0\] must be a piece/) });
  });
});

describe('pageLifecycle outside a page', () => {
  it('watches nothing in Node (no window events), instead of throwing', () => {
    if (pageLifecycle.piece !== 'lifecycle') throw new Error('expected the lifecycle piece');
    const unwatch = pageLifecycle.watch({ wake() {}, online() {}, offline() {} });
    expect(unwatch).toBeTypeOf('function');
    expect(() => unwatch()).not.toThrow();
  });
});
