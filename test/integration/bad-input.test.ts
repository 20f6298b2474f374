/**
 * The bad-input sweep: every public function and option, called with what careless or hostile
 * callers really pass (wrong types, empty, huge, negative, NaN, unknown keys, sizes at and just over
 * every limit), on real nodes. Each case asserts the typed error, and the in-session cases also that
 * nothing was queued, nothing looped (no migration, no error event) and the session's other traffic
 * went on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, isGridlinkError, type Client, type ConnectOptions, type GridlinkError } from '../../dist/node.js';
import { startDnsServer, startLocalCloud, startNode, type LocalCloud, type NodeServer } from '../../dist/server.js';
import { thrown as thrownBy } from '../helpers/thrown.js';
import { waitFor } from '../helpers/wait.js';

/** What `fn` threw, asserted to be a GridlinkError. */
function thrown(fn: () => unknown): GridlinkError {
  const error = thrownBy(fn);
  expect(isGridlinkError(error), String(error)).toBe(true);
  return error as GridlinkError;
}

async function rejected(promise: Promise<unknown>): Promise<GridlinkError> {
  try {
    await promise;
  } catch (error) {
    expect(isGridlinkError(error), String(error)).toBe(true);
    return error as GridlinkError;
  }
  throw new Error('expected a rejection');
}

/** Two connected members of one session on `urls`, watching for migrations and errors. */
async function pair(urls: string[], session: string, extra: Partial<ConnectOptions> = {}) {
  const sender = connect({ session, nodes: urls, clientId: 'sender', ...extra });
  const receiver = connect({ session, nodes: urls, clientId: 'receiver' });
  const received: string[] = [];
  const trouble: string[] = [];
  receiver.on('message', (data) => received.push(typeof data === 'string' ? data : `bytes:${data.byteLength}`));
  for (const client of [sender, receiver]) {
    client.on('migrated', (info) => trouble.push(`migrated (${info.reason.code})`));
    client.on('error', (error) => trouble.push(error.code));
  }
  await Promise.all([sender.ready, receiver.ready]);
  await waitFor('both members see each other', () => sender.members.size === 1 && receiver.members.size === 1);
  /** Sends a marker and waits for it: the session's other traffic is unaffected. */
  const stillFlowing = async (marker: string): Promise<void> => {
    sender.send(marker);
    await waitFor(`marker ${marker} delivered`, () => received.includes(marker));
  };
  const close = async (): Promise<void> => {
    await Promise.all([sender.close(), receiver.close()]);
  };
  return { sender, receiver, received, trouble, stillFlowing, close };
}

/** A message whose msg frame (`{"t":"msg","seq":N,"d":"…"}`) is `frameBytes` long. */
const textFor = (frameBytes: number, seq: number): string => 'x'.repeat(frameBytes - JSON.stringify({ t: 'msg', seq, d: '' }).length);

let cloud: LocalCloud;
beforeAll(async () => {
  cloud = await startLocalCloud({ nodes: 2 });
});
afterAll(async () => {
  await cloud?.stop();
});

describe('connect() refuses options that cannot work, synchronously, naming the option', () => {
  const nodes = ['ws://127.0.0.1:9/'];
  it.each<[string, Record<string, unknown>, RegExp]>([
    ['no session', { session: undefined }, /^session /],
    ['empty session', { session: '' }, /^session /],
    ['session not a string', { session: 42 }, /^session /],
    ['session too long', { session: 's'.repeat(129) }, /^session /],
    ['nodes as a string', { nodes: 'ws://127.0.0.1:9/' }, /nodes/],
    ['a node URL of another scheme', { nodes: ['http://127.0.0.1:9/'] }, /nodes\[0\]/],
    ['a node URL that is a number', { nodes: [42] }, /nodes\[0\]/],
    ['a huge node URL', { nodes: [`ws://${'h'.repeat(3000)}/`] }, /nodes\[0\]/],
    ['negative heartbeat', { heartbeat: { intervalMs: -1 } }, /^heartbeat\.intervalMs /],
    ['NaN heartbeat', { heartbeat: { timeoutMs: Number.NaN } }, /^heartbeat\.timeoutMs /],
    ['a heartbeat longer than a timer can wait', { heartbeat: { timeoutMs: 1e12 } }, /^heartbeat\.timeoutMs /],
    ['heartbeat as a word', { heartbeat: 'fast' }, /^heartbeat /],
    ['unknown nested key', { heartbeat: { interval: 500 } }, /unknown option 'heartbeat\.interval' \(did you mean 'heartbeat\.intervalMs'\?\)/],
    ['unknown retry key', { retry: { maxElapsed: 5000 } }, /unknown option 'retry\.maxElapsed' \(did you mean 'retry\.maxElapsedMs'\?\)/],
    ['unknown top-level key', { timeout: 5000 }, /unknown option 'timeout'/],
    ['a key with no likely meaning', { flavour: 'blue' }, /unknown option 'flavour'$/],
    ['negative buffer', { maxBufferedBytes: -1 }, /^maxBufferedBytes /],
    ['buffer as text', { maxBufferedBytes: '4MB' }, /^maxBufferedBytes /],
    ['a tiny frame limit', { maxFrameBytes: 10 }, /^maxFrameBytes /],
    ['empty client id', { clientId: '' }, /^clientId /],
    ['huge client id', { clientId: 'c'.repeat(200) }, /^clientId /],
    ['an unknown policy', { policy: 'fastest' }, /^policy /],
    ['a signal that is not one', { signal: {} }, /^signal /],
    ['a logger that is a string', { logger: 'console' }, /^logger /],
  ])('%s', (_name, patch, message) => {
    const error = thrown(() => connect({ session: 'room', nodes, ...patch } as unknown as ConnectOptions));
    expect(error.code).toBe('GRIDLINK_INVALID_OPTION');
    expect(error.message).toMatch(message);
  });
});

