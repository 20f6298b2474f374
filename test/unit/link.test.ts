import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GridlinkError, LinkError } from '../../src/core/errors.js';
import type { Transport, TransportHandlers } from '../../src/dial/transport.js';
import { Link, type HandshakeResult, type LinkHost } from '../../src/link/link.js';
import type { HelloFrame, NodeFrame, NodeInfo, WelcomeFrame } from '../../src/protocol/frames.js';

// One ordered log of everything the link did to the outside: what it sent, how it closed the
// transport, what the host heard. Tests assert the whole sequence, so an extra close or a second
// onDead shows up as a failure.
type Log = string[];

class FakeTransport implements Transport {
  readonly url = 'ws://a.test/';
  bufferedAmount = 0;
  #handlers: TransportHandlers | undefined;

  constructor(private readonly log: Log) {}

  attach(handlers: TransportHandlers): void {
    this.#handlers = handlers;
  }

  send(text: string): void {
    const frame = JSON.parse(text) as { t: string; id?: number };
    this.log.push(frame.id === undefined ? `send ${frame.t}` : `send ${frame.t} ${frame.id}`);
  }

  close(code: number, reason: string): void {
    this.log.push(`close ${code} ${reason}`);
  }

  /** The node sends a frame (an object is encoded; a string goes as is, malformed or not). */
  receive(frame: NodeFrame | string): void {
    this.#handlers?.onMessage(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The socket goes away; `error` unset means we had closed it ourselves. */
  drop(error?: GridlinkError): void {
    this.#handlers?.onClose(error);
  }
}

function recordingHost(log: Log, onFrame?: (frame: NodeFrame) => void): LinkHost {
  return {
    onFrame: (frame) => {
      log.push(`frame ${frame.t}`);
      onFrame?.(frame);
    },
    onDead: (error) => void log.push(`dead ${error.code}`),
  };
}

const node: NodeInfo = { id: 'a', url: 'ws://a.test/' };
const hello: HelloFrame = { t: 'hello', v: 1, session: 's1', client: 'c1', recv: {}, members: [] };
const welcome: WelcomeFrame = {
  t: 'welcome',
  v: 1,
  node,
  session: 's1',
  client: 'c1',
  resume: 'tok',
  nodes: [node],
  heartbeat: { intervalMs: 1000, timeoutMs: 3000 },
  members: [],
  base: {},
};
const msg = (d: string): NodeFrame => ({ t: 'msg', from: 'c2', seq: 1, d });
const JOIN_TIMEOUT = 5000;

function setup(): { log: Log; transport: FakeTransport; link: Link } {
  const log: Log = [];
  const transport = new FakeTransport(log);
  const link = new Link(transport, node, { heartbeat: { intervalMs: 1000, timeoutMs: 3000 }, maxFrameBytes: 1024, now: () => Date.now() });
  return { log, transport, link };
}

function join(link: Link, signal = new AbortController().signal): Promise<HandshakeResult> {
  return link.join(hello, { timeoutMs: JOIN_TIMEOUT, signal });
}

/** A link past its welcome, log cleared, so a test sees only what follows. */
async function openLink(): Promise<ReturnType<typeof setup>> {
  const parts = setup();
  const joined = join(parts.link);
  parts.transport.receive(welcome);
  await joined;
  parts.log.length = 0;
  return parts;
}

async function rejection(promise: Promise<unknown>): Promise<GridlinkError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GridlinkError);
  return error as GridlinkError;
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Link handshake', () => {
  it('welcome: the join resolves with it, the link is open and nothing of the handshake is left', async () => {
    const { log, transport, link } = setup();
    const { signal } = new AbortController();
    const joined = join(link, signal);
    expect(link.isOpen).toBe(false);
    transport.receive(welcome);
    await expect(joined).resolves.toEqual({ kind: 'welcome', welcome });
    expect(link.isOpen).toBe(true);
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
    vi.advanceTimersByTime(JOIN_TIMEOUT * 2);
    // Only the heartbeat runs now: it pinged while quiet, then the silence killed the link.
    expect(log).toEqual(['send hello', 'send ping', 'send ping', 'close 4008 GRIDLINK_HEARTBEAT_TIMEOUT']);
  });

  it('redirect: the join resolves with the target, then the transport closes normally', async () => {
    const { log, transport, link } = setup();
    const joined = join(link);
    const target: NodeInfo = { id: 'b', url: 'ws://b.test/' };
    transport.receive({ t: 'redirect', node: target, reason: 'placement' });
    await expect(joined).resolves.toEqual({ kind: 'redirect', node: target, reason: 'placement' });
    transport.drop();
    vi.advanceTimersByTime(JOIN_TIMEOUT);
    expect(log).toEqual(['send hello', 'close 1000 following redirect']);
    expect(link.isOpen).toBe(false);
  });

  it.each([
    ['rejected', 'GRIDLINK_REJECTED', false],
    ['unauthorized', 'GRIDLINK_UNAUTHORIZED', false],
    ['version', 'GRIDLINK_PROTOCOL', false],
    ['busy', 'GRIDLINK_BUSY', true],
  ] as const)("a node's '%s' error frame rejects the join with %s (retriable %s)", async (nodeCode, code, retriable) => {
    const { log, transport, link } = setup();
    const joined = join(link);
    transport.receive({ t: 'error', code: nodeCode, message: 'no' });
    const error = await rejection(joined);
    expect([error.code, error.retriable]).toEqual([code, retriable]);
    expect(error.message).toContain(`(${nodeCode}: no)`);
    expect(log).toEqual(['send hello', `close 1000 ${code}`]);
  });

  it('a node that never answers: the join times out at its deadline and the transport closes', async () => {
    const { log, link } = setup();
    const joined = join(link);
    vi.advanceTimersByTime(JOIN_TIMEOUT - 1);
    expect(log).toEqual(['send hello']);
    vi.advanceTimersByTime(1);
    const error = await rejection(joined);
    expect([error.code, error.retriable]).toEqual(['GRIDLINK_TIMEOUT', true]);
    expect(log).toEqual(['send hello', 'close 1000 GRIDLINK_TIMEOUT']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('abort during the handshake rejects the join and clears its deadline', async () => {
    const { log, link } = setup();
    const controller = new AbortController();
    const joined = join(link, controller.signal);
    controller.abort();
    expect((await rejection(joined)).code).toBe('GRIDLINK_ABORTED');
    expect(vi.getTimerCount()).toBe(0);
    expect(log).toEqual(['send hello', 'close 1000 GRIDLINK_ABORTED']);
  });

  it('a signal aborted before join(): no hello, the join rejects and the link closes', async () => {
    const { log, link } = setup();
    const joined = join(link, AbortSignal.abort());
    expect((await rejection(joined)).code).toBe('GRIDLINK_ABORTED');
    expect(vi.getTimerCount()).toBe(0);
    expect(log).toEqual(['close 1000 GRIDLINK_ABORTED']);
  });

  it('the transport closing during the handshake rejects the join with its error', async () => {
    const { log, transport, link } = setup();
    const joined = join(link);
    const lost = new LinkError('GRIDLINK_LINK_LOST', 'socket closed (1006)', { retriable: true });
    transport.drop(lost);
    expect(await rejection(joined)).toBe(lost);
    expect(log).toEqual(['send hello', 'close 1000 GRIDLINK_LINK_LOST']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('close() during the handshake rejects the join with GRIDLINK_LINK_LOST', async () => {
    const { log, link } = setup();
    const joined = join(link);
    link.close(1000, 'another node answered first');
    const error = await rejection(joined);
    expect([error.code, error.retriable]).toEqual(['GRIDLINK_LINK_LOST', true]);
    expect(log).toEqual(['send hello', 'close 1000 another node answered first']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a frame other than welcome, redirect or error during the handshake is a protocol error (4001)', async () => {
    const { log, transport, link } = setup();
    const joined = join(link);
    transport.receive(msg('early'));
    expect((await rejection(joined)).code).toBe('GRIDLINK_PROTOCOL');
    expect(log).toEqual(['send hello', 'close 4001 GRIDLINK_PROTOCOL']);
  });

  it('a malformed frame during the handshake rejects the join and closes 4001', async () => {
    const { log, transport, link } = setup();
    const joined = join(link);
    transport.receive('{not json');
    expect((await rejection(joined)).code).toBe('GRIDLINK_PROTOCOL');
    expect(log).toEqual(['send hello', 'close 4001 GRIDLINK_PROTOCOL']);
  });

  it('a frame before any hello closes the link 4001, and a later join() is refused without a hello', async () => {
    const { log, transport, link } = setup();
    transport.receive(msg('unasked'));
    expect(log).toEqual(['close 4001 GRIDLINK_PROTOCOL']);
    expect((await rejection(join(link))).code).toBe('GRIDLINK_PROTOCOL');
    expect(log).toEqual(['close 4001 GRIDLINK_PROTOCOL']);
  });

  it('a second join() is refused and leaves the first handshake alone', async () => {
    const { log, transport, link } = setup();
    const first = join(link);
    expect((await rejection(join(link))).code).toBe('GRIDLINK_PROTOCOL');
    transport.receive(welcome);
    await expect(first).resolves.toEqual({ kind: 'welcome', welcome });
    expect(log).toEqual(['send hello']);
  });
});

describe('Link when open', () => {
  it('frames before attach() are held, then delivered in order; later ones go straight through', async () => {
    const { log, transport, link } = await openLink();
    transport.receive(msg('one'));
    transport.receive({ t: 'acked', upTo: 1 });
    expect(log).toEqual([]);
    link.attach(recordingHost(log));
    expect(log).toEqual(['frame msg', 'frame acked']);
    transport.receive({ t: 'drain', deadlineMs: 1000 });
    expect(log).toEqual(['frame msg', 'frame acked', 'frame drain']);
  });

  it('a second attach() is ignored', async () => {
    const { log, transport, link } = await openLink();
    link.attach(recordingHost(log));
    const other: Log = [];
    link.attach(recordingHost(other));
    transport.receive(msg('x'));
    expect([log, other]).toEqual([['frame msg'], []]);
  });

  it('a welcome after the handshake is a protocol error: close 4001, the host told once', async () => {
    const { log, transport, link } = await openLink();
    link.attach(recordingHost(log));
    transport.receive(welcome);
    transport.drop();
    expect(log).toEqual(['close 4001 GRIDLINK_PROTOCOL', 'dead GRIDLINK_PROTOCOL']);
    expect(link.isOpen).toBe(false);
  });

  it('a malformed frame closes 4001 and tells the host', async () => {
    const { log, transport, link } = await openLink();
    link.attach(recordingHost(log));
    transport.receive('{"t":"left","client":"c2","reason":"gone"}');
    expect(log).toEqual(['close 4001 GRIDLINK_PROTOCOL', 'dead GRIDLINK_PROTOCOL']);
  });

  it('an oversized frame closes 4006 and tells the host GRIDLINK_FRAME_TOO_LARGE', async () => {
    const { log, transport, link } = await openLink();
    link.attach(recordingHost(log));
    transport.receive(msg('x'.repeat(2000)));
    expect(log).toEqual(['close 4006 GRIDLINK_FRAME_TOO_LARGE', 'dead GRIDLINK_FRAME_TOO_LARGE']);
  });

  it('silence: pings while quiet, then closes 4008 and calls onDead exactly once', async () => {
    const { log, transport, link } = await openLink();
    link.attach(recordingHost(log));
    vi.advanceTimersByTime(2999);
    expect(log).toEqual(['send ping', 'send ping']);
    vi.advanceTimersByTime(1);
    transport.drop(new LinkError('GRIDLINK_LINK_LOST', 'closed after our close', { retriable: true }));
    vi.advanceTimersByTime(10_000);
    expect(log).toEqual(['send ping', 'send ping', 'close 4008 GRIDLINK_HEARTBEAT_TIMEOUT', 'dead GRIDLINK_HEARTBEAT_TIMEOUT']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('inbound traffic keeps the link alive and resets silentFor()', async () => {
    const { log, transport, link } = await openLink();
    link.attach(recordingHost(log));
    for (let i = 0; i < 10; i++) {
      vi.advanceTimersByTime(900);
      transport.receive({ t: 'ping' });
    }
    expect(link.silentFor()).toBe(0);
    vi.advanceTimersByTime(500);
    expect(link.silentFor()).toBe(500);
    expect(log.filter((entry) => !entry.startsWith('send ping'))).toEqual([]);
    expect(link.isOpen).toBe(true);
  });

  it('a node ping with an id is answered with a pong; one without an id is not', async () => {
    const { log, transport } = await openLink();
    transport.receive({ t: 'ping', id: 7 });
    transport.receive({ t: 'ping' });
    expect(log).toEqual(['send pong 7']);
  });

  it('ping() resolves with the round trip when the pong comes back', async () => {
    const { log, transport, link } = await openLink();
    const rtt = link.ping({ timeoutMs: 2000 });
    vi.advanceTimersByTime(40);
    transport.receive({ t: 'pong', id: 1 });
    await expect(rtt).resolves.toBe(40);
    expect(log).toEqual(['send ping 1']);
  });

  it('ping() rejects with GRIDLINK_TIMEOUT when no pong comes, and a late pong is ignored', async () => {
    const { transport, link } = await openLink();
    const rtt = link.ping({ timeoutMs: 500 });
    vi.advanceTimersByTime(500);
    const error = await rejection(rtt);
    expect([error.code, error.retriable]).toEqual(['GRIDLINK_TIMEOUT', true]);
    transport.receive({ t: 'pong', id: 1 });
    const second = link.ping({ timeoutMs: 500 });
    transport.receive({ t: 'pong', id: 2 });
    await expect(second).resolves.toBe(0);
  });
});

describe('Link death before attach', () => {
  it('keeps the first cause: frames held before it are delivered, then the death, once', async () => {
    const { log, transport, link } = await openLink();
    transport.receive(msg('before'));
    transport.receive({ t: 'ping', id: 3 }); // answered: the link is alive until it is not
    vi.advanceTimersByTime(3000); // silent for timeoutMs after the ping
    expect(link.isOpen).toBe(false);
    transport.drop(new LinkError('GRIDLINK_LINK_LOST', 'closed after our close', { retriable: true }));
    transport.receive(msg('after')); // in flight when we closed: the link is dead, it is dropped
    expect(log).toEqual(['send pong 3', 'send ping', 'send ping', 'close 4008 GRIDLINK_HEARTBEAT_TIMEOUT']);
    log.length = 0;
    link.attach(recordingHost(log));
    link.attach(recordingHost(log));
    expect(log).toEqual(['frame msg', 'dead GRIDLINK_HEARTBEAT_TIMEOUT']);
  });

  it('a transport lost before attach is reported on attach()', async () => {
    const { log, transport, link } = await openLink();
    transport.drop(new LinkError('GRIDLINK_LINK_LOST', 'socket closed (1006)', { retriable: true }));
    link.attach(recordingHost(log));
    expect(log).toEqual(['close 1000 GRIDLINK_LINK_LOST', 'dead GRIDLINK_LINK_LOST']);
  });

  it('close() after the death: no second transport close, and a later attach() hears nothing', async () => {
    const { log, transport, link } = await openLink();
    transport.receive('[]');
    link.close();
    link.attach(recordingHost(log));
    expect(log).toEqual(['close 4001 GRIDLINK_PROTOCOL']);
  });

  it('a host that closes the link while held frames are delivered gets no more frames and no death', async () => {
    const { log, transport, link } = await openLink();
    transport.receive(msg('one'));
    transport.receive(msg('two'));
    transport.receive('not json');
    log.length = 0;
    link.attach(recordingHost(log, () => link.close(1000, 'host is done')));
    expect(log).toEqual(['frame msg']);
  });
});

describe('Link close()', () => {
  it('is idempotent, does not tell the host, and stops the heartbeat', async () => {
    const { log, transport, link } = await openLink();
    link.attach(recordingHost(log));
    link.close();
    expect(vi.getTimerCount()).toBe(0);
    link.close(4001, 'again');
    transport.drop();
    vi.advanceTimersByTime(10_000);
    expect(log).toEqual(['close 1000 closed by client']);
    expect(link.isOpen).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('ignores late callbacks: frames, pings to answer, sends and a transport error after close', async () => {
    const { log, transport, link } = await openLink();
    link.attach(recordingHost(log));
    link.close(1000, 'migrated');
    transport.receive(msg('late'));
    transport.receive({ t: 'ping', id: 9 });
    transport.receive('{broken');
    transport.drop(new LinkError('GRIDLINK_LINK_LOST', 'late', { retriable: true }));
    link.send({ t: 'bye' });
    link.sendText('{"t":"bye"}');
    expect(log).toEqual(['close 1000 migrated']);
  });

  it('a host that closes the link from onDead causes no second close', async () => {
    const { log, transport, link } = await openLink();
    link.attach({ onFrame: () => {}, onDead: (error) => (log.push(`dead ${error.code}`), link.close(4008, 'no answer')) });
    transport.drop(new LinkError('GRIDLINK_LINK_LOST', 'socket closed (1006)', { retriable: true }));
    expect(log).toEqual(['close 1000 GRIDLINK_LINK_LOST', 'dead GRIDLINK_LINK_LOST']);
  });

  it('close() before join() closes the transport once and refuses the join', async () => {
    const { log, link } = setup();
    link.close();
    expect((await rejection(join(link))).code).toBe('GRIDLINK_PROTOCOL');
    expect(log).toEqual(['close 1000 closed by client']);
  });
});
