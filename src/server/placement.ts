/**
 * Placement: which node hosts a session. The host is the rendezvous owner of the session id among
 * the nodes this node believes alive — itself (unless draining) and its live peers — so every node
 * with the same view, and any client using the `affinity` policy, names the same host.
 */
import { rendezvousOwner } from '../choose/rendezvous.js';
import type { HelloFrame, NodeInfo } from '../protocol/frames.js';

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

export class Placement {
  private readonly byId: Map<string, NodeInfo>;

  constructor(
    private readonly self: NodeInfo,
    peers: readonly NodeInfo[],
    private readonly view: PeerView,
    private readonly draining: () => boolean,
  ) {
    this.byId = new Map(peers.map((peer) => [peer.id, peer]));
  }

  /** The host of `session` as this node sees it now. A draining node with no live peer names itself. */
  hostOf(session: string): NodeInfo {
    return rendezvousOwner(session, this.candidates(this.draining()), (node) => node.id) ?? this.self;
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
  decide(session: string): Decision {
    if (this.draining()) {
      const host = rendezvousOwner(session, this.candidates(true), (node) => node.id);
      if (host === undefined) return { kind: 'refuse', code: 'draining', message: 'this node is draining and no other node is alive' };
      return { kind: 'redirect', node: host, reason: 'draining' };
    }
    const host = this.hostOf(session);
    return host.id === this.self.id ? { kind: 'host' } : { kind: 'redirect', node: host, reason: 'not-host' };
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
