/**
 * The peer monitor: this node's view of which other nodes of the cloud are alive, which is what
 * placement ranks over. It keeps one outbound WebSocket to every peer and pings briskly; a peer is
 * alive while frames keep arriving on that link (any frame counts), it is dead at once when the
 * link closes and after `timeoutMs` of silence, and it is redialled with jittered backoff.
 *
 * Two more things take a live-looking peer out of placement:
 * - `peer-drain` from it (it is shutting down) — until a new link to it opens (a new process);
 * - a failed probe (`suspect`) after a client reported it failed — until its link shows life again.
 *
 * What a peer says about itself on our link (its load, its pinned sessions) is passed on as heard,
 * and `onLinkDown` says when it lapses: the next link may lead to a new process.
 */
import { WebSocket, type RawData } from 'ws';
import type { Logger } from '../../core/logger.js';
import { setUnrefTimeout } from '../../core/timers.js';
import { SUBPROTOCOL, PROTOCOL_VERSION, type HeartbeatSettings, type NodeInfo } from '../../protocol/frames.js';
import { Backoff } from '../../core/backoff.js';
import type { PeerAuth } from './auth.js';
import { Liveness } from '../../core/liveness.js';
import { decodePeerFrame, encodePeerFrame, MAX_PEER_FRAME_BYTES, type LoadFrame, type PeerFrame, type PinFrame, type UnpinFrame } from './frames.js';

export interface PeerMonitorOptions {
  readonly self: string;
  /** Authentication of our links (peer-auth.ts): with a secret, nothing counts before the peer proves it. */
  readonly auth: PeerAuth;
  readonly peers: readonly NodeInfo[];
  readonly heartbeat: HeartbeatSettings;
  readonly logger: Logger;
  /** Called with the new alive set (sorted ids) whenever it changes. */
  readonly onChange?: (alive: string[]) => void;
  /** A peer reported its load (on our link to it; normally it reports on its own link to us). */
  readonly onLoad?: (id: string, load: LoadFrame) => void;
  /** This node's current load, sent on every link as soon as it opens (then `broadcast` keeps it fresh). */
  readonly currentLoad?: () => LoadFrame;
  /** A peer claimed a session or dropped its claim (see pins.ts). */
  readonly onPin?: (id: string, frame: PinFrame | UnpinFrame) => void;
  /** The open link to a peer went down: what was heard on it (its claims) no longer holds. */
  readonly onLinkDown?: (id: string) => void;
}

type Link =
  | { kind: 'dialing'; ws: WebSocket }
  /**
   * `heard`: a frame arrived on this link; a freshly opened link is not yet proof of a working peer.
   * `nonce`: ours, for the authentication; `authed` once the peer proved the secret (or none is required).
   */
  | { kind: 'open'; ws: WebSocket; liveness: Liveness; heard: boolean; nonce: string; authed: boolean }
  | { kind: 'waiting' }
  | { kind: 'stopped' };

/** Whether a peer whose link is up may be placed on. */
type Standing = 'ok' | 'unanswered' | 'draining';

interface Probe {
  readonly pingId: number;
  readonly promise: Promise<boolean>;
  settle(alive: boolean): void;
}

interface Peer {
  readonly info: NodeInfo;
  link: Link;
  standing: Standing;
  readonly backoff: Backoff;
  probe: Probe | undefined;
}

/** How long `suspect` waits for a pong at most. */
const PROBE_MS = 300;

export class PeerMonitor {
  private readonly peers = new Map<string, Peer>();
  private nextPingId = 1;
  private lastAlive = '';
  private selfDraining = false;
  /** Peers that have not answered yet since start; see `settled()`. */
  private readonly unsettled = new Set<string>();
  private settledWaiters: Array<() => void> = [];

  constructor(private readonly options: PeerMonitorOptions) {
    for (const info of options.peers) {
      this.peers.set(info.id, { info, link: { kind: 'waiting' }, standing: 'ok', backoff: new Backoff(50, 2000), probe: undefined });
    }
  }

  start(): void {
    for (const peer of this.peers.values()) {
      this.unsettled.add(peer.info.id);
      this.dial(peer);
    }
    // A peer that neither answers nor fails (a black hole) must not hold the node forever.
    setUnrefTimeout(() => this.settleAll(), this.options.heartbeat.timeoutMs);
    if (this.unsettled.size === 0) this.settleAll();
  }

  /**
   * Resolves once every peer has answered once, or one peer timeout after start. Until then this
   * node's view of the cloud is "just me", and placing sessions on that view would host every
   * session here; so hellos wait for this first. A refused dial does not settle a peer: at a cloud's
   * start its nodes come up one by one, and a peer refusing now may answer a moment later.
   */
  settled(): Promise<void> {
    if (this.unsettled.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.settledWaiters.push(resolve));
  }

