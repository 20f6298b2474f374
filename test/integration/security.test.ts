/**
 * The security of failover against real nodes on loopback: resume tokens bound to their session,
 * client and lifetime (across nodes of one cloud, refused by another cloud); client authentication
 * (`token`/`getToken` and the node's `authenticate` hook), first joins and migrations alike; the
 * per-address join rate limit. Every wait is a hang guard, never a timing assertion.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { connect, isGridlinkError, type Client, type ConnectOptions, type GridlinkError } from '../../src/node.js';
import { startNode, type NodeServer, type NodeServerOptions } from '../../src/server/node/node-server.js';
import type { AuthenticateRequest } from '../../src/server/node/options.js';
import { sleep, waitFor } from '../helpers/wait.js';

type Frame = { t: string; [key: string]: unknown };

const GUARD_MS = 5000;
const nodes: NodeServer[] = [];
const sockets: WebSocket[] = [];
const clients: Client[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  for (const ws of sockets.splice(0)) ws.terminate();
  await Promise.all(nodes.splice(0).map((n) => n.close()));
});

async function node(options: NodeServerOptions): Promise<NodeServer> {
  const started = await startNode(options);
  nodes.push(started);
  return started;
}

function client(options: Omit<ConnectOptions, 'retry'> & { retry?: ConnectOptions['retry'] }): Client {
  const c = connect({ retry: { minDelayMs: 20, maxDelayMs: 100, maxElapsedMs: 3000 }, connectTimeoutMs: 1000, ...options });
  clients.push(c);
  return c;
}

/** A raw WebSocket speaking frames by hand; `first()` is the node's answer to our hello. */
class Raw {
  private readonly frames: Frame[] = [];
  readonly closed: Promise<number>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => this.frames.push(JSON.parse(data.toString()) as Frame));
    ws.on('error', () => {});
    this.closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
  }

  static async open(url: string, headers: Record<string, string> = {}): Promise<Raw> {
    const ws = new WebSocket(url, 'gridlink.v1', { headers });
    sockets.push(ws);
    const raw = new Raw(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return raw;
  }

  static async hello(url: string, frame: Frame, headers: Record<string, string> = {}): Promise<{ raw: Raw; answer: Frame }> {
    const raw = await Raw.open(url, headers);
    raw.ws.send(JSON.stringify(frame));
    return { raw, answer: await raw.first() };
  }

  async first(): Promise<Frame> {
    await waitFor('an answer to hello', () => this.frames.length > 0, GUARD_MS);
    return this.frames.shift() as Frame;
  }
}

function hello(session: string, client: string, extra: Partial<Frame> = {}): Frame {
  return { t: 'hello', v: 1, session, client, recv: {}, members: [], ...extra };
}

async function welcomed(url: string, session: string, clientId: string, extra: Partial<Frame> = {}): Promise<{ raw: Raw; resume: string }> {
  const { raw, answer } = await Raw.hello(url, hello(session, clientId, extra));
  if (answer.t !== 'welcome') throw new Error(`expected welcome, got ${JSON.stringify(answer)}`);
  return { raw, resume: answer.resume as string };
}

async function refusal(url: string, frame: Frame): Promise<{ code: unknown; close: number }> {
  const { raw, answer } = await Raw.hello(url, frame);
  expect(answer.t).toBe('error');
  return { code: answer.code, close: await raw.closed };
}

describe('resume tokens: a token proves one client of one session, for a while, in one cloud', () => {
  it('refuses, on another node of the same cloud, a token issued for another client or session', async () => {
    const a = await node({ id: 'a', secret: 'cloud-secret' });
    const b = await node({ id: 'b', secret: 'cloud-secret' });
    const aliceOnB = await welcomed(b.url, 'room', 'alice');
    const bobToken = (await welcomed(a.url, 'room', 'bob')).resume;
    const otherSessionToken = (await welcomed(a.url, 'lobby', 'alice')).resume;
    const aliceToken = (await welcomed(a.url, 'room', 'alice')).resume;

    expect(await refusal(b.url, hello('room', 'alice', { resume: bobToken }))).toEqual({ code: 'rejected', close: 4004 });
    expect(await refusal(b.url, hello('room', 'alice', { resume: otherSessionToken }))).toEqual({ code: 'rejected', close: 4004 });
    // The control: alice's own token, from a sibling node, takes her id over.
    await welcomed(b.url, 'room', 'alice', { resume: aliceToken });
    expect(await aliceOnB.raw.closed).toBe(4005);
  });

  it('refuses an expired token', async () => {
    const a = await node({ id: 'a', secret: 'cloud-secret', tokenTtlMs: 1000 });
    const b = await node({ id: 'b', secret: 'cloud-secret' });
    await welcomed(b.url, 'room', 'alice');
    const token = (await welcomed(a.url, 'room', 'alice')).resume;
    await sleep(1100);
    expect(await refusal(b.url, hello('room', 'alice', { resume: token }))).toEqual({ code: 'rejected', close: 4004 });
  });

  it('refuses a valid token issued by a node with another secret', async () => {
    const a = await node({ id: 'a', secret: 'cloud-secret' });
    const other = await node({ id: 'x', secret: 'another-cloud' });
    await welcomed(other.url, 'room', 'alice');
    const token = (await welcomed(a.url, 'room', 'alice')).resume;
    expect(await refusal(other.url, hello('room', 'alice', { resume: token }))).toEqual({ code: 'rejected', close: 4004 });
  });
});

