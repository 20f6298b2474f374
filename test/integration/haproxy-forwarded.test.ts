/**
 * Forwarded headers through a real HAProxy: a node believes X-Forwarded-For / X-Forwarded-Host only
 * from its trusted proxies (the seeds' "allowed IP addresses for frontends"); from anyone else, or
 * when it trusts no proxy, those headers are ignored. The client here connects from 127.0.0.2 so
 * that it is told apart from HAProxy (127.0.0.1) on loopback.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { closeAll, member, type Member } from '../helpers/members.js';
import { startProxiedCloud, type ConfigName, type ProxiedCloud } from '../helpers/haproxy.js';
import { needing, requireTool } from '../helpers/tools.js';
import { waitFor } from '../helpers/wait.js';

const haveHaproxy = requireTool('haproxy') && requireTool('openssl');

let cloud: ProxiedCloud | undefined;
let members: Member[] = [];
const agent = new Agent({ localAddress: '127.0.0.2' });

afterAll(() => agent.close());

afterEach(async () => {
  await closeAll(members);
  members = [];
  await cloud?.stop();
  cloud = undefined;
});

const SPOOFED = { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-host': 'evil.test' };

async function whoami(url: string, host: string): Promise<{ address: string; host: string; forwarded: boolean }> {
  const response = await request(`${url.replace(/^ws/, 'http')}/whoami`, { dispatcher: agent, headers: { host, ...SPOOFED } });
  expect(response.statusCode).toBe(200);
  return (await response.body.json()) as { address: string; host: string; forwarded: boolean };
}

async function start(config: ConfigName, trustedProxies: string[]): Promise<ProxiedCloud> {
  cloud = await startProxiedCloud({ config, ids: ['a', 'b'], trustedProxies });
  return cloud;
}

describe.skipIf(!haveHaproxy)(needing('haproxy', 'behind HAProxy: forwarded headers'), () => {
  it('through the trusted proxy (recommended config): the client address from X-Forwarded-For, the host the client asked for', async () => {
    const c = await start('recommended', ['127.0.0.1']);
    // HAProxy appends the address it saw; the spoofed hop on its left is the client's own claim.
    expect(await whoami(c.url, 'cloud.test')).toEqual(expect.objectContaining({ address: '127.0.0.2', host: 'cloud.test', forwarded: true }));
    // The WebSocket link records and logs the same.
    const [ann] = [member('ann', { session: 'fwd', nodes: [c.url] })];
    members.push(ann);
    await ann.client.ready;
    await waitFor('the link to be logged', () => c.log.some((r) => r.message === 'client link' && r.fields.client === 'ann'));
    const link = c.log.find((r) => r.message === 'client link' && r.fields.client === 'ann');
    expect(link?.fields).toMatchObject({ forwarded: true, address: '127.0.0.1', host: new URL(c.url).host });
  });

  it('the seed config passes a client-sent X-Forwarded-Host on; the recommended one overwrites it', async () => {
    const c = await start('seed', ['127.0.0.1']);
    expect(await whoami(c.url, 'cloud.test')).toEqual(expect.objectContaining({ address: '127.0.0.2', host: 'evil.test', forwarded: true }));
  });

  it('ignores forwarded headers from a peer that is not a trusted proxy', async () => {
    const c = await start('recommended', ['127.0.0.1']);
    // Straight to a node, bypassing the proxy, from an address it does not trust.
    const direct = await whoami(c.node('a').url, 'cloud.test');
    expect(direct).toEqual(expect.objectContaining({ address: '127.0.0.2', host: 'cloud.test', forwarded: false }));
  });

  it('ignores them even from the proxy when the node trusts no proxy', async () => {
    const c = await start('recommended', []);
    expect(await whoami(c.url, 'cloud.test')).toEqual(expect.objectContaining({ address: '127.0.0.1', host: 'cloud.test', forwarded: false }));
  });
});
