/**
 * A node's client link on a fake socket under fake timers: the guarded state (placing → attached →
 * closed) decides what reaches the host, and the host hears of the close exactly once.
 * ClientLink takes a `ws` WebSocket and has no narrower socket type, so the fake is cast to it.
 */
import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { CloseCode, PROTOCOL_VERSION, type ClientFrame, type HelloFrame } from '../../src/protocol/frames.js';
import { ClientLink, type ClientLinkHost } from '../../src/server/clients/client-link.js';

class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  readonly sent: unknown[] = [];
  readonly closedWith: [number, string][] = [];
  send(text: string): void {
    this.sent.push(JSON.parse(text));
  }
  close(code: number, reason: string): void {
    this.closedWith.push([code, reason]);
    this.readyState = 2;
  }
  terminate(): void {
    this.readyState = 3;
  }
  receive(frame: ClientFrame): void {
    this.emit('message', Buffer.from(JSON.stringify(frame)), false);
  }
}

/** The socket under the WebSocket: counts corks and what was written while corked. */
class FakeStream {
  corks = 0;
  uncorks = 0;
  cork(): void {
    this.corks++;
  }
  uncork(): void {
    this.uncorks++;
  }
}

function setup(stream?: FakeStream) {
  const socket = new FakeSocket();
  const events: string[] = [];
  const host: ClientLinkHost = {
    frame: (_link, frame) => void events.push(`frame ${frame.t}`),
    closed: (_link, code) => void events.push(`closed ${code}`),
  };
  const hello: HelloFrame = { t: 'hello', v: PROTOCOL_VERSION, session: 's', client: 'c', recv: {}, members: [] };
  const link = new ClientLink(socket as unknown as WebSocket, hello, { heartbeat: { intervalMs: 1000, timeoutMs: 3000 }, maxFrameBytes: 65_536, maxMetaBytes: 1024, logger: silentLogger }, host, {
    address: '127.0.0.1',
    host: undefined,
    forwarded: false,
    sticky: undefined,
  }, stream);
  return { socket, events, link };
}

const msg = (seq: number): ClientFrame => ({ t: 'msg', seq, d: `m${seq}` });

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('ClientLink state', () => {
  it('frames sent before the welcome reach the host on attach, in order, once', () => {
    const { socket, events, link } = setup();
    socket.receive(msg(1));
    socket.receive(msg(2));
    expect(events).toEqual([]);
    link.attach();
    link.attach();
    expect(link.attached).toBe(true);
    expect(events).toEqual(['frame msg', 'frame msg']);
    link.close(CloseCode.normal, 'done');
  });

  it('a closed link cannot be attached: nothing queued reaches the host, no pings go out', () => {
    const { socket, events, link } = setup();
    socket.receive(msg(1));
    link.close(CloseCode.goingAway, 'node closing');
    link.attach();
    expect(link.attached).toBe(false);
    expect(link.open).toBe(false);
    vi.advanceTimersByTime(10_000);
    expect(events).toEqual([`closed ${CloseCode.goingAway}`]);
    expect(socket.sent).toEqual([]);
  });

  it('closed by us, then by the socket: the host hears the close once, with our code', () => {
    const { socket, events, link } = setup();
    link.attach();
    link.close(CloseCode.protocolError, 'protocol');
    socket.emit('close', 1006);
    link.close(CloseCode.normal, 'again');
    expect(events).toEqual([`closed ${CloseCode.protocolError}`]);
    expect(socket.closedWith).toEqual([[CloseCode.protocolError, 'protocol']]);
  });

  it('closed by the socket first: the host hears its code, and a later close() touches nothing', () => {
    const { socket, events, link } = setup();
    link.attach();
    socket.emit('close', 1006);
    link.close(CloseCode.normal, 'late');
    socket.receive(msg(1));
    expect(events).toEqual(['closed 1006']);
    expect(socket.closedWith).toEqual([]);
  });
});

describe('ClientLink sending', () => {
  const nextTick = () => new Promise<void>((resolve) => process.nextTick(resolve));

  it('frames sent in one tick leave in one write: the socket is corked once and uncorked at the end of the tick', async () => {
    const stream = new FakeStream();
    const { socket, link } = setup(stream);
    link.attach();
    link.send({ t: 'acked', upTo: 1 });
    link.send({ t: 'acked', upTo: 2 });
    link.send({ t: 'msg', from: 'a', seq: 1, d: 'x' }, '{"t":"msg","from":"a","seq":1,"d":"\\u0078"}');
    expect([stream.corks, stream.uncorks]).toEqual([1, 0]);
    await nextTick();
    expect([stream.corks, stream.uncorks]).toEqual([1, 1]);
    link.send({ t: 'acked', upTo: 3 });
    await nextTick();
    expect([stream.corks, stream.uncorks]).toEqual([2, 2]);
    // An encoded frame goes out as given (a relay's payload as it arrived).
    expect(socket.sent).toEqual([{ t: 'acked', upTo: 1 }, { t: 'acked', upTo: 2 }, { t: 'msg', from: 'a', seq: 1, d: 'x' }, { t: 'acked', upTo: 3 }]);
    link.close(CloseCode.normal, 'done');
  });

  it('a closed link neither sends nor corks', async () => {
    const stream = new FakeStream();
    const { socket, link } = setup(stream);
    link.attach();
    link.close(CloseCode.normal, 'done');
    link.send({ t: 'acked', upTo: 1 });
    await nextTick();
    expect([stream.corks, socket.sent]).toEqual([0, []]);
  });

  it("a client's msg reaches the host with its payload's JSON text; another layout reaches it decoded, without one", () => {
    const socket = new FakeSocket();
    const got: [unknown, string | undefined][] = [];
    const host: ClientLinkHost = { frame: (_link, frame, payloadJson) => void got.push([frame, payloadJson]), closed: () => {} };
    const hello: HelloFrame = { t: 'hello', v: PROTOCOL_VERSION, session: 's', client: 'c', recv: {}, members: [] };
    const link = new ClientLink(socket as unknown as WebSocket, hello, { heartbeat: { intervalMs: 1000, timeoutMs: 3000 }, maxFrameBytes: 65_536, maxMetaBytes: 1024, logger: silentLogger }, host, {
      address: '127.0.0.1',
      host: undefined,
      forwarded: false,
      sticky: undefined,
    });
    link.attach();
    socket.emit('message', Buffer.from('{"t":"msg","seq":1,"d":"a\\u0041"}'), false);
    socket.emit('message', Buffer.from('{"t":"msg","d":"x","from":"eve","seq":2}'), false);
    expect(got).toEqual([
      [{ t: 'msg', seq: 1, d: 'aA' }, '"a\\u0041"'],
      [{ t: 'msg', seq: 2, d: 'x' }, undefined],
    ]);
    link.close(CloseCode.normal, 'done');
  });
});
