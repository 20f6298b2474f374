/**
 * `gridlink node --auth-jwt-secret-env`: real node processes admitting only clients whose token the
 * app's backend signed (here, jose in the test), first joins and migrations alike; refusals typed
 * (GRIDLINK_UNAUTHORIZED) and logged with a reason, the token never in the node's output. Every wait
 * is a hang guard, never a timing assertion.
 */
import { createServer as createHttpServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { connect, isGridlinkError, type Client, type ConnectOptions, type GridlinkError } from '../../dist/node.js';
import { jwtAuthenticator } from '../../dist/server.js';
import { freePorts } from '../helpers/ports.js';
import { run, type Proc } from '../helpers/spawn.js';
import { waitFor } from '../helpers/wait.js';

const CLI = new URL('../../dist/cli.js', import.meta.url).pathname;
const KEY = 'integration-test-hs256-key-0123456789abcdef';
const GUARD_MS = 15_000;
const procs: Proc[] = [];
const clients: Client[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  for (const p of procs.splice(0)) {
    p.child.kill('SIGKILL');
    await p.exited;
  }
});

/** Nodes peered with each other, each started with the same auth flags (the key in its env). */
async function cloud(ids: string[]): Promise<Map<string, Proc & { url: string }>> {
  const ports = await freePorts(ids.length);
  const urls = ids.map((_, i) => `ws://127.0.0.1:${ports[i]}`);
  const out = new Map<string, Proc & { url: string }>();
  ids.forEach((id, i) => {
    const peers = ids.flatMap((peer, j) => (j === i ? [] : ['--peer', `${peer}=${urls[j]}`]));
    const args = [CLI, 'node', '--id', id, '--port', String(ports[i]), ...peers, '--auth-jwt-secret-env', 'APP_JWT_KEY', '--auth-issuer', 'app', '--verbose'];
    const proc = run(process.execPath, args, { env: { APP_JWT_KEY: KEY, GRIDLINK_SECRET: 'cloud-secret' } });
    procs.push(proc);
    out.set(id, Object.assign(proc, { url: urls[i] as string }));
  });
  for (const proc of out.values()) await proc.waitForOutput('"event":"listening"', GUARD_MS);
  if (ids.length > 1) for (const proc of out.values()) await proc.waitForOutput(/alive peers changed.*"alive":\["\w+"\]/, GUARD_MS);
  return out;
}

function sign(claims: Record<string, unknown>, { key = KEY, expSec = 300 }: { key?: string; expSec?: number } = {}): Promise<string> {
  return new SignJWT({ iss: 'app', ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime(Math.floor(Date.now() / 1000) + expSec)
    .sign(new TextEncoder().encode(key));
}

function client(options: Omit<ConnectOptions, 'retry'>): Client {
  const c = connect({ retry: { minDelayMs: 20, maxDelayMs: 200, maxElapsedMs: 5000 }, connectTimeoutMs: 2000, ...options });
  clients.push(c);
  return c;
}

async function refused(c: Client): Promise<GridlinkError | undefined> {
  return c.ready.then(
    () => undefined,
    (error: unknown) => (isGridlinkError(error) ? error : undefined),
  );
}

describe('gridlink node --auth-jwt-secret-env', () => {
  it('admits a client with a token the backend signed; refuses a wrong key, session, issuer or client, never echoing the token', async () => {
    const nodes = await cloud(['a']);
    const a = nodes.get('a') as Proc & { url: string };
    const good = client({ session: 'room-1', clientId: 'ann', nodes: [a.url], token: await sign({ sessions: ['room-*'], sub: 'ann' }) });
    await good.ready;
    expect(good.state).toBe('connected');

    const bad = [
      await sign({ session: 'room-1' }, { key: 'another-key-that-is-long-enough-to-be-used!' }),
      await sign({ session: 'lobby' }),
      await sign({ session: 'room-1', iss: 'someone-else' }),
      await sign({ session: 'room-1', sub: 'ann' }),
    ];
    for (const token of bad) {
      const c = client({ session: 'room-1', clientId: 'mallory', nodes: [a.url], token });
      const error = await refused(c);
      expect(error?.code).toBe('GRIDLINK_UNAUTHORIZED');
      expect(error?.message).not.toContain(token);
      expect(error?.message).not.toContain('ann');
    }
    await a.waitForOutput(/client refused: token not accepted.*"reason":"client"/, GUARD_MS);
    for (const reason of ['signature', 'session', 'claims']) expect(a.output()).toContain(`"reason":"${reason}"`);
    for (const token of bad) expect(a.output()).not.toContain(token);
    expect(a.output()).not.toContain(KEY);
    // The honest member was not disturbed by the refusals.
    expect(good.state).toBe('connected');
  });

  it('with getToken, an expiring token is refreshed for the migration hello and the new node admits it', async () => {
    const nodes = await cloud(['a', 'b']);
    const urls = [...nodes.values()].map((n) => n.url);
    const minted: string[] = [];
    // The first token expires within the node's clock tolerance (5 s): valid to join, dead by the move.
    const c = client({
      session: 'room-2',
      clientId: 'bea',
      nodes: urls,
      getToken: async () => {
        const token = await sign({ session: 'room-2', sub: 'bea' }, { expSec: minted.length === 0 ? -2 : 300 });
        minted.push(token);
        return token;
      },
    });
    await c.ready;
    expect(minted).toHaveLength(1);
    const first = minted[0] as string;
    const local = jwtAuthenticator({ secret: KEY, issuer: 'app' });
    await waitFor('the first token to expire', async () => !(await local({ token: first, session: 'room-2', client: 'bea', address: '', resumed: false })), GUARD_MS);

    const hostId = c.node?.id ?? '';
    const host = nodes.get(hostId) as Proc & { url: string };
    const migrated = new Promise((resolve) => c.once('migrated', resolve));
    host.child.kill('SIGTERM');
    await migrated;
    expect(minted.length).toBeGreaterThan(1);
    expect(c.state).toBe('connected');
    expect(c.node?.id).not.toBe(hostId);

    // The control: the survivor refuses the expired first token outright.
    const survivor = [...nodes.values()].find((n) => n !== host) as Proc & { url: string };
    const stale = client({ session: 'room-2', clientId: 'bea-2', nodes: [survivor.url], token: first });
    expect((await refused(stale))?.code).toBe('GRIDLINK_UNAUTHORIZED');
    await survivor.waitForOutput(/"reason":"expired"/, GUARD_MS);
  });
});

describe('jwtAuthenticator with a JWKS URL', () => {
  it('fetches the key set once, picks keys by kid, and refuses a kid it does not hold', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] });
    let fetches = 0;
    const server = createHttpServer((_req, res) => {
      fetches += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as { port: number };
      const auth = jwtAuthenticator({ jwksUrl: `http://127.0.0.1:${port}/jwks.json`, allowHttpLoopbackJwks: true });
      const token = (kid: string): Promise<string> =>
        new SignJWT({ session: 's' }).setProtectedHeader({ alg: 'ES256', kid }).setExpirationTime('5m').sign(privateKey);
      const request = async (kid: string) => ({ token: await token(kid), session: 's', client: 'c', address: '127.0.0.1', resumed: false });
      expect(await auth(await request('k1'))).toBe(true);
      expect(await auth(await request('k1'))).toBe(true);
      expect(fetches).toBe(1);
      expect(await auth.verify(await request('unknown'))).toEqual({ ok: false, reason: 'signature' });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
