/**
 * The client's lifecycle against real nodes: ready, close (members are told), abort, a cloud that
 * cannot be reached, and the bounded send buffer while migrating.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, isGridlinkError, type GridlinkError } from '../../dist/node.js';
import { startLocalCloud, type LocalCloud } from '../../dist/server.js';
import { closeAll, member, type Member } from '../helpers/members.js';
import { waitFor } from '../helpers/wait.js';

let cloud: LocalCloud;
const members: Member[] = [];

beforeAll(async () => {
  cloud = await startLocalCloud({ nodes: 2 });
});

afterAll(async () => {
  await closeAll(members);
  await cloud.stop();
});

describe('lifecycle', () => {
  it('joins, reports the hosting node, and tells other members when one closes', async () => {
    const ann = member('ann', { session: 'life', nodes: cloud.urls });
    const bob = member('bob', { session: 'life', nodes: cloud.urls });
    members.push(ann, bob);
    await Promise.all([ann.client.ready, bob.client.ready]);
    expect(ann.client.state).toBe('connected');
    expect(ann.client.node?.id).toBe(cloud.hostOf('life')?.id);
    await waitFor('ann to see bob', () => ann.client.members.has('bob'));
    const left = new Promise<{ clientId: string }>((resolve) => ann.client.once('left', resolve));
    await bob.client.close();
    expect((await left).clientId).toBe('bob');
    expect(bob.client.state).toBe('closed');
    expect(() => bob.client.send('late')).toThrowError(expect.objectContaining({ code: 'GRIDLINK_CLOSED' }));
  });

  it('delivers binary and volatile messages, and reports their kind', async () => {
    const ann = member('ann2', { session: 'kinds', nodes: cloud.urls });
    const bob = member('bob2', { session: 'kinds', nodes: cloud.urls });
    members.push(ann, bob);
    await Promise.all([ann.client.ready, bob.client.ready]);
    await waitFor('ann to see bob', () => ann.client.members.has('bob2'));
    const got: Array<{ data: unknown; volatile: boolean }> = [];
    bob.client.on('message', (data, meta) => got.push({ data, volatile: meta.volatile }));
    ann.client.send(new Uint8Array([0, 1, 2, 255]));
    expect(ann.client.send('fast', { volatile: true })).toBe(true);
    await waitFor('both messages', () => got.length === 2);
    expect(got[0]?.data).toEqual(new Uint8Array([0, 1, 2, 255]));
    expect(got[0]?.volatile).toBe(false);
    expect(got[1]).toEqual({ data: 'fast', volatile: true });
  });

  it('aborting the signal closes the client and rejects a pending ready', async () => {
    const controller = new AbortController();
    const client = connect({ session: 'abort', nodes: cloud.urls, signal: controller.signal });
    const reasons: string[] = [];
    client.on('state', (_state, change) => reasons.push(change.reason.code));
    controller.abort();
    const error = await client.ready.then(() => undefined, (e: unknown) => e);
    expect(isGridlinkError(error)).toBe(true);
    expect(['GRIDLINK_CLOSED', 'GRIDLINK_ABORTED']).toContain((error as GridlinkError).code);
    expect(client.state).toBe('closed');
    expect(reasons).toEqual(['aborted']);
  });

  it('rejects ready with GRIDLINK_NO_NODES when no node of the cloud answers', async () => {
    const client = connect({
      session: 'nowhere',
      nodes: ['ws://127.0.0.1:9', 'ws://127.0.0.1:1'],
      retry: { minDelayMs: 10, maxDelayMs: 20, maxElapsedMs: 300 },
    });
    const states: string[] = [];
    client.on('state', (s) => states.push(s));
    const error = await client.ready.then(() => undefined, (e: unknown) => e);
    expect((error as GridlinkError).code).toBe('GRIDLINK_NO_NODES');
    expect(states).toEqual(['failed']);
  });

  it('buffers sends while migrating and refuses them with GRIDLINK_BUFFER_FULL past maxBufferedBytes', async () => {
    const ann = member('ann3', { session: 'buffer', nodes: cloud.urls, maxBufferedBytes: 2048, heartbeat: { intervalMs: 200, timeoutMs: 5000 } });
    const bob = member('bob3', { session: 'buffer', nodes: cloud.urls });
    members.push(ann, bob);
    await Promise.all([ann.client.ready, bob.client.ready]);
    const host = ann.client.node?.id as string;
    cloud.blackhole(host); // acks stop: everything ann sends now stays in her buffer
    let refused: unknown;
    let accepted = 0;
    for (let i = 0; i < 200 && refused === undefined; i++) {
      try {
        ann.client.send(`ann3:${i + 1}`);
        accepted++;
      } catch (error) {
        refused = error;
      }
    }
    expect((refused as GridlinkError).code).toBe('GRIDLINK_BUFFER_FULL');
    expect(accepted).toBeGreaterThan(0);
    cloud.heal(host);
    // Nothing accepted was dropped: bob gets all of it once the link is back or moved.
    await waitFor('bob to get what ann buffered', () => (bob.received.get('ann3') ?? []).length >= accepted);
    expect(bob.received.get('ann3')).toEqual(Array.from({ length: accepted }, (_, i) => i + 1));
  });
});
