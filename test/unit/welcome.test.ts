/** The welcome a node builds: the cloud's nodes by id, kept current when the node set changes in place (peers from DNS). */
import { describe, expect, it } from 'vitest';
import { createTokenSigner } from '../../src/server/clients/tokens.js';
import { welcomeBuilder } from '../../src/server/clients/welcome.js';
import type { HelloFrame } from '../../src/protocol/frames.js';
import type { WelcomeParts } from '../../src/server/sessions/session-host.js';

const info = (id: string) => ({ id, url: `ws://${id}.test:1` });
const parts: WelcomeParts = { members: [], base: {}, want: undefined, metas: {}, shared: {}, sharedLimits: { keys: 16, bytes: 1024 } };
const hello: HelloFrame = { t: 'hello', v: 1, session: 's', client: 'c', recv: {}, members: [] };

describe('welcomeBuilder', () => {
  it('lists the nodes by id, and the current set after it changes in place', () => {
    const nodes = [info('c'), info('a'), info('b')];
    const welcome = welcomeBuilder({ node: nodes[0]!, nodes, heartbeat: { intervalMs: 1000, timeoutMs: 10_000 }, tokens: createTokenSigner('k'.repeat(32), 60_000), maxFrameBytes: 65_536, maxMetaBytes: 1024 });
    const ids = () => welcome(hello, parts).nodes.map((node) => node.id);
    expect(ids()).toEqual(['a', 'b', 'c']);
    expect(ids()).toEqual(['a', 'b', 'c']);
    nodes.splice(1, 2, info('d'), info('b')); // a replaced by d, b re-created with the same id
    expect(ids()).toEqual(['b', 'c', 'd']);
    nodes.push(info('0'));
    expect(ids()).toEqual(['0', 'b', 'c', 'd']);
    nodes.splice(0, 1);
    expect(ids()).toEqual(['0', 'b', 'd']);
    expect(nodes.map((node) => node.id)).toEqual(['d', 'b', '0']); // the node's own list keeps its order
  });
});
