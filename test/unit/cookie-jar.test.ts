import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CookieJar } from '../../src/platform/node/cookie-jar.js';
import { parseCookieHeader } from '../../src/protocol/cookie-header.js';
import { createNodePlatform } from '../../src/platform/node/index.js';

const O = 'http://proxy.test:80';

describe('CookieJar', () => {
  it('stores Set-Cookie lines per origin and builds the Cookie header', () => {
    const jar = new CookieJar();
    jar.store(O, ['SRVNAME=S1; path=/', 'other=x; HttpOnly']);
    expect(jar.header(O, new Set())).toBe('SRVNAME=S1; other=x');
    expect(jar.header('http://proxy.test:81', new Set())).toBeUndefined(); // another port is another origin
    expect(jar.header(O, new Set(['SRVNAME']))).toBe('other=x');
  });

  it('replaces a cookie of the same name, and deletes on Max-Age=0 or a past Expires', () => {
    let now = 1_000_000;
    const jar = new CookieJar(() => now);
    jar.store(O, ['SRVNAME=S1', 'a=1; Max-Age=10', 'b=2']);
    jar.store(O, ['SRVNAME=S2', 'b=; Expires=Thu, 01 Jan 1970 00:00:00 GMT']);
    expect(jar.header(O, new Set())).toBe('a=1; SRVNAME=S2');
    now += 11_000;
    expect(jar.names(O)).toEqual(['SRVNAME']);
    jar.store(O, ['SRVNAME=; Max-Age=0']);
    expect(jar.header(O, new Set())).toBeUndefined();
  });

  it('ignores malformed and oversized lines, and stays bounded', () => {
    const jar = new CookieJar();
    jar.store(O, ['', '=nameless', `big=${'x'.repeat(5000)}`]);
    expect(jar.names(O)).toEqual([]);
    jar.store(O, Array.from({ length: 100 }, (_, i) => `c${i}=v`));
    expect(jar.names(O)).toHaveLength(32);
    for (let i = 0; i < 100; i++) jar.store(`http://h${i}.test`, ['a=b']);
    expect(jar.names('http://h0.test')).toEqual([]); // the oldest origins were forgotten
    expect(jar.names('http://h99.test')).toEqual(['a']);
  });

  it('drops and adopts', () => {
    const jar = new CookieJar();
    jar.store(O, ['SRVNAME=S1', 'keep=1']);
    jar.drop(O, ['SRVNAME']);
    expect(jar.header(O, new Set())).toBe('keep=1');
    jar.adopt(O, 'SRVNAME', 'S3');
    expect(jar.value(O, 'SRVNAME')).toBe('S3');
  });

  it('parses a Cookie request header', () => {
    expect(parseCookieHeader('a=1; SRVNAME=S2;junk; =x')).toEqual([['a', '1'], ['SRVNAME', 'S2']]);
  });
});

// The interceptor, through the Node platform's fetch, against a real HTTP server standing in for a proxy.
describe('cookie interceptor (Node platform)', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  async function proxy(answer: (cookie: string | undefined) => { status: number; setCookie?: string[] }): Promise<{ url: string; seen: Array<string | undefined> }> {
    const seen: Array<string | undefined> = [];
    server = createServer((req, res) => {
      seen.push(req.headers.cookie);
      const { status, setCookie } = answer(req.headers.cookie);
      res.writeHead(status, setCookie === undefined ? {} : { 'set-cookie': setCookie }).end('{}');
    });
    await new Promise<void>((resolve) => (server as Server).listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/healthz`, seen };
  }

  const get = async (platform: ReturnType<typeof createNodePlatform>, url: string, cookie?: string): Promise<number> => {
    const response = await (platform.fetch as NonNullable<typeof platform.fetch>)(url, { signal: AbortSignal.timeout(5000), ...(cookie === undefined ? {} : { cookie }) });
    await response.json().catch(() => undefined);
    return response.status;
  };

  it('sends back what was set, lets a chosen cookie win by name, and drops the cookies a 503 answered', async () => {
    let dead = false;
    const { url, seen } = await proxy((cookie) => {
      if (dead && cookie?.includes('SRVNAME=S1') === true) return { status: 503 };
      return cookie?.includes('SRVNAME') === true ? { status: 200 } : { status: 200, setCookie: ['SRVNAME=S1; path=/', 'pref=dark'] };
    });
    const platform = createNodePlatform();
    expect(await get(platform, url)).toBe(200);
    expect(await get(platform, url)).toBe(200);
    expect(await get(platform, url, 'SRVNAME=S2')).toBe(200);
    dead = true;
    expect(await get(platform, url)).toBe(503);
    // Which of the sent cookies pinned the dead server, the jar cannot tell: they all go.
    expect(await get(platform, url)).toBe(200);
    expect(seen).toEqual([undefined, 'SRVNAME=S1; pref=dark', 'SRVNAME=S2; pref=dark', 'SRVNAME=S1; pref=dark', undefined]);
  });

  it('keeps one jar per platform (per client)', async () => {
    const { url, seen } = await proxy(() => ({ status: 200, setCookie: ['SRVNAME=S1'] }));
    await get(createNodePlatform(), url);
    await get(createNodePlatform(), url);
    expect(seen).toEqual([undefined, undefined]);
  });
});
