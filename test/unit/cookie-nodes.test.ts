import { describe, expect, it } from 'vitest';
import { parseNodeArgs } from '../../src/cli/node-args.js';
import { decodeNodeFrame, isCookiePair } from '../../src/protocol/codec.js';
import { NodeList, nodeKey } from '../../src/resolve/node-list.js';
import { Cooldown } from '../../src/core/cooldown.js';
import { assignedPolicy } from '../../src/choose/policy.js';
import { withCooldown } from '../../src/choose/with-cooldown.js';
import { normalizeOptions } from '../../src/server/node/options.js';
import { publicPeer, publicSelf } from '../../src/server/node/proxy-view.js';

const PROXY = 'ws://cloud.example.com/';
const limits = { maxFrameBytes: 1 << 20 };

describe('NodeInfo.cookie on the wire', () => {
  it('accepts exactly one name=value pair', () => {
    for (const good of ['SRVNAME=S1', 'a=b', 'x_y=1.2-3']) expect(isCookiePair(good)).toBe(true);
    for (const bad of ['', 'a=', '=b', 'a=b; c=d', 'a=b c', 'a b=c', 'a="q"', 'a=b,c', 'a=\u00e9', `a=${'x'.repeat(300)}`, 42]) {
      expect(isCookiePair(bad)).toBe(false);
    }
  });

  it('decodes a redirect with a cookie and refuses a malformed one', () => {
    const frame = decodeNodeFrame(JSON.stringify({ t: 'redirect', node: { id: 'b', url: PROXY, cookie: 'SRVNAME=S2' }, reason: 'not-host' }), limits);
    expect(frame).toEqual({ t: 'redirect', node: { id: 'b', url: PROXY, cookie: 'SRVNAME=S2' }, reason: 'not-host' });
    expect(() => decodeNodeFrame(JSON.stringify({ t: 'redirect', node: { id: 'b', url: PROXY, cookie: 'S=1\r\nX: y' }, reason: 'x' }), limits)).toThrow(/cookie/);
    expect(() => decodeNodeFrame(JSON.stringify({ t: 'drain', deadlineMs: 5, to: { id: 'b', url: PROXY, cookie: 7 } }), limits)).toThrow(/cookie/);
  });
});

describe('NodeList behind a proxy', () => {
  const list = () => new NodeList({ hosts: new Set(['cloud.example.com']), zones: [] }, 64);
  const behind = [
    { id: 'a', url: PROXY, cookie: 'SRVNAME=S1' },
    { id: 'b', url: PROXY, cookie: 'SRVNAME=S2' },
  ];

  it('keeps one URL with different cookies as different nodes, the bare proxy entry last', () => {
    const nl = list();
    nl.setResolved([{ id: PROXY, url: PROXY }]);
    nl.learnId(PROXY, 'a'); // the welcome of node a, reached through the bare URL
    nl.setAdvertised(behind);
    expect(nl.all()).toEqual([...behind, { id: PROXY, url: PROXY }]);
    expect(new Set(nl.all().map(nodeKey)).size).toBe(3);
  });

  it('checks a redirect target and keeps its cookie', () => {
    const nl = list();
    nl.setResolved([{ id: PROXY, url: PROXY }]);
    expect(nl.check({ id: 'b', url: 'ws://cloud.example.com', cookie: 'SRVNAME=S2' }, 'test')).toEqual({ id: 'b', url: PROXY, cookie: 'SRVNAME=S2' });
    expect(() => nl.check({ id: 'x', url: 'ws://evil.test/', cookie: 'SRVNAME=S2' }, 'test')).toThrow(/outside/);
  });

  it('cooldown is per entry, and a node that failed this migration goes after the ready ones', () => {
    const cooldown = new Cooldown({ baseMs: 1000, maxMs: 1000 }, () => 0);
    const bare = { id: PROXY, url: PROXY };
    const [a, b] = behind as [typeof behind[0], typeof behind[0]];
    cooldown.fail(nodeKey(bare)); // the link died on the bare proxy URL, having landed on a
    const policy = withCooldown(assignedPolicy, cooldown);
    expect(policy.rank([bare, a, b], { session: 's', failed: new Set(['a']) })).toEqual([b, a, bare]);
  });

  it('nodeKey is the URL alone without a cookie (as before)', () => {
    expect(nodeKey({ id: 'a', url: PROXY })).toBe(PROXY);
    expect(nodeKey(behind[0] as { id: string; url: string; cookie: string })).not.toBe(PROXY);
  });
});