describe('authentication', () => {
  it('sends the token in every hello; the hook sees first joins and migrations (resumed)', async () => {
    const seen: AuthenticateRequest[] = [];
    const authenticate = (request: AuthenticateRequest): boolean => {
      seen.push(request);
      return request.token === 'good';
    };
    const [a, b] = (await peered(['a', 'b'], { authenticate })) as [NodeServer, NodeServer];
    let calls = 0;
    const c = client({ session: 'room', clientId: 'ann', nodes: [a.url, b.url], getToken: async () => (++calls, 'good') });
    await c.ready;
    expect(seen.at(-1)).toEqual({ token: 'good', session: 'room', client: 'ann', address: '127.0.0.1', resumed: false });
    const before = calls;
    const host = c.node?.id === 'a' ? a : b;
    const migrated = new Promise((resolve) => c.once('migrated', resolve));
    await host.close();
    nodes.splice(nodes.indexOf(host), 1);
    await migrated;
    // getToken is asked again for the migration's hello, and the new node knows the client resumes.
    expect(calls).toBeGreaterThan(before);
    expect(seen.at(-1)).toMatchObject({ token: 'good', client: 'ann', resumed: true });
  });

  it('a refused token fails the client with GRIDLINK_UNAUTHORIZED (final), without echoing it', async () => {
    const a = await node({ id: 'a', authenticate: ({ token }) => token === 'good' });
    const c = client({ session: 'room', nodes: [a.url], token: 'SECRET-TOKEN-wrong' });
    const error = await c.ready.then(() => undefined, (e: unknown) => e as GridlinkError);
    expect(isGridlinkError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'GRIDLINK_UNAUTHORIZED', retriable: false, name: 'ConnectError' });
    expect(error?.message).not.toContain('SECRET-TOKEN');
    expect(c.state).toBe('failed');
  });

  it('with getToken, a refused token is retried with a fresh one', async () => {
    const a = await node({ id: 'a', authenticate: ({ token }) => token === 'fresh' });
    const tokens = ['expired', 'fresh'];
    const c = client({ session: 'room', nodes: [a.url], getToken: () => tokens.shift() ?? 'fresh' });
    await c.ready;
    expect(tokens).toEqual([]);
  });

  it('a getToken that throws fails that attempt only; one that hangs never hangs the client', async () => {
    const a = await node({ id: 'a', authenticate: ({ token }) => token === 'good' });
    let calls = 0;
    const flaky = client({
      session: 'room',
      nodes: [a.url],
      getToken: () => {
        if (++calls === 1) throw new Error('token service down');
        return 'good';
      },
    });
    await flaky.ready;
    expect(calls).toBe(2);

    const hanging = client({ session: 'room', nodes: [a.url], connectTimeoutMs: 100, retry: { minDelayMs: 10, maxDelayMs: 20, maxElapsedMs: 300 }, getToken: () => new Promise<string>(() => {}) });
    const error = await hanging.ready.then(() => undefined, (e: unknown) => e as GridlinkError);
    expect(isGridlinkError(error)).toBe(true);
    expect(hanging.state).toBe('failed');
    expect(String((error?.cause as Error | undefined)?.message)).toContain('getToken() did not resolve');
  });

  it('a hook that throws refuses (unauthorized); one slower than the handshake answers busy', async () => {
    const a = await node({
      id: 'a',
      heartbeat: { intervalMs: 100, timeoutMs: 300 },
      authenticate: ({ token }) => {
        if (token === 'slow') return new Promise<boolean>(() => {});
        throw new Error(`no such user for ${String(token)}`);
      },
    });
    expect(await refusal(a.url, hello('room', 'ann', { token: 'boom' }))).toEqual({ code: 'unauthorized', close: 4004 });
    expect(await refusal(a.url, hello('room', 'ann', { token: 'slow' }))).toEqual({ code: 'busy', close: 1013 });
  });

  it('refuses an oversized token as a protocol error', async () => {
    const a = await node({ id: 'a' });
    expect(await refusal(a.url, hello('room', 'ann', { token: 'x'.repeat(4097) }))).toEqual({ code: 'protocol', close: 4001 });
  });
});

