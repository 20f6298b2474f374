/**
 * Pins: the cloud's exceptions to rendezvous placement, for one-sided partitions.
 *
 * Rendezvous hashing names one host per session among the nodes alive *for the nodes*. A member
 * that cannot reach that host while the nodes still can (a broken route between one client network
 * and one node) would be redirected back to it forever. So when a node learns that a member cannot
 * reach the session's host (see `RedirectMemory`), it claims the session for itself — the member
 * did reach it — and every node then places the session there instead.
 *
 * - A claim is made and held by one node, and lasts as long as that node hosts the session.
 * - Each node tells its claims over its peer links, and a new link hears them all. A peer keeps a
 *   node's claims only while its own link to that node is up: a node that restarts hosts nothing.
 * - A claim counts only while its node is one placement may use (alive, not draining).
 * - Two claims for one session (two nodes claimed at once, or a member of a pinned session could
 *   not reach the pinned node either) are ordered by epoch — a claim is made one above the highest
 *   the node knows — and then by rendezvous weight, so every node that knows them picks the same.
 */
import { rendezvousOwner } from '../choose/rendezvous.js';
import type { Logger } from '../core/logger.js';
import type { PinFrame, UnpinFrame } from './peer-frames.js';

export interface PinTableHooks {
  /** Send this to every peer (one of this node's own claims was made or dropped). */
  readonly announce: (frame: PinFrame | UnpinFrame) => void;
  /** Which node a session is pinned to may have changed (placement should look again). */
  readonly changed: () => void;
  readonly logger: Logger;
}

/** Bound on the claims kept from one peer: a confused or hostile peer must not grow this without end. */
export const MAX_CLAIMS_PER_PEER = 100_000;

export class PinTable {
  /** This node's claims: session -> epoch. */
  private readonly own = new Map<string, number>();
  /** Peers' claims, as heard on the current link to each: peer -> session -> epoch. */
  private readonly heard = new Map<string, Map<string, number>>();

  constructor(
    private readonly self: string,
    private readonly hooks: PinTableHooks,
  ) {}

  /** The node `session` is pinned to among the nodes `usable` accepts, if any claim counts. */
  pinnedTo(session: string, usable: (node: string) => boolean): string | undefined {
    let epoch = 0;
    let leaders: string[] = [];
    const consider = (node: string, claimEpoch: number | undefined): void => {
      if (claimEpoch === undefined || claimEpoch < epoch || !usable(node)) return;
      if (claimEpoch > epoch) {
        epoch = claimEpoch;
        leaders = [];
      }
      leaders.push(node);
    };
    consider(this.self, this.own.get(session));
    for (const [peer, claims] of this.heard) consider(peer, claims.get(session));
    return leaders.length <= 1 ? leaders[0] : rendezvousOwner(session, leaders, (node) => node);
  }

  /** Claims `session` for this node, above every claim known for it. */
  claim(session: string): void {
    let epoch = this.own.get(session) ?? 0;
    for (const claims of this.heard.values()) epoch = Math.max(epoch, claims.get(session) ?? 0);
    epoch += 1;
    this.own.set(session, epoch);
    this.hooks.logger.info('session pinned here: a member cannot reach its host', { session, epoch });
    this.hooks.announce({ t: 'pin', session, epoch });
    this.hooks.changed();
  }

  /** Drops this node's claim on `session` (it no longer hosts it). */
  release(session: string): void {
    if (!this.own.delete(session)) return;
    this.hooks.logger.debug('pin released', { session });
    this.hooks.announce({ t: 'unpin', session });
    this.hooks.changed();
  }

  /** Sessions this node has claimed. */
  claimed(): string[] {
    return [...this.own.keys()];
  }

  /** This node's claims as frames, for a peer link that just opened. */
  frames(): PinFrame[] {
    return [...this.own].map(([session, epoch]) => ({ t: 'pin', session, epoch }));
  }

  /** A peer's `pin` or `unpin`. */
  note(peer: string, frame: PinFrame | UnpinFrame): void {
    let claims = this.heard.get(peer);
    if (frame.t === 'unpin') {
      if (claims?.delete(frame.session) === true) this.hooks.changed();
      return;
    }
    if (claims === undefined) this.heard.set(peer, (claims = new Map()));
    if (claims.get(frame.session) === frame.epoch) return;
    if (!claims.has(frame.session) && claims.size >= MAX_CLAIMS_PER_PEER) {
      this.hooks.logger.warn('peer claims too many pinned sessions; ignoring the rest', { peer, limit: MAX_CLAIMS_PER_PEER });
      return;
    }
    claims.set(frame.session, frame.epoch);
    this.hooks.changed();
  }

  /** The link to `peer` went down: what it claimed is no longer known to hold. */
  forget(peer: string): void {
    const claims = this.heard.get(peer);
    this.heard.delete(peer);
    if (claims !== undefined && claims.size > 0) this.hooks.changed();
  }
}
