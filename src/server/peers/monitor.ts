/**
 * The peer monitor: this node's view of which other nodes of the cloud are alive, which is what
 * placement ranks over. It keeps one outbound link to every peer (outbound-peer.ts: dialling,
 * authentication, heartbeat, redial); a peer is alive once a frame arrived on the current link, and
 * not any more when that link goes down (closed, or `timeoutMs` of silence).
 *
 * Two more things take a live-looking peer out of placement:
 * - `peer-drain` from it (it is shutting down) — until a new link to it opens (a new process);
 * - a failed probe (`unanswered`) after a client reported it failed — until its link shows life again.
 *
 * What a peer says about itself on our link (its load, its pinned sessions) is passed on as heard,
 * and `onLinkDown` says when it lapses: the next link may lead to a new process.
 *
 * Each peer's standing is one union with one guarded transition (see `#move`); the monitor's own
 * lifecycle (idle -> running -> draining -> stopped) is a `StateMachine`; start-up settling is a
 * union of its own, because it is independent of whether this node drains.
 */
import type { Logger } from '../../core/logger.js';
import { StateMachine, type Reason, type StateChange } from '../../core/state.js';
import { setUnrefTimeout } from '../../core/timers.js';
import type { HeartbeatSettings, NodeInfo } from '../../protocol/frames.js';
import type { PeerAuth } from './auth.js';
import type { LoadFrame, PeerFrame, PinFrame, UnpinFrame } from './frames.js';
import { PeerQuestions, type PeerVerdict } from './verdicts.js';
import { OutboundPeer, wsPeerDialer, type PeerDialer, type PeerLinkCode, type PeerLinkKind } from './outbound-peer.js';

export interface PeerMonitorOptions {
  readonly self: string;
  /** Authentication of our links (peer-auth.ts): with a secret, nothing counts before the peer proves it. */
  readonly auth: PeerAuth;
  readonly peers: readonly NodeInfo[];
  readonly heartbeat: HeartbeatSettings;
  readonly logger: Logger;
  /** How links are opened; default: WebSockets (a unit test passes a fake). */
  readonly dial?: PeerDialer;
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
  /** Every state change of the monitor, of a peer's link, and of a peer's standing (logs, tests). */
  readonly onState?: (change: MonitorStateChange) => void;
}

export type MonitorKind = 'idle' | 'running' | 'draining' | 'stopped';
/** Why the monitor's lifecycle moved. */
export type MonitorCode = 'start' | 'drain' | 'stop';
/** Why a peer's standing moved. */
export type StandingCode = 'new-link' | 'heard' | 'suspect' | 'probe-answered' | 'probe-timeout' | 'peer-drain' | 'link-down' | 'stop';

interface Probe {
  readonly pingId: number;
  readonly promise: Promise<boolean>;
  readonly settle: (alive: boolean) => void;
  readonly timer: NodeJS.Timeout;
}

/** Whether placement may use a peer; only `alive` and `probing` count. */
type Standing =
  /** Nothing heard on the current link (or there is none). */
  | { kind: 'unheard' }
  | { kind: 'alive' }
  /** Alive, and a ping is out to check a client's report that it failed. */
  | { kind: 'probing'; probe: Probe }
  /** The probe went unanswered: out of placement until the link shows life again. */
  | { kind: 'unanswered' }
  /** It announced `peer-drain`: out of placement until a new link opens. */
  | { kind: 'draining' }
  | { kind: 'stopped' };

export type StandingKind = Standing['kind'];

export type MonitorStateChange =
  | ({ machine: 'monitor' } & StateChange<MonitorKind, MonitorCode>)
  | ({ machine: 'link'; peer: string } & StateChange<PeerLinkKind, PeerLinkCode>)
  | ({ machine: 'standing'; peer: string } & StateChange<StandingKind, StandingCode>);

/** Start-up: peers that have not answered since start, and who waits for them; see `settled()`. */
type Startup = { kind: 'pending'; unsettled: Set<string>; waiters: Array<() => void> } | { kind: 'settled' };

interface Peer {
  readonly link: OutboundPeer;
  standing: Standing;
}

/** How long `suspect` waits for a pong at most. */
const PROBE_MS = 300;

const NOT_STOPPED: readonly StandingKind[] = ['unheard', 'alive', 'probing', 'unanswered', 'draining'];
/** What a new link or a lost one resets: everything that was heard on a link. */
const HEARD_ON_A_LINK: readonly StandingKind[] = ['alive', 'probing', 'unanswered', 'draining'];
const NOT_DRAINING: readonly StandingKind[] = ['unheard', 'alive', 'probing', 'unanswered'];

