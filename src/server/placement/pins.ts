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
 * - A claim carries the nodes members could not reach (`avoid`), its own reason included, and a
 *   node on that list does not claim the session itself (placement.ts): a member could not reach
 *   it. So a session whose members each lack a different node still settles on one they all reach.
 * - Every claim, made or heard, spends the session's move budget (move-budget.ts): a report that
 *   a live host failed cannot be checked, so how often it may move a session is bounded instead.
 */
import { rendezvousOwner } from '../../protocol/rendezvous.js';
import type { Logger } from '../../core/logger.js';
import { MAX_AVOID, type PinFrame, type UnpinFrame } from '../peers/frames.js';
import { MoveBudget } from './move-budget.js';

export interface PinTableHooks {
  /** Send this to every peer (one of this node's own claims was made or dropped). */
  readonly announce: (frame: PinFrame | UnpinFrame) => void;
  /** Which node a session is pinned to may have changed (placement should look again). */
  readonly changed: () => void;
  readonly logger: Logger;
}

/** Bound on the claims kept from one peer: a confused or hostile peer must not grow this without end. */
export const MAX_CLAIMS_PER_PEER = 100_000;

interface Claim {
  readonly epoch: number;
  readonly avoid: readonly string[];
}

export class PinTable {
  /** This node's claims, by session. */
  private readonly own = new Map<string, Claim>();
  /** Peers' claims, as heard on the current link to each: peer -> session -> claim. */
  private readonly heard = new Map<string, Map<string, Claim>>();
  private readonly budget: MoveBudget;

  constructor(
    private readonly self: string,
    private readonly hooks: PinTableHooks,
    now: () => number = Date.now,
  ) {
    this.budget = new MoveBudget(now);
  }

  /** Whether `session` may be claimed now: its move budget, spent by every claim known, allows one more. */
  mayClaim(session: string): boolean {
    return this.budget.allows(session);
  }

  /** The node `session` is pinned to among the nodes `usable` accepts, if any claim counts. */
  pinnedTo(session: string, usable: (node: string) => boolean): string | undefined {
    let epoch = 0;
    let leaders: string[] = [];
    for (const [node, claim] of this.claimsOn(session)) {
      if (claim.epoch < epoch || !usable(node)) continue;
      if (claim.epoch > epoch) {
        epoch = claim.epoch;
        leaders = [];
      }
      leaders.push(node);
    }
    return leaders.length <= 1 ? leaders[0] : rendezvousOwner(session, leaders, (node) => node);
  }

  /** Every node some member of `session` could not reach, by any claim known. */
  avoided(session: string): Set<string> {
    const out = new Set<string>();
    for (const [, claim] of this.claimsOn(session)) for (const node of claim.avoid) out.add(node);
    return out;
  }

  /**
   * Claims `session` for this node, above every claim known for it, because a member could not
   * reach `unreachable` (added to what the session avoids).
   */
  claim(session: string, unreachable: string): void {
    let epoch = 0;
    for (const [, claim] of this.claimsOn(session)) epoch = Math.max(epoch, claim.epoch);
    const avoided = this.avoided(session);
    avoided.delete(unreachable);
    const claim: Claim = { epoch: epoch + 1, avoid: [...avoided, unreachable].slice(-MAX_AVOID) };
    this.own.set(session, claim);
    this.budget.spend(session, this.self, claim.epoch);
    this.hooks.logger.info('session pinned here: a member cannot reach its host', { session, epoch: claim.epoch, avoid: claim.avoid });
    this.hooks.announce(pinFrame(session, claim));
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
    return [...this.own].map(([session, claim]) => pinFrame(session, claim));
  }

  /** A peer's `pin` or `unpin`. */
  note(peer: string, frame: PinFrame | UnpinFrame): void {
    let claims = this.heard.get(peer);
    if (frame.t === 'unpin') {
      if (claims?.delete(frame.session) === true) this.hooks.changed();
      return;
    }
    if (claims === undefined) this.heard.set(peer, (claims = new Map()));
    const known = claims.get(frame.session);
    const avoid = frame.avoid ?? [];
    if (known?.epoch === frame.epoch && known.avoid.join('\u0000') === avoid.join('\u0000')) return;
    if (known === undefined && claims.size >= MAX_CLAIMS_PER_PEER) {
      this.hooks.logger.warn('peer claims too many pinned sessions; ignoring the rest', { peer, limit: MAX_CLAIMS_PER_PEER });
      return;
    }
    claims.set(frame.session, { epoch: frame.epoch, avoid });
    this.budget.spend(frame.session, peer, frame.epoch);
    this.hooks.changed();
  }

  /** Every claim known on `session`: this node's and its peers', by claimant. */
  private *claimsOn(session: string): Generator<[string, Claim]> {
    const own = this.own.get(session);
    if (own !== undefined) yield [this.self, own];
    for (const [peer, claims] of this.heard) {
      const claim = claims.get(session);
      if (claim !== undefined) yield [peer, claim];
    }
  }

  /** The link to `peer` went down: what it claimed is no longer known to hold. */
  forget(peer: string): void {
    const claims = this.heard.get(peer);
    this.heard.delete(peer);
    if (claims !== undefined && claims.size > 0) this.hooks.changed();
  }
}

function pinFrame(session: string, claim: Claim): PinFrame {
  return { t: 'pin', session, epoch: claim.epoch, avoid: [...claim.avoid] };
}
