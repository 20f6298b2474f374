/**
 * The client with `cloud`: DNS (a stub `DnsLookup` on a scripted platform) → node list → dial by
 * address; the `nodes` event for each source; stale-if-error carrying a migration when DNS is down.
 * The real DNS server and real nodes are the integration ring's (resolve-cloud.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { cloudDiscovery } from '../../src/client/cloud-piece.js';
import { createClient } from '../../src/client/create-client.js';
import type { NodesEvent } from '../../src/client/client.js';
import type { DnsLookup, OpenWebSocketOptions, Platform, WebSocketLike } from '../../src/platform/types.js';
import { waitFor } from '../helpers/wait.js';
import { FakeSocket } from '../helpers/fake-socket.js';


const raw = (code: string) => Object.assign(new Error(code), { code });

function world() {
  let dnsUp = true;
  const sockets: FakeSocket[] = [];
  const ports: Record<string, number> = { a: 7001, b: 7002, c: 7003 };
  const dns: DnsLookup = {
    srv: async () => {
      if (!dnsUp) throw raw('ECONNREFUSED');
      return [
        { name: 'a.cloud.test', port: 7001, priority: 10, weight: 10 },
        { name: 'b.cloud.test', port: 7002, priority: 20, weight: 10 },
      ];
    },
    // TTL 0: every round asks again, so the test sees DNS go down at once.
    a: async () => [{ address: '127.0.0.1', ttl: 0 }],
    aaaa: async () => [],
  };
  const idOfPort = (url: string) => Object.keys(ports).find((id) => String(ports[id]) === new URL(url).port) as string;
  const onFrame = (socket: FakeSocket, frame: Record<string, unknown>) => {
    if (frame.t !== 'hello') return;
    socket.emit('message', {
      data: JSON.stringify({
        t: 'welcome',
        v: 1,
        node: { id: idOfPort(socket.url), url: socket.url },
        session: frame.session,
        client: frame.client,
        resume: 'token',
        // Nodes advertise themselves by IP, as the local cloud's do.
        nodes: Object.entries(ports).map(([id, port]) => ({ id, url: `ws://127.0.0.1:${port}` })),
        heartbeat: { intervalMs: 1000, timeoutMs: 10000 },
        members: [],
        base: {},
      }),
    });
  };
  const platform: Platform = {
    name: 'node',
    now: () => performance.now(),
    dns: () => dns,
    openWebSocket(url: string, options: OpenWebSocketOptions): WebSocketLike {
      const socket = new FakeSocket(url, onFrame, options.address);
      sockets.push(socket);
      queueMicrotask(() => socket.open());
      return socket;
    },
  };
  return { platform, sockets, setDns: (up: boolean) => void (dnsUp = up) };
}

describe('client with cloud', () => {
  it('resolves through DNS, dials by address keeping the name, merges the advertised list by id', async () => {
    const w = world();
    const client = createClient(w.platform, { session: 's', cloud: 'cloud.test', scheme: 'ws' }, [cloudDiscovery]);
    const events: NodesEvent[] = [];
    client.on('nodes', (event) => events.push(event));
    await client.ready;
    expect(client.node).toEqual({ id: 'a', url: 'ws://a.cloud.test:7001/' });
    expect(w.sockets.map((s) => [s.url, s.address])).toEqual([['ws://a.cloud.test:7001/', '127.0.0.1']]);
    expect(events.map((e) => [e.source, e.nodes.map((n) => n.url)])).toEqual([
      ['resolver', ['ws://a.cloud.test:7001/', 'ws://b.cloud.test:7002/']],
      ['advertised', ['ws://a.cloud.test:7001/', 'ws://b.cloud.test:7002/', 'ws://127.0.0.1:7003/']],
    ]);
    await client.close();
  });

  it('with DNS down, migrates on the last good answer and says so with a stale nodes event', async () => {
    const w = world();
    const client = createClient(w.platform, { session: 's', cloud: 'cloud.test', scheme: 'ws', retry: { minDelayMs: 1, maxDelayMs: 5 } }, [cloudDiscovery]);
    const events: NodesEvent[] = [];
    const errors: string[] = [];
    client.on('nodes', (event) => events.push(event));
    client.on('error', (error) => errors.push(error.code));
    await client.ready;
    w.setDns(false);
    (w.sockets[0] as FakeSocket).close(1006, 'gone');
    await waitFor('the client to migrate to b', () => client.state === 'connected' && client.node?.id === 'b', 2000);
    // b as DNS named it: by name, dialled by address.
    expect(w.sockets.at(-1)?.url).toBe('ws://b.cloud.test:7002/');
    expect(w.sockets.at(-1)?.address).toBe('127.0.0.1');
    const stale = events.filter((e) => e.source === 'stale');
    expect(stale.length).toBeGreaterThanOrEqual(1);
    expect(stale[0]?.error?.code).toBe('GRIDLINK_CONNECT_FAILED');
    expect(stale[0]?.nodes.map((n) => n.id)).toEqual(['a', 'b', 'c']);
    expect(errors).not.toContain('GRIDLINK_CONNECT_FAILED');
    await client.close();
  });

  it('with DNS down from the start and nothing else known, ready rejects with the DNS error', async () => {
    const w = world();
    w.setDns(false);
    const client = createClient(w.platform, { session: 's', cloud: 'cloud.test', scheme: 'ws', retry: { minDelayMs: 1, maxDelayMs: 5, maxElapsedMs: 50 } }, [cloudDiscovery]);
    const errors: string[] = [];
    client.on('error', (error) => errors.push(error.code));
    await expect(client.ready).rejects.toMatchObject({ code: 'GRIDLINK_NO_NODES' });
    expect(errors).toContain('GRIDLINK_CONNECT_FAILED');
    expect(w.sockets).toEqual([]);
  });
});
