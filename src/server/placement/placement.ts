/**
 * Placement: which node hosts a session. The host is the rendezvous owner of the session id among
 * the nodes this node believes alive — itself (unless draining) and its live peers — so every node
 * with the same view, and any client using the `affinity` policy, names the same host. The one
 * exception is a pinned session (pins.ts): it stays on the node that claimed it while that node
 * is alive, because one of its members could not reach the rendezvous host.
 *
 * What a hello's `failed` report may do, and on what evidence:
 * - A node it names that this node also finds dead (probed over the peer link) leaves placement
 *   like any dead node: that is checked.
 * - A live host it names moves the session only if the same client, sent back there, returns
 *   without having joined anywhere (redirect-memory.ts), and only within the session's move budget
 *   (move-budget.ts: at most 2 moves per 30 s, counted across the cloud). Its word cannot be checked
 *   — the partition is one-sided — so its rate is bounded instead. On a node with an `authenticate`
 *   hook the report is also only heard from a client the hook let in: admission asks it first.
 */
import { rendezvousOwner } from '../../protocol/rendezvous.js';
import type { Logger } from '../../core/logger.js';
import type { HelloFrame, NodeInfo } from '../../protocol/frames.js';
import type { PinTable } from './pins.js';
import { RedirectMemory } from './redirect-memory.js';

/** What placement needs from the peer monitor. */
export interface PeerView {
  alive(): string[];
  /** Resolves once the first view of the peers is known (see PeerMonitor.settled). */
  settled(): Promise<void>;
  suspect(id: string): Promise<boolean>;
}

export type Decision =
  | { kind: 'host' }
  | { kind: 'redirect'; node: NodeInfo; reason: 'not-host' | 'draining' }
  /** Draining, and no other node is alive to take the session. */
  | { kind: 'refuse'; code: 'draining'; message: string };

export interface PlacementDeps {
  /** This node, as clients reach it. */
  readonly self: NodeInfo;
  /** The peers, as clients reach them. */
  readonly peers: readonly NodeInfo[];
  readonly view: PeerView;
  readonly pins: PinTable;
  readonly draining: () => boolean;
  readonly logger: Logger;
}

export class Placement {
  private readonly self: NodeInfo;
  private readonly byId: Map<string, NodeInfo>;
  private readonly view: PeerView;
  private readonly redirects = new RedirectMemory();

  constructor(private readonly deps: PlacementDeps) {
    this.self = deps.self;
    this.view = deps.view;
    this.byId = new Map(deps.peers.map((peer) => [peer.id, peer]));
  }

  /** The peer set changed at runtime (peers from DNS); a peer not listed here is never a host. */
  setPeers(peers: readonly NodeInfo[]): void {
    this.byId.clear();
    for (const peer of peers) this.byId.set(peer.id, peer);
  }

  /** The host of `session` as this node sees it now. A draining node with no live peer names itself. */
  hostOf(session: string): NodeInfo {
    return this.hostAmong(session, this.candidates(this.deps.draining())) ?? this.self;
  }

  /**
   * Weighs a hello's `failed` report: nodes it names that this node still thinks alive are probed,
   * so the decision that follows never steers the client back to the node that just failed it, yet
   * a false report about a live node changes nothing. Only this step waits.
   */
  async probe(hello: HelloFrame): Promise<void> {
    await this.view.settled();
    const alive = new Set(this.view.alive());
    const suspects = (hello.failed ?? []).filter((id) => id !== this.self.id && alive.has(id));
    if (suspects.length > 0) await Promise.all(suspects.map((id) => this.view.suspect(id)));
  }

  /**
   * Where a hello belongs, on the view as it is now. Synchronous on purpose: the caller acts on the
   * answer (join or redirect) before anything else can change the view or start a drain.
   */
  decide(hello: Pick<HelloFrame, 'session' | 'client' | 'resume' | 'failed'>): Decision {
    const { session } = hello;
    if (this.deps.draining()) {
      const host = this.hostAmong(session, this.candidates(true));
      if (host === undefined) return { kind: 'refuse', code: 'draining', message: 'this node is draining and no other node is alive' };
      return { kind: 'redirect', node: host, reason: 'draining' };
    }
    const host = this.hostOf(session);
    if (host.id === this.self.id) return { kind: 'host' };
    // The host is alive for us (a failed report was probed first), yet this client says it failed
    // it: send it back once, but if it returns without having joined anywhere, it cannot reach the
    // host, and the session must move.
    if (hello.failed?.includes(host.id) === true && this.redirects.sentBefore(hello, host.id)) return this.unreachable(hello, host);
    return { kind: 'redirect', node: host, reason: 'not-host' };
  }

  /**
   * A member cannot reach the session's host. The session comes here, where it can — unless some
   * member could not reach this node either: then to a node no member failed to reach, if any.
   */
  private unreachable(hello: Pick<HelloFrame, 'session' | 'client' | 'failed'>, host: NodeInfo): Decision {
    const { session } = hello;
    const avoid = this.deps.pins.avoided(session).add(host.id);
    if (avoid.has(this.self.id)) {
      const failed = new Set(hello.failed);
      const others = this.candidates(true).filter((node) => !avoid.has(node.id) && !failed.has(node.id));
      const better = rendezvousOwner(session, others, (node) => node.id);
      if (better !== undefined) return { kind: 'redirect', node: better, reason: 'not-host' };
    }
    if (!this.deps.pins.mayClaim(session)) {
      // The report cannot be checked (the host is alive for us), so its power is rationed: send
      // the member back to the host until the session's move budget allows another move.
      this.deps.logger.warn('a member reports it cannot reach the host, but the session moved too often lately; sending it back', { session, client: hello.client, host: host.id });
      return { kind: 'redirect', node: host, reason: 'not-host' };
    }
    this.deps.logger.info('a member cannot reach the host of its session; pinning it here', { session, client: hello.client, host: host.id });
    this.deps.pins.claim(session, host.id);
    return { kind: 'host' };
  }

  /** The pinned node among `candidates` if a claim counts, else the rendezvous owner. */
  private hostAmong(session: string, candidates: NodeInfo[]): NodeInfo | undefined {
    const pinned = this.deps.pins.pinnedTo(session, (id) => candidates.some((node) => node.id === id));
    if (pinned !== undefined) return candidates.find((node) => node.id === pinned);
    return rendezvousOwner(session, candidates, (node) => node.id);
  }

  private candidates(withoutSelf: boolean): NodeInfo[] {
    const out: NodeInfo[] = withoutSelf ? [] : [this.self];
    for (const id of this.view.alive()) {
      const node = this.byId.get(id);
      if (node !== undefined) out.push(node);
    }
    return out;
  }
}
