/**
 * The early hello (docs/protocol.md "Handshake"): a hello sent with the upgrade, in the
 * `gridlink-hello` header, is answered without a hello frame; anything wrong with it leaves the
 * connection on `gridlink.v1`, where the hello frame is judged as always. Real nodes in-process, raw
 * `ws` clients, and the Node client against a real node.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../src/node.js';
import { cleanupAll, cleanups, cloud, hello, node, RawClient, sessionOwnedBy } from '../helpers/raw-node.js';

afterEach(cleanupAll);

const header = (frame: unknown): string => Buffer.from(JSON.stringify(frame)).toString('base64url');

describe('the early hello', () => {
  it('a node takes a hello sent with the upgrade: it selects gridlink.v1.hello and welcomes with no frame from the client', async () => {
    const a = await node({ id: 'a' });
    const c = await RawClient.open(a.url, header(hello('room', 'alice')));
    expect(c.ws.protocol).toBe('gridlink.v1.hello');
    const welcome = await c.next();
    expect(welcome).toMatchObject({ t: 'welcome', session: 'room', client: 'alice', node: { id: 'a' } });
    // The link is a link like any other: a ping is answered.
    await c.sync();
    expect(a.stats()).toMatchObject({ links: 1, members: 1 });
  });

  it('an early hello for a session hosted elsewhere is redirected, as a hello frame would be', async () => {
    const [a, b] = await cloud(['a', 'b']);
    const session = sessionOwnedBy('b', ['a', 'b']);
    const c = await RawClient.open(a!.url, header(hello(session, 'alice')));
    expect(c.ws.protocol).toBe('gridlink.v1.hello');
    expect(await c.next()).toMatchObject({ t: 'redirect', node: { id: 'b', url: b!.url } });
  });

  it('a malformed or invalid early hello is ignored: the node selects gridlink.v1 and judges the hello frame', async () => {
    const a = await node({ id: 'a' });
    for (const bad of ['not base64url JSON!', header({ t: 'hello', v: 1 }), header({ t: 'msg', d: 'x' }), header(hello('room', 'x'.repeat(300)))]) {
      const c = await RawClient.open(a.url, bad);
      expect(c.ws.protocol).toBe('gridlink.v1');
      // Nothing was taken: the node waits for the first frame, and judges it.
      c.send({ t: 'msg', d: 'before hello' });
      expect(await c.next()).toMatchObject({ t: 'error', code: 'protocol' });
      expect((await c.closed).code).toBe(4001);
    }
    // And a valid hello frame after an ignored header joins as always.
    const c = await RawClient.open(a.url, 'garbage');
    c.send(hello('room', 'bob'));
    expect(await c.next()).toMatchObject({ t: 'welcome', client: 'bob' });
  });

  it('the Node client sends its hello with the upgrade, and joins and fails over as before', async () => {
    const links: Array<Record<string, unknown>> = [];
    const logger = { debug: (message: string, fields?: Record<string, unknown>) => void (message === 'client link' && links.push(fields ?? {})), info: () => {}, warn: () => {}, error: () => {} };
    const nodes = await cloud(['a', 'b'], { logger });
    const session = sessionOwnedBy('a', ['a', 'b']);
    const client = connect({ session, nodes: nodes.map((n) => n.url), clientId: 'me' });
    cleanups.push(() => client.close());
    await client.ready;
    expect(client.node?.id).toBe('a');
    const moved = new Promise((resolve) => client.once('migrated', resolve));
    await nodes[0]!.close();
    await moved;
    expect(client.node?.id).toBe('b');
    // Every link the client opened, the join and the migration's, took its hello with the upgrade.
    expect(links.length).toBeGreaterThanOrEqual(2);
    expect(links.every((fields) => fields.client === 'me' && fields.early === true)).toBe(true);
  });
});