describe('send() refuses what it cannot send, and nothing else is disturbed', () => {
  let room: Awaited<ReturnType<typeof pair>>;
  beforeAll(async () => {
    room = await pair(cloud.urls, 'bad-sends');
  });
  afterAll(async () => {
    await room?.close();
  });

  it.each<[string, () => unknown]>([
    ['a number', () => room.sender.send(42 as never)],
    ['null', () => room.sender.send(null as never)],
    ['undefined', () => room.sender.send(undefined as never)],
    ['an object', () => room.sender.send({ text: 'hi' } as never)],
    ['volatile as a word', () => room.sender.send('x', { volatile: 'yes' } as never)],
    ['a misspelt option', () => room.sender.send('x', { volatil: true } as never)],
  ])('%s: GRIDLINK_INVALID_ARGUMENT', async (_name, call) => {
    expect(thrown(call).code).toBe('GRIDLINK_INVALID_ARGUMENT');
  });

  it('a reliable message exactly at the node limit is delivered; one byte over is refused with nothing queued', async () => {
    const limit = 1024 * 1024 - 1024;
    const fits = textFor(limit, 1);
    room.sender.send(fits);
    await waitFor('the largest message delivered', () => room.received.includes(fits));
    const before = room.sender.bufferedBytes;
    const error = thrown(() => room.sender.send(textFor(limit + 1, 2)));
    expect(error.code).toBe('GRIDLINK_MESSAGE_TOO_LARGE');
    expect(error.retriable).toBe(false);
    expect(room.sender.bufferedBytes).toBe(before);
    await room.stillFlowing('after-limit');
  });

  it('1,200,000 bytes (between the frame and buffer limits) and 5 MB volatile: refused, no reconnect loop', async () => {
    expect(thrown(() => room.sender.send('x'.repeat(1_200_000))).code).toBe('GRIDLINK_MESSAGE_TOO_LARGE');
    expect(thrown(() => room.sender.send('x'.repeat(5_000_000), { volatile: true })).code).toBe('GRIDLINK_MESSAGE_TOO_LARGE');
    await room.stillFlowing('after-huge');
    expect(room.trouble).toEqual([]);
    expect(room.sender.state).toBe('connected');
  });

  it('binary data counts as its base64: bytes that fit raw but not encoded are refused', () => {
    expect(thrown(() => room.sender.send(new Uint8Array(900 * 1024))).code).toBe('GRIDLINK_MESSAGE_TOO_LARGE');
    room.sender.send(new Uint8Array(700 * 1024));
  });

  it('after every refusal the pair never migrated and saw no error', async () => {
    await room.stillFlowing('final');
    await waitFor('the binary message delivered', () => room.received.includes(`bytes:${700 * 1024}`));
    expect(room.trouble).toEqual([]);
  });
});

