/**
 * The `extras` piece in the browser core: without it, `send({ to })`, `request()`, `onRequest()`,
 * `shared` and `setShared()` throw GRIDLINK_INVALID_OPTION naming the import; with it in `use`, they
 * exist (and refuse, typed, until a node that supports them has welcomed the client).
 */
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/client/create-client.js';
import { extras } from '../../src/client/extras-piece.js';
import type { Platform, WebSocketLike } from '../../src/platform/types.js';

const platform: Platform = {
  name: 'browser',
  openWebSocket: () => ({ readyState: 0, close() {}, send() {}, addEventListener() {}, removeEventListener() {} }) as unknown as WebSocketLike,
  fetch: () => Promise.reject(new Error('no network in unit tests')),
  now: () => 0,
};
const base = { session: 's', nodes: ['ws://a.test/'], retry: { maxElapsedMs: 0 } } as const;

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('the extras piece', () => {
  it('without it, every entry point names the import to add', async () => {
    const client = createClient(platform, base);
    client.on('error', () => {});
    const calls: Array<() => unknown> = [
      () => client.send('x', { to: 'bob' }),
      () => client.request('x', { to: 'bob' }),
      () => client.onRequest(() => 'y'),
      () => client.shared,
      () => client.setShared('k', 1),
    ];
    for (const call of calls) {
      expect(thrown(call)).toMatchObject({ code: 'GRIDLINK_INVALID_OPTION', message: expect.stringContaining("import { extras } from 'gridlink'") });
    }
    // A plain send is the core's and still works.
    expect(client.send('x')).toBe(true);
    await client.close();
  });

  it('with it, the calls exist; before a welcome that supports them they refuse with typed errors', async () => {
    const client = createClient(platform, { ...base, use: [extras] });
    client.on('error', () => {});
    expect(client.shared.size).toBe(0);
    client.onRequest(() => 'y');
    expect(thrown(() => client.setShared('k', 1))).toMatchObject({ code: 'GRIDLINK_UNSUPPORTED' });
    expect(thrown(() => client.send('x', { to: 'bob' }))).toMatchObject({ code: 'GRIDLINK_NO_SUCH_MEMBER' });
    expect(thrown(() => client.onRequest('nope' as never))).toMatchObject({ code: 'GRIDLINK_INVALID_ARGUMENT' });
    expect(thrown(() => client.request(42 as never, { to: 'bob' }))).toMatchObject({ code: 'GRIDLINK_INVALID_ARGUMENT' });
    expect(thrown(() => client.request('x', { to: 'bob', timeoutMs: -1 }))).toMatchObject({ code: 'GRIDLINK_INVALID_ARGUMENT' });
    expect(thrown(() => client.request('x', { to: 'bob', timout: 5 } as never))).toMatchObject({ code: 'GRIDLINK_INVALID_ARGUMENT' });
    await client.close();
  });
});