export class PeerMonitor {
  readonly #peers = new Map<string, Peer>();
  readonly #options: PeerMonitorOptions;
  readonly #machine: StateMachine<{ readonly kind: MonitorKind }, MonitorCode>;
  #startup: Startup;
  #lastAlive = '';
  readonly #dial: PeerDialer;
  /** Clients' questions about peers (`/status`), answered on news of them. */
  readonly #questions = new PeerQuestions(() => Date.now());

  constructor(options: PeerMonitorOptions) {
    this.#options = options;
    this.#machine = new StateMachine<{ readonly kind: MonitorKind }, MonitorCode>({ kind: 'idle' }, (change) => options.onState?.({ machine: 'monitor', ...change }));
    this.#dial = options.dial ?? wsPeerDialer(options.logger);
    for (const info of options.peers) this.#add(info);
    this.#startup = { kind: 'pending', unsettled: new Set(this.#peers.keys()), waiters: [] };
  }

  #add(info: NodeInfo): void {
    const { self, auth, heartbeat, logger, onState } = this.#options;
    // The host's callbacks run only after dial(), by when `peer` exists.
    const link = new OutboundPeer(info, { self, auth, heartbeat, logger, dial: this.#dial }, {
      opened: () => this.#move(peer, HEARD_ON_A_LINK, { kind: 'unheard' }, { code: 'new-link', message: 'a new link opened' }),
      introduction: () => this.#introduction(),
      frame: (frame) => this.#frame(peer, frame),
      down: (lapsed) => this.#linkDown(peer, lapsed),
      state: (change) => onState?.({ machine: 'link', peer: info.id, ...change }),
    });
    const peer: Peer = { link, standing: { kind: 'unheard' } };
    this.#peers.set(info.id, peer);
  }

  /**
   * The peer set changed at runtime (peers from DNS): a new peer gets a link (dialled if the
   * monitor runs) and joins placement once heard; a peer no longer listed is stopped and leaves
   * placement at once, as a dead one does. A peer whose URL changed is replaced.
   */
  setPeers(infos: readonly NodeInfo[]): void {
    if (this.#machine.is('stopped')) return;
    const wanted = new Map(infos.filter((info) => info.id !== this.#options.self).map((info) => [info.id, info]));
    for (const [id, peer] of [...this.#peers]) {
      const next = wanted.get(id);
      if (next !== undefined && next.url === peer.link.info.url) continue;
      this.#move(peer, NOT_STOPPED, { kind: 'stopped' }, { code: 'stop', message: 'no longer a peer' });
      peer.link.stop();
      this.#peers.delete(id);
      this.#settle(id);
      this.#options.onLinkDown?.(id);
    }
    for (const [id, info] of wanted) {
      if (this.#peers.has(id)) continue;
      this.#add(info);
      if (!this.#machine.is('idle')) this.#peers.get(id)?.link.dial();
    }
    this.#refresh();
  }

  /** Each peer's link state and standing, for the node's metrics (no ids: they are counted). */
  states(): { link: PeerLinkKind; standing: StandingKind }[] {
    return [...this.#peers.values()].map((peer) => ({ link: peer.link.state, standing: peer.standing.kind }));
  }

  start(): void {
    if (!this.#machine.transition(['idle'], { kind: 'running' }, { code: 'start', message: 'dialling every peer' })) return;
    for (const peer of this.#peers.values()) peer.link.dial();
    // A peer that neither answers nor fails (a black hole) must not hold the node forever.
    setUnrefTimeout(() => this.#settleAll(), this.#options.heartbeat.timeoutMs);
    if (this.#peers.size === 0) this.#settleAll();
  }

  /**
   * Resolves once every peer has answered once, or one peer timeout after start. Until then this
   * node's view of the cloud is "just me", and placing sessions on that view would host every
   * session here; so hellos wait for this first. A refused dial does not settle a peer: at a cloud's
   * start its nodes come up one by one, and a peer refusing now may answer a moment later.
   */
  settled(): Promise<void> {
    const startup = this.#startup;
    if (startup.kind === 'settled') return Promise.resolve();
    return new Promise<void>((resolve) => startup.waiters.push(resolve));
  }

  /** Synchronous form of `settled()`, for answers that cannot wait (DNS). */
  isSettled(): boolean {
    return this.#startup.kind === 'settled';
  }

  #settle(id: string): void {
    const startup = this.#startup;
    if (startup.kind === 'pending' && startup.unsettled.delete(id) && startup.unsettled.size === 0) this.#settleAll();
  }

  #settleAll(): void {
    const startup = this.#startup;
    if (startup.kind !== 'pending') return;
    this.#startup = { kind: 'settled' };
    for (const resolve of startup.waiters) resolve();
  }

  /** Ids of the peers placement may use, sorted. */
  alive(): string[] {
    const out: string[] = [];
    for (const [id, peer] of this.#peers) if (isAlive(peer)) out.push(id);
    return out.sort();
  }

  /**
   * A client says `id` failed it. Settles at once when the peer is not alive; otherwise pings over
   * the peer link and waits for the pong up to min(300 ms, timeout). False also takes the peer out
   * of placement until its link shows life again. Concurrent reports share one probe.
   */
  suspect(id: string): Promise<boolean> {
    const peer = this.#peers.get(id);
    if (peer === undefined) return Promise.resolve(false);
    if (peer.standing.kind === 'probing') return peer.standing.probe.promise;
    if (peer.standing.kind !== 'alive') return Promise.resolve(false);
    const pingId = peer.link.ping();
    if (pingId === undefined) return Promise.resolve(false);
    let settle!: (alive: boolean) => void;
    const promise = new Promise<boolean>((resolve) => (settle = resolve));
    const timer = setTimeout(() => {
      if (peer.standing.kind !== 'probing' || peer.standing.probe !== probe) return;
      this.#options.logger.warn('peer did not answer a probe; out of placement', { peer: id });
      this.#move(peer, ['probing'], { kind: 'unanswered' }, { code: 'probe-timeout', message: 'no pong in time' });
      this.#refresh();
    }, Math.min(PROBE_MS, this.#options.heartbeat.timeoutMs));
    timer.unref?.();
    const probe: Probe = { pingId, promise, settle, timer };
    this.#move(peer, ['alive'], { kind: 'probing', probe }, { code: 'suspect', message: 'a client reported it failed' });
    return promise;
  }

  /**
   * A client's question (`GET /status`, docs/protocol.md "Asking the cloud"): is peer `id` gone?
   * `dead` at once when placement no longer counts it (its link lapsed after `timeoutMs` of
   * silence, or a probe went unanswered); otherwise the answer waits for news — `alive` on the
   * first frame from it after the question (one ping asks for one), `dead` when the link lapses,
   * `unknown` after one timeout and one interval. A draining peer, an unknown id, or a node still
   * starting is `unknown`: nothing this node could say would be better than the client's timeout.
   */
  status(id: string, signal?: AbortSignal): Promise<PeerVerdict> {
    if (id === this.#options.self) return Promise.resolve('alive');
    const peer = this.#peers.get(id);
    if (peer === undefined || this.#startup.kind !== 'settled' || this.#machine.is('stopped')) return Promise.resolve('unknown');
    const kind = peer.standing.kind;
    if (kind === 'unheard' || kind === 'unanswered') return Promise.resolve('dead');
    if (kind === 'draining' || kind === 'stopped') return Promise.resolve('unknown');
    const { timeoutMs, intervalMs } = this.#options.heartbeat;
    return this.#questions.wait(id, timeoutMs + intervalMs, signal, (first) => {
      // A live peer answers a ping at once; without it, the answer would wait for its next ping.
      if (first) peer.link.ping();
    });
  }

  /** Questions held now (metrics, tests). */
  get questionsWaiting(): number {
    return this.#questions.waiting;
  }

  /**
   * `id` opened a link to us (proved, when the cloud has a secret): it is up. Our link to it, if
   * down, redials now instead of at its next backoff (see OutboundPeer.redialNow). Costs at most
   * one dial of the peer's configured URL per inbound link, and only while ours is down.
   */
  peerDialled(id: string): void {
    if (this.#machine.is('idle', 'stopped')) return;
    this.#peers.get(id)?.link.redialNow();
  }

  /** `peer-drain` arrived on an inbound link from `id`. */
  noteDrain(id: string): void {
    const peer = this.#peers.get(id);
    if (peer === undefined) return;
    if (!this.#move(peer, NOT_DRAINING, { kind: 'draining' }, { code: 'peer-drain', message: 'announced on its link to us' })) return;
    this.#options.logger.info('peer is draining; out of placement', { peer: id });
    this.#refresh();
  }

  /** This node is draining: tell every peer over our outbound links (and every future one). */
  announceDrain(): void {
    if (!this.#machine.transition(['idle', 'running'], { kind: 'draining' }, { code: 'drain', message: 'this node is draining' })) return;
    this.broadcast({ t: 'peer-drain' });
  }

  /** Sends `frame` on every link a peer may hear (an unproved link gets our news in its introduction). */
  broadcast(frame: PeerFrame): void {
    for (const peer of this.#peers.values()) peer.link.send(frame);
  }

  stop(): void {
    this.#machine.transition(['idle', 'running', 'draining'], { kind: 'stopped' }, { code: 'stop', message: 'monitor stopped' });
    this.#settleAll();
    for (const peer of this.#peers.values()) {
      this.#move(peer, NOT_STOPPED, { kind: 'stopped' }, { code: 'stop', message: 'monitor stopped' });
      peer.link.stop();
    }
    this.#questions.clear();
  }

  /**
   * The one way a peer's standing changes: refused unless it is in `allowedFrom` (a late probe timer
   * cannot undo a newer state). Leaving `probing` settles the probe: true only for a pong.
   */
  #move(peer: Peer, allowedFrom: readonly StandingKind[], next: Standing, reason: Reason<StandingCode>): boolean {
    const prev = peer.standing;
    if (!allowedFrom.includes(prev.kind)) return false;
    peer.standing = next;
    if (prev.kind === 'probing') {
      clearTimeout(prev.probe.timer);
      prev.probe.settle(next.kind === 'alive');
    }
    this.#options.onState?.({ machine: 'standing', peer: peer.link.info.id, from: prev.kind, to: next.kind, reason });
    // Out of placement is what `dead` means to a client asking; a drain or a stop says nothing of life.
    if (next.kind === 'unheard' || next.kind === 'unanswered') this.#questions.settle(peer.link.info.id, 'dead');
    else if (next.kind === 'draining' || next.kind === 'stopped') this.#questions.settle(peer.link.info.id, 'unknown');
    return true;
  }

  /** What a link carries once the peer may hear us, after its first ping: our load, our drain. */
  #introduction(): PeerFrame[] {
    const frames: PeerFrame[] = [];
    const load = this.#options.currentLoad?.();
    if (load !== undefined) frames.push(load);
    if (this.#machine.is('draining')) frames.push({ t: 'peer-drain' });
    return frames;
  }

  #frame(peer: Peer, frame: PeerFrame): void {
    const id = peer.link.info.id;
    this.#settle(id);
    switch (frame.t) {
      case 'pong':
        if (peer.standing.kind === 'probing' && peer.standing.probe.pingId === frame.id) {
          this.#move(peer, ['probing'], { kind: 'alive' }, { code: 'probe-answered', message: 'pong' });
        }
        break;
      case 'peer-drain':
        this.#move(peer, NOT_DRAINING, { kind: 'draining' }, { code: 'peer-drain', message: 'announced on our link' });
        break;
      case 'load':
        this.#options.onLoad?.(id, frame);
        break;
      case 'pin':
      case 'unpin':
        this.#options.onPin?.(id, frame);
        break;
      case 'ping':
      case 'peer-hello':
      case 'peer-welcome':
      case 'peer-auth':
        break; // life only: a ping was answered by the link; the rest are not meant for this side
    }
    // Life on the link: the first frame makes the peer placeable, and any frame clears an
    // unanswered probe (the peer was slow, not gone).
    this.#move(peer, ['unheard', 'unanswered'], { kind: 'alive' }, { code: 'heard', message: `'${frame.t}' arrived` });
    if (peer.standing.kind !== 'draining') this.#questions.settle(id, 'alive');
    this.#refresh();
  }

  #linkDown(peer: Peer, lapsed: boolean): void {
    this.#move(peer, HEARD_ON_A_LINK, { kind: 'unheard' }, { code: 'link-down', message: 'the link to it went down' });
    if (lapsed) this.#options.onLinkDown?.(peer.link.info.id);
    this.#refresh();
  }

  #refresh(): void {
    const alive = this.alive();
    const key = alive.join('\u0000');
    if (key === this.#lastAlive) return;
    this.#lastAlive = key;
    this.#options.logger.debug('alive peers changed', { alive });
    try {
      this.#options.onChange?.(alive);
    } catch (error) {
      this.#options.logger.error('peer onChange hook threw', { error });
    }
  }
}

function isAlive(peer: Peer): boolean {
  return peer.standing.kind === 'alive' || peer.standing.kind === 'probing';
}
