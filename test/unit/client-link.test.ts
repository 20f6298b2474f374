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

function setup() {
  const socket = new FakeSocket();
  const events: string[] = [];
  const host: ClientLinkHost = {
    frame: (_link, frame) => void events.push(`frame ${frame.t}`),
    closed: (_link, code) => void events.push(`closed ${code}`),
  };
  const hello: HelloFrame = { t: 'hello', v: PROTOCOL_VERSION, session: 's', client: 'c', recv: {}, members: [] };
  const link = new ClientLink(socket as unknown as WebSocket, hello, { heartbeat: { intervalMs: 1000, timeoutMs: 3000 }, maxFrameBytes: 65_536, logger: silentLogger }, host, {
    address: '127.0.0.1',
    host: undefined,
    forwarded: false,
    sticky: undefined,
  });
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