describe('the limit is the node\'s, learned from its welcome', () => {
  let small: NodeServer;
  let large: NodeServer;
  beforeAll(async () => {
    small = await startNode({ id: 'small', port: 0, host: '127.0.0.1', maxFrameBytes: 64 * 1024 });
    large = await startNode({ id: 'large', port: 0, host: '127.0.0.1', maxFrameBytes: 2 * 1024 * 1024 });
  });
  afterAll(async () => {
    await Promise.all([small?.close(), large?.close()]);
  });

  it('a node with a smaller limit: refused at send() although the client\'s own limit is 1 MiB', async () => {
    const room = await pair([small.url], 'small-limit');
    try {
      expect(thrown(() => room.sender.send('x'.repeat(70 * 1024))).code).toBe('GRIDLINK_MESSAGE_TOO_LARGE');
      const fits = 'y'.repeat(60 * 1024);
      room.sender.send(fits);
      await waitFor('60 KiB delivered', () => room.received.includes(fits));
      expect(room.trouble).toEqual([]);
    } finally {
      await room.close();
    }
  });

  it('a node with a larger limit: 1.5 MB goes through to a member whose own limit is 1 MiB', async () => {
    const room = await pair([large.url], 'large-limit');
    try {
      const big = 'z'.repeat(1_500_000);
      room.sender.send(big);
      await waitFor('1.5 MB delivered', () => room.received.includes(big));
      expect(room.trouble).toEqual([]);
    } finally {
      await room.close();
    }
  });

  it('a message queued before the welcome that the node will never take fails the client, once', async () => {
    const client = connect({ session: 'queued-too-big', nodes: [small.url] });
    const states: string[] = [];
    client.on('state', (state) => states.push(state));
    client.send('x'.repeat(100 * 1024));
    const error = await rejected(client.ready);
    expect(error.code).toBe('GRIDLINK_MESSAGE_TOO_LARGE');
    expect(states).toEqual(['failed']);
    await client.close();
  });
});

describe('the server kit refuses bad options and busy ports with typed errors', () => {
  it.each<[string, Record<string, unknown>, RegExp]>([
    ['a negative port', { port: -1 }, /^port /],
    ['a port as text', { port: 'http' }, /^port /],
    ['an unknown key', { prot: 7000 }, /unknown option 'prot' \(did you mean 'port'\?\)/],
    ['a frame limit below 1 KiB', { maxFrameBytes: 10 }, /^maxFrameBytes /],
    ['an empty id', { id: '' }, /^id /],
  ])('startNode: %s', async (_name, patch, message) => {
    const error = await rejected(startNode({ id: 'n', port: 0, ...patch } as never));
    expect(error.code).toBe('GRIDLINK_INVALID_OPTION');
    expect(error.message).toMatch(message);
  });

  it('startNode and startDnsServer on a busy port: GRIDLINK_LISTEN_FAILED naming the port', async () => {
    const busy = await startNode({ id: 'busy', port: 0, host: '127.0.0.1' });
    try {
      const error = await rejected(startNode({ id: 'second', port: busy.port, host: '127.0.0.1' }));
      expect(error.code).toBe('GRIDLINK_LISTEN_FAILED');
      expect(error.message).toBe(`the node cannot listen on 127.0.0.1:${busy.port}: the port is already in use (EADDRINUSE)`);
      const dns = await startDnsServer({ zone: 'cloud.test', port: 0, view: { snapshot: () => ({ nodes: [] }) } });
      try {
        const dnsError = await rejected(startDnsServer({ zone: 'cloud.test', port: dns.port, view: { snapshot: () => ({ nodes: [] }) } }));
        expect(dnsError.code).toBe('GRIDLINK_LISTEN_FAILED');
        expect(dnsError.message).toMatch(/^the DNS server cannot listen on 127\.0\.0\.1:\d+: the port is already in use/);
      } finally {
        await dns.close();
      }
    } finally {
      await busy.close();
    }
  });

  it.each<[string, Record<string, unknown>]>([
    ['no nodes', { nodes: 0 }],
    ['too many nodes', { nodes: 27 }],
    ['nodes as a word', { nodes: 'three' }],
    ['an unknown key', { node: 3 }],
  ])('startLocalCloud: %s', async (_name, options) => {
    expect((await rejected(startLocalCloud(options as never))).code).toBe('GRIDLINK_INVALID_OPTION');
  });
});

describe('lifecycle misuse', () => {
  it('send after close, close twice, an aborted signal: typed, never a hang', async () => {
    const client: Client = connect({ session: 'misuse', nodes: cloud.urls });
    await client.ready;
    await client.close();
    await client.close();
    expect(thrown(() => client.send('late')).code).toBe('GRIDLINK_CLOSED');
    const controller = new AbortController();
    controller.abort();
    const aborted = connect({ session: 'misuse', nodes: cloud.urls, signal: controller.signal });
    expect((await rejected(aborted.ready)).code).toMatch(/GRIDLINK_(ABORTED|CLOSED)/);
  });
});