describe('join rate limit per address', () => {
  it('answers a burst of hellos from one address with busy (1013); a normal client still gets in', async () => {
    const a = await node({ id: 'a', maxJoinsPerSecond: 5 });
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => Raw.hello(a.url, hello('burst', `c${i}`))));
    const busy = answers.filter(({ answer }) => answer.t === 'error' && answer.code === 'busy');
    expect(busy.length).toBeGreaterThanOrEqual(5);
    expect(await busy[0]?.raw.closed).toBe(1013);
    // Still over the limit right now: the client hears busy, backs off, and joins once it refills.
    const c = client({ session: 'after', nodes: [a.url], retry: { minDelayMs: 50, maxDelayMs: 300, maxElapsedMs: 10_000 } });
    await c.ready;
    expect(c.state).toBe('connected');
  });

  it('members resuming with their tokens have a bucket of their own (10x): a failover storm from one address gets in, strangers do not', async () => {
    const a = await node({ id: 'a', maxJoinsPerSecond: 1 }); // fresh: bursts of 2; resumed: bursts of 20
    const members: Array<{ id: string; raw: Raw; resume: string }> = [];
    for (let i = 0; i < 2; i++) members.push({ id: `m${i}`, ...(await welcomed(a.url, 'storm', `m${i}`)) });
    // The fresh bucket is empty now; 20 resumed hellos at once (each member ten times) all get in.
    const resumed = await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        const member = members[i % 2]!;
        return Raw.hello(a.url, hello('storm', member.id, { resume: member.resume }));
      }),
    );
    expect(resumed.map(({ answer }) => answer.t)).toEqual(Array.from({ length: 20 }, () => 'welcome'));
    // Strangers, and forged tokens, are fresh joins: at 1/s, a burst of them meets busy.
    const strangers = await Promise.all([
      ...Array.from({ length: 4 }, (_, i) => Raw.hello(a.url, hello('storm', `stranger${i}`))),
      ...Array.from({ length: 4 }, () => Raw.hello(a.url, hello('storm', 'm0', { resume: `${members[0]!.resume}x` }))),
    ]);
    const busy = strangers.map(({ answer }) => answer.t === 'error' && answer.code === 'busy');
    expect(busy.filter(Boolean).length).toBeGreaterThanOrEqual(6);
  });

  it('counts per client address as a trusted proxy forwards it', async () => {
    const a = await node({ id: 'a', maxJoinsPerSecond: 2, trustedProxies: ['127.0.0.1'] });
    const from = (address: string): Record<string, string> => ({ 'x-forwarded-for': address });
    const answers = [];
    for (let i = 0; i < 8; i++) answers.push((await Raw.hello(a.url, hello('burst', `c${i}`), from('10.0.0.1'))).answer.t);
    expect(answers).toContain('error');
    expect((await Raw.hello(a.url, hello('burst', 'other'), from('10.0.0.2'))).answer.t).toBe('welcome');
  });
});

/** Peered nodes on fixed ports, returned once each sees the others. */
async function peered(ids: string[], extra: Partial<NodeServerOptions>): Promise<NodeServer[]> {
  const { createServer } = await import('node:net');
  const ports = await Promise.all(
    ids.map(
      () =>
        new Promise<number>((resolve) => {
          const server = createServer().listen(0, '127.0.0.1', () => {
            const { port } = server.address() as { port: number };
            server.close(() => resolve(port));
          });
        }),
    ),
  );
  const peers = ids.map((id, i) => ({ id, url: `ws://127.0.0.1:${ports[i]}` }));
  const started = await Promise.all(ids.map((id, i) => node({ id, port: ports[i], peers, secret: 'cloud-secret', ...extra })));
  await waitFor('peers to see each other', () => started.every((n) => n.stats().alivePeers.length === ids.length - 1), GUARD_MS);
  return started;
}
