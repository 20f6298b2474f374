/**
 * The Node platform's cookie jar against a real HAProxy with the seeds' configuration: the sticky
 * cookie HAProxy inserts is kept and sent back (plain requests and WebSocket upgrades), a node's
 * own cookie chosen for one attempt wins over the jar's, and the 503 that the seed config answers
 * for a cookie naming a dead server drops that cookie, so the next request reaches a live backend.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createNodePlatform } from '../../src/platform/node/index.js';
import type { Platform, WebSocketLike } from '../../src/platform/types.js';
import { startProxiedCloud, type ProxiedCloud } from '../helpers/haproxy.js';
import { needing, requireTool } from '../helpers/tools.js';

const haveHaproxy = requireTool('haproxy') && requireTool('openssl');

let cloud: ProxiedCloud | undefined;
afterEach(async () => {
  await cloud?.stop();
  cloud = undefined;
});

interface Whoami {
  node: string;
  sticky?: boolean;
}

async function whoami(platform: Platform, url: string, cookie?: string): Promise<{ status: number; body: Whoami | undefined }> {
  const fetch = platform.fetch as NonNullable<Platform['fetch']>;
  const response = await fetch(`${url.replace(/^ws/, 'http')}/whoami`, { signal: AbortSignal.timeout(10_000), ...(cookie === undefined ? {} : { cookie }) });
  const body = (await response.json().catch(() => undefined)) as Whoami | undefined;
  return { status: response.status, body: response.status === 200 ? body : undefined };
}

function upgrade(platform: Platform, url: string, cookie?: string): Promise<WebSocketLike> {
  const ws = platform.openWebSocket(url, { protocols: ['gridlink.v1'], ...(cookie === undefined ? {} : { cookie }) });
  return new Promise((resolve, reject) => {
    ws.addEventListener('open', () => resolve(ws));
    ws.addEventListener('error', () => reject(new Error('upgrade failed')));
  });
}

describe.skipIf(!haveHaproxy)(needing('haproxy', 'behind HAProxy: the client cookie jar'), () => {
  it('keeps the inserted sticky cookie, sends it on later requests and upgrades, and a chosen cookie wins', async () => {
    cloud = await startProxiedCloud({ config: 'seed', ids: ['a', 'b'] });
    const platform = createNodePlatform();
    const first = await whoami(platform, cloud.url);
    expect(first.body?.sticky).toBe(false); // no cookie yet: round robin chose, HAProxy inserted one
    for (let i = 0; i < 4; i++) expect((await whoami(platform, cloud.url)).body).toMatchObject({ node: first.body?.node, sticky: true });
    // The upgrade carries it too: no round robin, the same backend.
    const ws = await upgrade(platform, cloud.url);
    ws.close();
    // A cookie chosen for one request (a node's, from the node list) wins over the jar's.
    const other = cloud.nodes.find((n) => n.id !== first.body?.node) as { id: string; cookie: string };
    expect((await whoami(platform, cloud.url, other.cookie)).body).toMatchObject({ node: other.id, sticky: true });
    expect((await whoami(platform, cloud.url)).body).toMatchObject({ node: first.body?.node, sticky: true });
    // Each client has its own jar.
    const stranger = await whoami(createNodePlatform(), cloud.url);
    expect(stranger.body?.sticky).toBe(false);
  });

  it('after an upgrade with a chosen cookie, bare reconnects go back to that backend', async () => {
    cloud = await startProxiedCloud({ config: 'seed', ids: ['a', 'b'] });
    const platform = createNodePlatform();
    const home = (await whoami(platform, cloud.url)).body?.node;
    const other = cloud.nodes.find((n) => n.id !== home) as { id: string; cookie: string };
    const ws = await upgrade(platform, cloud.url, other.cookie);
    ws.close();
    expect((await whoami(platform, cloud.url)).body).toMatchObject({ node: other.id, sticky: true });
  });

  it('drops the stale cookie when the seed config answers 503 for a dead server, then reaches a live one', async () => {
    cloud = await startProxiedCloud({ config: 'seed', ids: ['a', 'b'] });
    const platform = createNodePlatform();
    const home = (await whoami(platform, cloud.url)).body?.node as string;
    await cloud.kill(home);
    // The seed config has no health checks and no redispatch: the cookie pins us to the dead server.
    expect((await whoami(platform, cloud.url)).status).toBe(503);
    const next = await whoami(platform, cloud.url);
    expect(next.status).toBe(200);
    expect(next.body?.node).not.toBe(home);
    expect(next.body?.sticky).toBe(false); // the stale cookie was not sent again
  });
});
