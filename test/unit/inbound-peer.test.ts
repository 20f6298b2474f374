/**
 * The inbound side of a peer link, on a fake socket under fake timers: the welcome it sends, the
 * proof it waits for, what it answers and reports, and the one close its host hears (with its code).
 */
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from '../../src/core/logger.js';
import { CloseCode } from '../../src/protocol/frames.js';
import { createPeerAuth, type PeerAuth } from '../../src/server/peers/auth.js';
import type { PeerFrame } from '../../src/server/peers/frames.js';
import { acceptPeer, type InboundPeer, type InboundPeerHost, type InboundSocket } from '../../src/server/peers/inbound-peer.js';

class FakeSocket extends EventEmitter implements InboundSocket {
  readonly OPEN = 1;
  readyState = 1;
  readonly sent: PeerFrame[] = [];
  closedWith: [number, string] | undefined;
  terminated = false;
  send(text: string): void {
    this.sent.push(JSON.parse(text) as PeerFrame);
  }
  close(code: number, reason: string): void {
    this.closedWith = [code, reason];
    this.readyState = 2;
  }
  terminate(): void {
    this.terminated = true;
    this.readyState = 3;
  }
  receive(frame: PeerFrame): void {
    this.emit('message', Buffer.from(JSON.stringify(frame)), false);
  }
}

const silent: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

function setup(auth: PeerAuth, hello: { v?: number; nonce?: string | undefined } = {}) {
  const socket = new FakeSocket();
  const events: string[] = [];
  const host: InboundPeerHost = {
    opened: (peer) => void events.push(`opened ${peer}`),
    drained: (peer) => void events.push(`drained ${peer}`),
    loadReported: (peer, load) => void events.push(`load ${peer} ${load.links}/${load.sessions}`),
    closed: (link, code) => void events.push(`closed ${link.peerId} ${code}`),
  };
  const dialNonce = 'nonce' in hello ? hello.nonce : auth.nonce();
  const link = acceptPeer(socket, { id: 'b', v: hello.v ?? 1, nonce: dialNonce }, { self: 'a', auth, timeoutMs: 2000, logger: silent, host });
  return { socket, events, link, dialNonce };
}

/** The dialler's proof, answering the welcome the link sent. */
function proof(auth: PeerAuth, socket: FakeSocket, dialNonce: string): PeerFrame {
  const welcome = socket.sent[0] as { nonce: string };
  return { t: 'peer-auth', mac: auth.authMac('b', 'a', dialNonce, welcome.nonce)! };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('InboundPeer with a shared secret', () => {
  const auth = createPeerAuth('cloud-secret');

  it('welcomes with its proof, then believes the dialler once it proved the secret', () => {
    const { socket, events, link, dialNonce } = setup(auth);
    const welcome = socket.sent[0] as { t: string; id: string; nonce: string; mac: string };
    expect(welcome).toEqual({ t: 'peer-welcome', id: 'a', nonce: expect.any(String), mac: auth.welcomeMac('a', 'b', dialNonce!, welcome.nonce) });
    expect(link!.state).toBe('proving');
    expect(events).toEqual([]); // a claimed id is not a peer until it proves the secret
    socket.receive(proof(auth, socket, dialNonce!));
    expect(link!.state).toBe('open');
    socket.receive({ t: 'ping', id: 4 });
    socket.receive({ t: 'load', links: 2, sessions: 1 });
    socket.receive({ t: 'peer-drain' });
    expect(socket.sent.slice(1)).toEqual([{ t: 'pong', id: 4 }]);
    expect(events).toEqual(['opened b', 'load b 2/1', 'drained b']);
  });

  it('closes a link whose first frame is not a valid proof, and reports nothing it said', () => {
    const { socket, events, link } = setup(auth);
    socket.receive({ t: 'peer-drain' });
    expect(link!.state).toBe('closed');
    expect(socket.closedWith).toEqual([CloseCode.rejected, 'peer not authenticated']);
    expect(events).toEqual([`closed b ${CloseCode.rejected}`]);
    socket.emit('close', CloseCode.rejected);
    expect(events).toHaveLength(1);
  });

  it('refuses a dialler without a nonce, and an unknown protocol version', () => {
    const noNonce = setup(auth, { nonce: undefined });
    expect(noNonce.link).toBeUndefined();
    expect(noNonce.socket.closedWith).toEqual([CloseCode.rejected, 'peer not authenticated']);
    const oldVersion = setup(auth, { v: 2 });
    expect(oldVersion.link).toBeUndefined();
    expect(oldVersion.socket.closedWith).toEqual([CloseCode.rejected, 'unsupported peer protocol version']);
    vi.advanceTimersByTime(1000);
    expect(noNonce.socket.terminated && oldVersion.socket.terminated).toBe(true);
  });
});

describe('InboundPeer without a secret', () => {
  const auth = createPeerAuth(undefined);

  it('needs no proof: open at once, its welcome carries no MAC', () => {
    const { socket, events, link } = setup(auth);
    expect(link!.state).toBe('open');
    expect(events).toEqual(['opened b']);
    expect(socket.sent).toEqual([{ t: 'peer-welcome', id: 'a', nonce: expect.any(String) }]);
    socket.receive({ t: 'ping', id: 1 });
    expect(socket.sent.at(-1)).toEqual({ t: 'pong', id: 1 });
  });

  it('sends no welcome to a dialler that takes no part in authentication', () => {
    const { socket, events, link } = setup(auth, { nonce: undefined });
    expect(link!.state).toBe('open');
    expect(events).toEqual(['opened b']);
    expect(socket.sent).toEqual([]);
  });

  it('closes a link silent for its timeout, with the heartbeat code', () => {
    const { socket, events, link } = setup(auth);
    vi.advanceTimersByTime(1999);
    socket.receive({ t: 'ping' });
    vi.advanceTimersByTime(1999);
    expect(link!.state).toBe('open');
    vi.advanceTimersByTime(1);
    expect(link!.state).toBe('closed');
    expect(socket.closedWith).toEqual([CloseCode.heartbeatTimeout, 'peer silent']);
    expect(events).toEqual(['opened b', `closed b ${CloseCode.heartbeatTimeout}`]);
    vi.advanceTimersByTime(1000);
    expect(socket.terminated).toBe(true);
  });

  it('closes on a bad frame with the protocol code, and reports a remote close with its code once', () => {
    const bad = setup(auth);
    bad.socket.emit('message', Buffer.from('{"t":"nonsense"}'), false);
    expect(bad.socket.closedWith).toEqual([CloseCode.protocolError, 'protocol error']);
    expect(bad.events).toEqual(['opened b', `closed b ${CloseCode.protocolError}`]);

    const remote = setup(auth);
    remote.socket.emit('close', CloseCode.goingAway);
    remote.socket.emit('close', CloseCode.goingAway);
    remote.link!.close(CloseCode.normal, 'late');
    remote.socket.receive({ t: 'peer-drain' });
    expect(remote.events).toEqual(['opened b', `closed b ${CloseCode.goingAway}`]);
    expect(remote.socket.closedWith).toBeUndefined();
  });

  it('sends nothing once closed', () => {
    const { socket, link } = setup(auth, { nonce: undefined });
    (link as InboundPeer).close(CloseCode.goingAway, 'node closing');
    link!.send({ t: 'peer-drain' });
    expect(socket.sent).toEqual([]);
  });
});
