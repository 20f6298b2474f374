/**
 * A node that breaks the protocol costs the client that link only: it gets a typed error, leaves
 * for an honest node of the cloud, and never follows the hostile node outside the cloud.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Client, type GridlinkError } from '../../dist/node.js';
import { startLocalCloud, type LocalCloud } from '../../dist/server.js';
import { startHostileNode, welcomeFor, type HostileNode, type Misbehaviour } from '../helpers/hostile-node.js';
import { waitFor } from '../helpers/wait.js';

let cloud: LocalCloud;
let hostile: HostileNode | undefined;
let client: Client | undefined;

beforeAll(async () => {
  cloud = await startLocalCloud({ nodes: 2 });
});
afterAll(async () => {
  await cloud.stop();
});
afterEach(async () => {
  await client?.close();
  await hostile?.close();
  client = undefined;
  hostile = undefined;
});

/** Starts a hostile node first in the client's list, and an honest cloud after it. */
async function clientBehind(misbehave: Misbehaviour, session: string): Promise<{ client: Client; errors: GridlinkError[] }> {
  hostile = await startHostileNode(misbehave);
  const errors: GridlinkError[] = [];
  client = connect({ session, nodes: [hostile.url, ...cloud.urls], retry: { minDelayMs: 10, maxDelayMs: 50 } });
  client.on('error', (e) => errors.push(e));
  return { client, errors };
}

async function endsOnHonestNode(c: Client): Promise<void> {
  await c.ready;
  await waitFor('an honest node', () => c.state === 'connected' && c.node?.id !== 'hostile');
  expect(cloud.nodes.map((n) => n.id)).toContain(c.node?.id);
}

describe('hostile node', () => {
  it('garbage after the welcome is a protocol error; the client migrates to an honest node', async () => {
    const { client: c, errors } = await clientBehind((socket, hello, url) => {
      socket.send(welcomeFor(hello, url));
      setTimeout(() => socket.send('{"t":"msg","from":"x","seq":-4,"d":1}'), 50);
    }, 'garbage');
    await endsOnHonestNode(c);
    expect(errors.map((e) => e.code)).toContain('GRIDLINK_PROTOCOL');
  });

  it('a welcome for another session is refused and the next node is tried', async () => {
    const { client: c } = await clientBehind((socket, hello, url) => socket.send(welcomeFor({ ...hello, session: 'not-yours' }, url)), 'wrong-session');
    await endsOnHonestNode(c);
  });

  it('a redirect outside the cloud is not followed (GRIDLINK_FOREIGN_NODE)', async () => {
    const { client: c, errors } = await clientBehind(
      (socket) => socket.send(JSON.stringify({ t: 'redirect', node: { id: 'evil', url: 'ws://evil.example.com:7001' }, reason: 'trust me' })),
      'foreign-redirect',
    );
    await endsOnHonestNode(c);
    expect(errors.map((e) => e.code)).toContain('GRIDLINK_FOREIGN_NODE');
  });

  it('an advertised node list naming foreign hosts is filtered, with an error per refused entry', async () => {
    const { client: c, errors } = await clientBehind((socket, hello, url) => {
      socket.send(welcomeFor(hello, url, { nodes: [{ id: 'evil', url: 'wss://attacker.example.net/' }] }));
      setTimeout(() => socket.close(), 100);
    }, 'foreign-list');
    await endsOnHonestNode(c);
    expect(errors.map((e) => e.code)).toContain('GRIDLINK_FOREIGN_NODE');
  });

  it('a redirect loop stops at maxRedirects and the client moves on', async () => {
    const { client: c } = await clientBehind(
      (socket, _hello, url) => socket.send(JSON.stringify({ t: 'redirect', node: { id: 'hostile', url }, reason: 'loop' })),
      'loop',
    );
    await endsOnHonestNode(c);
    expect(hostile?.hellos).toBeLessThanOrEqual(4 * 3); // bounded: maxRedirects + 1 per round, few rounds
  });

  it('an oversized frame closes that link with GRIDLINK_FRAME_TOO_LARGE', async () => {
    const { client: c, errors } = await clientBehind((socket, hello, url) => {
      socket.send(welcomeFor(hello, url));
      setTimeout(() => socket.send(JSON.stringify({ t: 'msg', from: 'x', seq: 1, d: 'y'.repeat(2 * 1024 * 1024) })), 50);
    }, 'too-large');
    await endsOnHonestNode(c);
    expect(errors.map((e) => e.code)).toContain('GRIDLINK_FRAME_TOO_LARGE');
  });
});