  /** Synchronous form of `settled()`, for answers that cannot wait (DNS). */
  isSettled(): boolean {
    return this.unsettled.size === 0;
  }

  private settle(peer: Peer): void {
    if (this.unsettled.delete(peer.info.id) && this.unsettled.size === 0) this.settleAll();
  }

  private settleAll(): void {
    this.unsettled.clear();
    const waiters = this.settledWaiters;
    this.settledWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Ids of the peers placement may use, sorted. */
  alive(): string[] {
    const out: string[] = [];
    for (const [id, peer] of this.peers) if (this.isAlive(peer)) out.push(id);
    return out.sort();
  }

  /**
   * A client says `id` failed it. Settles at once when the link is down; otherwise pings over the
   * peer link and waits for the pong up to min(300 ms, timeout). False also takes the peer out of
   * placement until its link shows life again. Concurrent reports share one probe.
   */
  suspect(id: string): Promise<boolean> {
    const peer = this.peers.get(id);
    if (peer === undefined || !this.isAlive(peer) || peer.link.kind !== 'open') return Promise.resolve(false);
    if (peer.probe !== undefined) return peer.probe.promise;
    const pingId = this.nextPingId++;
    let settle!: (alive: boolean) => void;
    const promise = new Promise<boolean>((resolve) => (settle = resolve));
    const timer = setTimeout(() => {
      if (peer.probe?.pingId !== pingId) return;
      peer.standing = 'unanswered';
      this.options.logger.warn('peer did not answer a probe; out of placement', { peer: id });
      this.endProbe(peer, false);
      this.refresh();
    }, Math.min(PROBE_MS, this.options.heartbeat.timeoutMs));
    timer.unref?.();
    peer.probe = {
      pingId,
      promise,
      settle: (alive) => {
        clearTimeout(timer);
        settle(alive);
      },
    };
    this.send(peer.link.ws, { t: 'ping', id: pingId });
    return promise;
  }

  /** `peer-drain` arrived on an inbound link from `id`. */
  noteDrain(id: string): void {
    const peer = this.peers.get(id);
    if (peer === undefined || peer.standing === 'draining') return;
    peer.standing = 'draining';
    this.options.logger.info('peer is draining; out of placement', { peer: id });
    this.refresh();
  }

  /** This node is draining: tell every peer over our outbound links (and every future one). */
  announceDrain(): void {
    this.selfDraining = true;
    for (const ws of this.authedLinks()) this.send(ws, { t: 'peer-drain' });
  }

  /** Sends `frame` on every open link to a peer (e.g. this node's new load). */
  broadcast(frame: PeerFrame): void {
    for (const ws of this.authedLinks()) this.send(ws, frame);
  }

  /** Open links the peer has proved itself on (an unproved link gets our news in `introduce`). */
  private *authedLinks(): Generator<WebSocket> {
    for (const peer of this.peers.values()) if (peer.link.kind === 'open' && peer.link.authed) yield peer.link.ws;
  }

  stop(): void {
    this.settleAll();
    for (const peer of this.peers.values()) {
      const link = peer.link;
      peer.link = { kind: 'stopped' };
      peer.backoff.stop();
      this.endProbe(peer, false);
      if (link.kind === 'open') link.liveness.stop();
      if (link.kind === 'open' || link.kind === 'dialing') link.ws.terminate();
    }
  }

  private isAlive(peer: Peer): boolean {
    return peer.link.kind === 'open' && peer.link.heard && peer.standing === 'ok';
  }

  private refresh(): void {
    const alive = this.alive();
    const key = alive.join('\u0000');
    if (key === this.lastAlive) return;
    this.lastAlive = key;
    this.options.logger.debug('alive peers changed', { alive });
    try {
      this.options.onChange?.(alive);
    } catch (error) {
      this.options.logger.error('peer onChange hook threw', { error });
    }
  }

  private dial(peer: Peer): void {
    if (peer.link.kind === 'stopped') return;
    const ws = new WebSocket(peer.info.url, SUBPROTOCOL, {
      handshakeTimeout: this.options.heartbeat.timeoutMs,
      maxPayload: MAX_PEER_FRAME_BYTES,
      perMessageDeflate: false,
    });
    peer.link = { kind: 'dialing', ws };
    ws.on('open', () => this.opened(peer, ws));
    ws.on('message', (data: RawData, isBinary: boolean) => this.message(peer, ws, data, isBinary));
    ws.on('close', () => this.down(peer, ws, 'closed'));
    ws.on('error', (error: Error) => {
      this.options.logger.debug('peer link error', { peer: peer.info.id, error: error.message });
      this.down(peer, ws, 'error');
    });
  }

  private opened(peer: Peer, ws: WebSocket): void {
    if (peer.link.kind !== 'dialing' || peer.link.ws !== ws) return;
    const { auth } = this.options;
    const liveness = new Liveness(
      {
        // Before the peer proved itself, it expects nothing from us but our proof.
        sendPing: () => {
          if (link.authed) this.send(ws, { t: 'ping', id: this.nextPingId++ });
        },
        onDead: (silentMs) => {
          this.options.logger.warn('peer link silent; dead', { peer: peer.info.id, silentMs });
          this.down(peer, ws, 'silent');
        },
      },
      this.options.heartbeat,
    );
    const link = { kind: 'open' as const, ws, liveness, heard: false, nonce: auth.nonce(), authed: !auth.required };
    peer.link = link;
    // A new link is a new chance: a drain or an unanswered probe belonged to the old one. A peer
    // that is still draining says so again in answer to our peer-hello, before its first pong.
    peer.standing = 'ok';
    liveness.start();
    this.send(ws, { t: 'peer-hello', id: this.options.self, v: PROTOCOL_VERSION, nonce: link.nonce });
    if (link.authed) this.introduce(ws);
  }

  /** What a link carries first, once it may: a ping (to hear the peer), our load, our drain. */
  private introduce(ws: WebSocket): void {
    this.send(ws, { t: 'ping', id: this.nextPingId++ });
    const load = this.options.currentLoad?.();
    if (load !== undefined) this.send(ws, load);
    if (this.selfDraining) this.send(ws, { t: 'peer-drain' });
  }

  /** The peer's `peer-welcome`: with a secret, it must prove it, and then we prove ourselves. */
  private welcomed(peer: Peer, link: Extract<Link, { kind: 'open' }>, frame: PeerFrame): boolean {
    const { auth, self } = this.options;
    if (frame.t !== 'peer-welcome' || frame.id !== peer.info.id || !auth.check(frame.mac, auth.welcomeMac(peer.info.id, self, link.nonce, frame.nonce))) {
      this.options.logger.warn('peer did not authenticate; link closed (do the nodes share one secret?)', { peer: peer.info.id });
      this.down(peer, link.ws, 'unauthenticated');
      return false;
    }
    link.authed = true;
    this.send(link.ws, { t: 'peer-auth', mac: auth.authMac(self, peer.info.id, link.nonce, frame.nonce) as string });
    this.introduce(link.ws);
    return true;
  }

  private message(peer: Peer, ws: WebSocket, data: RawData, isBinary: boolean): void {
    const link = peer.link;
    if (link.kind !== 'open' || link.ws !== ws) return;
    let frame: PeerFrame;
    try {
      frame = decodePeerFrame(isBinary ? new Uint8Array(0) : data.toString());
    } catch (error) {
      this.options.logger.warn('bad frame on peer link', { peer: peer.info.id, error: (error as Error).message });
      this.down(peer, ws, 'protocol');
      return;
    }
    if (!link.authed && !this.welcomed(peer, link, frame)) return;
    link.liveness.received();
    if (!link.heard) {
      link.heard = true;
      peer.backoff.reset();
    }
    this.settle(peer);
    switch (frame.t) {
      case 'ping':
        if (frame.id !== undefined) this.send(ws, { t: 'pong', id: frame.id });
        break;
      case 'pong':
        if (peer.probe?.pingId === frame.id) this.endProbe(peer, true);
        break;
      case 'peer-drain':
        peer.standing = 'draining';
        break;
      case 'load':
        this.options.onLoad?.(peer.info.id, frame);
        break;
      case 'pin':
      case 'unpin':
        this.options.onPin?.(peer.info.id, frame);
        break;
      case 'peer-hello':
      case 'peer-welcome':
      case 'peer-auth':
        break; // a welcome we did not need, or frames not meant for this side: harmless
    }
    // Life on the link clears an unanswered probe (the peer was slow, not gone).
    if (peer.standing === 'unanswered') peer.standing = 'ok';
    this.refresh();
  }

  private down(peer: Peer, ws: WebSocket, why: string): void {
    const link = peer.link;
    if ((link.kind !== 'open' && link.kind !== 'dialing') || link.ws !== ws) return;
    if (link.kind === 'open') {
      link.liveness.stop();
      if (link.heard) this.options.logger.info('peer link down', { peer: peer.info.id, why });
    }
    ws.terminate();
    this.endProbe(peer, false);
    peer.link = { kind: 'waiting' };
    if (link.kind === 'open') this.options.onLinkDown?.(peer.info.id);
    this.refresh();
    peer.backoff.runOnce(() => {
      if (peer.link.kind === 'waiting') this.dial(peer);
    });
  }

  private endProbe(peer: Peer, alive: boolean): void {
    const probe = peer.probe;
    peer.probe = undefined;
    probe?.settle(alive);
  }

  private send(ws: WebSocket, frame: PeerFrame): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    ws.send(encodePeerFrame(frame), (error) => {
      if (error !== undefined && error !== null) this.options.logger.debug('peer send failed', { error: error.message });
    });
  }
}
