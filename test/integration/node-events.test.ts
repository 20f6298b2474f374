/**
 * The node's events for its embedding process (issue 15): `join`, `leave`, `message` and
 * `migrated-in`, observe-only. Real in-process nodes, real clients. A listener that throws is
 * logged, and delivery goes on.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Client } from '../../dist/node.js';
import type { NodeServer } from '../../src/server/node/node-server.js';
import { cleanupAll, cleanups, cloud, HANG_GUARD_MS, sessionOwnedBy } from '../helpers/raw-node.js';
import { waitFor } from '../helpers/wait.js';

afterEach(cleanupAll);

type Seen = Array<[string, Record<string, unknown>]>;

function record(node: NodeServer, seen: Seen): void {
  node.on('join', (e) => seen.push(['join', { ...e }]));
  node.on('leave', (e) => seen.push(['leave', { ...e }]));
  node.on('message', (e) => seen.push(['message', { ...e }]));
  node.on('migrated-in', (e) => seen.push(['migrated-in', { ...e }]));
}

function client(session: string, urls: string[], clientId: string, meta?: { name: string }): Client {
  const c = connect({ session, nodes: urls, clientId, ...(meta === undefined ? {} : { meta }) });
  cleanups.push(() => c.close());
  return c;
}

describe('node events', () => {
  it('join, message (with `to`), leave on the host; migrated-in (and no second join) on the next host', async () => {
    const nodes = await cloud(['a', 'b', 'c'], { secret: 'cloud-secret' });
    const [a, b, c] = nodes as [NodeServer, NodeServer, NodeServer];
    const seen = new Map<string, Seen>(nodes.map((n) => [n.id, []]));
    for (const n of nodes) record(n, seen.get(n.id) as Seen);
    const session = sessionOwnedBy('a', ['a', 'b', 'c'], 'events');
    const urls = [a.url, b.url, c.url];
    const ann = client(session, urls, 'ann', { name: 'Ann' });
    const bob = client(session, urls, 'bob');
    await Promise.all([ann.ready, bob.ready]);
    await waitFor('both see each other', () => ann.members.size === 1 && bob.members.size === 1, HANG_GUARD_MS);
    ann.send('hello all');
    ann.send(new Uint8Array([7]), { to: 'bob' });
    await ann.flush();
    const onA = seen.get('a') as Seen;
    expect(onA.filter(([kind]) => kind === 'join')).toEqual([
      ['join', { session, clientId: 'ann', meta: { name: 'Ann' } }],
      ['join', { session, clientId: 'bob', meta: null }],
    ]);
    expect(onA.filter(([kind]) => kind === 'message')).toEqual([
      ['message', { session, from: 'ann', seq: 1, to: undefined, data: 'hello all' }],
      ['message', { session, from: 'ann', seq: 2, to: 'bob', data: new Uint8Array([7]) }],
    ]);

    // The host drains: the session arrives elsewhere; its members are not joins there.
    await a.drain({ deadlineMs: 3000 });
    await waitFor('both moved', () => ann.state === 'connected' && bob.state === 'connected' && ann.node?.id !== 'a' && ann.node?.id === bob.node?.id, HANG_GUARD_MS);
    const next = seen.get(ann.node?.id ?? '') as Seen;
    await waitFor('migrated-in', () => next.some(([kind]) => kind === 'migrated-in'), HANG_GUARD_MS);
    expect(next.filter(([kind]) => kind === 'migrated-in')).toEqual([['migrated-in', { session, from: 'a' }]]);
    expect(next.filter(([kind]) => kind === 'join')).toEqual([]);

    await bob.close();
    await waitFor('the leave', () => next.some(([kind]) => kind === 'leave'), HANG_GUARD_MS);
    expect(next.filter(([kind]) => kind === 'leave')).toEqual([['leave', { session, clientId: 'bob', reason: 'bye' }]]);
  });

  it('a listener that throws is logged and skipped; delivery goes on', async () => {
    const lines: string[] = [];
    const logger = { debug() {}, info() {}, warn() {}, error: (message: string) => void lines.push(message) };
    const [a] = (await cloud(['a'], { logger })) as [NodeServer];
    a.on('message', () => {
      throw new Error('listener bug');
    });
    const ann = client('throwing', [a.url], 'ann');
    const bob = client('throwing', [a.url], 'bob');
    const got: unknown[] = [];
    bob.on('message', (data) => got.push(data));
    await Promise.all([ann.ready, bob.ready]);
    await waitFor('bob seen', () => ann.members.size === 1, HANG_GUARD_MS);
    ann.send('one');
    ann.send('two');
    await waitFor('both delivered', () => got.length === 2, HANG_GUARD_MS);
    expect(got).toEqual(['one', 'two']);
    expect(lines.filter((line) => line === 'a node event listener threw')).toHaveLength(2);
    expect(a.listenerCount('message')).toBe(1);
    a.removeAllListeners('message');
    expect(a.listenerCount('message')).toBe(0);
  });
});
