/**
 * The connection round's staggered attempts (session/connector.ts), on a scripted in-memory
 * platform: one socket per node per round, whatever the redirects say.
 */
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/client/create-client.js';
import type { OpenWebSocketOptions, Platform, WebSocketLike } from '../../src/platform/types.js';
import { FakeSocket, idOf, welcomeOn } from '../helpers/fake-socket.js';

const A = 'ws://a.test/';
const B = 'ws://b.test/';
describe('a connection round', () => {
  it('does not open a second socket to a node its first attempt is still joining through', async () => {
    // a is the host but slow to open (a loaded node in a crowd); b redirects every hello to a.
    const sockets: FakeSocket[] = [];
    const platform: Platform = {
      name: 'node',
      now: () => performance.now(),
      openWebSocket(url: string, _options: OpenWebSocketOptions): WebSocketLike {
        const socket = new FakeSocket(url, (s, frame) => {
          if (frame.t !== 'hello') return;
          if (s.url === A) welcomeOn(s, frame, [A, B], []);
          else s.push({ t: 'redirect', node: { id: 'a', url: A }, reason: 'not-host' });
        });
        sockets.push(socket);
        if (url === A && sockets.filter((s) => s.url === A).length === 1) setTimeout(() => socket.open(), 150);
        else queueMicrotask(() => socket.open());
        return socket;
      },
    };
    const client = createClient(platform, { session: 's', clientId: 'me', nodes: [A, B], policy: 'assigned', staggerMs: 20 });
    client.on('error', () => {});
    await client.ready;
    expect(client.node?.id).toBe('a');
    // The stagger reached b, which redirected to a: that attempt ended instead of dialling a again.
    expect(sockets.map((s) => idOf(s.url))).toEqual(['a', 'b']);
    await client.close();
  });
});
