/**
 * The cookie jar on the wire: the interceptor, through the Node platform's fetch, against a real HTTP
 * server standing in for a proxy. The jar's own rules are unit-tested in test/unit/cookie-jar.test.ts.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createNodePlatform } from '../../src/platform/node/index.js';

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
