/**
 * A peer monitor wired to a fake dialer (no sockets), recording every state change, alive set,
 * lapsed link, heard frame and warning; see test/unit/peer-monitor.test.ts.
 */
import type { Logger } from '../../src/core/logger.js';
import { createPeerAuth, type PeerAuth } from '../../src/server/peers/auth.js';
import type { LoadFrame, PeerFrame } from '../../src/server/peers/frames.js';
import { PeerMonitor, type MonitorStateChange } from '../../src/server/peers/monitor.js';
import type { PeerDialer, PeerSocket, PeerSocketEvents } from '../../src/server/peers/outbound-peer.js';

export class FakeSocket implements PeerSocket {
  readonly sent: PeerFrame[] = [];
  terminated = false;
  constructor(
    readonly url: string,
    readonly events: PeerSocketEvents,
  ) {}
  send(text: string): void {
    if (!this.terminated) this.sent.push(JSON.parse(text) as PeerFrame);
  }
  terminate(): void {
    this.terminated = true;
  }
  receive(frame: PeerFrame): void {
    this.events.message(JSON.stringify(frame));
  }
  types(): string[] {
    return this.sent.map((frame) => frame.t);
  }
}

export const B = { id: 'b', url: 'ws://b.test:1' };
export const C = { id: 'c', url: 'ws://c.test:1' };
export const HEARTBEAT = { intervalMs: 250, timeoutMs: 1000 };
export const LOAD: LoadFrame = { t: 'load', links: 3, sessions: 1 };

export function setupMonitor(options: { peers?: (typeof B)[]; auth?: PeerAuth } = {}) {
  const sockets: FakeSocket[] = [];
  const dials: Array<{ url: string; at: number }> = [];
  const start = Date.now();
  const dial: PeerDialer = (url, _timeoutMs, events) => {
    const socket = new FakeSocket(url, events);
    sockets.push(socket);
    dials.push({ url, at: Date.now() - start });
    return socket;
  };
  const changes: MonitorStateChange[] = [];
  const aliveSets: string[][] = [];
  const linkDowns: string[] = [];
  const heard: Array<[string, PeerFrame]> = [];
  const warnings: string[] = [];
  const logger: Logger = { debug: () => {}, info: () => {}, warn: (message) => void warnings.push(message), error: () => {} };
  const monitor = new PeerMonitor({
    self: 'a',
    auth: options.auth ?? createPeerAuth(undefined),
    peers: options.peers ?? [B],
    heartbeat: HEARTBEAT,
    logger,
    dial,
    onChange: (alive) => void aliveSets.push(alive),
    onLoad: (id, frame) => void heard.push([id, frame]),
    onPin: (id, frame) => void heard.push([id, frame]),
    currentLoad: () => LOAD,
    onLinkDown: (id) => void linkDowns.push(id),
    onState: (change) => void changes.push(change),
  });
  /** The state sequence of one machine ('monitor', or 'link'/'standing' of a peer), as "from>to:reason". */
  const seq = (machine: MonitorStateChange['machine'], peer = 'b'): string[] =>
    changes.filter((c) => c.machine === machine && (machine === 'monitor' || ('peer' in c && c.peer === peer))).map((c) => `${c.from}>${c.to}:${c.reason.code}`);
  const socketOf = (url: string, nth = -1): FakeSocket => sockets.filter((s) => s.url === url).at(nth)!;
  return { monitor, sockets, dials, aliveSets, linkDowns, heard, warnings, seq, socketOf };
}

/** Opens `socket` and lets the peer answer once (no secret required). */
export function bringUp(socket: FakeSocket): void {
  socket.events.open();
  socket.receive({ t: 'pong', id: 1 });
}