describe('a node behind a proxy', () => {
  it('names itself and its peers by the proxy URL and their cookies', () => {
    const proxy = { url: 'wss://cloud.example.com', cookie: 'SRVNAME=S1' };
    expect(publicSelf({ id: 'a', url: 'ws://10.0.0.1:7620' }, proxy)).toEqual({ id: 'a', url: proxy.url, cookie: 'SRVNAME=S1' });
    expect(publicPeer({ id: 'b', url: 'ws://10.0.0.2:7620', cookie: 'SRVNAME=S2' }, proxy)).toEqual({ id: 'b', url: proxy.url, cookie: 'SRVNAME=S2' });
    expect(publicPeer({ id: 'c', url: 'ws://10.0.0.3:7620' }, proxy)).toEqual({ id: 'c', url: 'ws://10.0.0.3:7620' });
    expect(publicSelf({ id: 'a', url: 'ws://10.0.0.1:7620' }, undefined)).toEqual({ id: 'a', url: 'ws://10.0.0.1:7620' });
  });

  it('checks proxy, peer cookies and trusted proxies, naming the option', () => {
    const base = { id: 'a', peers: [{ id: 'b', url: 'ws://10.0.0.2:7620', cookie: 'SRVNAME=S2' }] };
    const ok = normalizeOptions({ ...base, proxy: { url: 'wss://cloud.example.com', cookie: 'SRVNAME=S1' }, trustedProxies: ['10.0.0.100', '10.1.0.0/16'] });
    expect(ok.proxy).toEqual({ url: 'wss://cloud.example.com', cookie: 'SRVNAME=S1' });
    expect(ok.trustedProxies).toEqual(['10.0.0.100', '10.1.0.0/16']);
    expect(() => normalizeOptions(base)).toThrow(/peers\[\]\.cookie is set but proxy is not/);
    expect(() => normalizeOptions({ ...base, proxy: { url: 'https://x', cookie: 'SRVNAME=S1' } })).toThrow(/proxy\.url/);
    expect(() => normalizeOptions({ ...base, proxy: { url: 'wss://x', cookie: 'S1' } })).toThrow(/proxy\.cookie/);
    expect(() => normalizeOptions({ ...base, proxy: { url: 'wss://x', cookie: 'OTHER=S1' } })).toThrow(/peers\[0\]\.cookie must use the proxy's cookie name/);
    expect(() => normalizeOptions({ id: 'a', trustedProxies: ['10.0.0.0/33'] })).toThrow(/trustedProxies\[0\]/);
  });

  it('takes the proxy flags on the command line', () => {
    const parsed = parseNodeArgs(['--id', 'a', '--peer', 'b=ws://10.0.0.2:7620', '--proxy-url', 'wss://cloud.example.com', '--proxy-cookie', 'SRVNAME=S1',
      '--peer-cookie', 'b=SRVNAME=S2', '--trusted-proxy', '10.0.0.100']);
    expect(parsed).toMatchObject({ kind: 'run', options: { proxy: { url: 'wss://cloud.example.com', cookie: 'SRVNAME=S1' }, trustedProxies: ['10.0.0.100'],
      peers: [{ id: 'b', url: 'ws://10.0.0.2:7620', cookie: 'SRVNAME=S2' }] } });
    expect(() => parseNodeArgs(['--id', 'a', '--proxy-url', 'wss://x'])).toThrow(/go together/);
    expect(() => parseNodeArgs(['--id', 'a', '--peer-cookie', 'b=S=1'])).toThrow(/needs --proxy-url/);
    expect(() => parseNodeArgs(['--id', 'a', '--proxy-url', 'wss://x', '--proxy-cookie', 'S=1', '--peer-cookie', 'zz=S=2'])).toThrow(/--peer id/);
    expect(() => parseNodeArgs(['--id', 'a', '--trusted-proxy', 'nope'])).toThrow(/--trusted-proxy/);
  });
});
