/**
 * Rebalancing: when this node's view of placement changes — a peer came back and owns sessions
 * hosted here, or a session was pinned to another node — each session hosted here that now
 * belongs elsewhere moves there as one: its members are redirected on their open links. Debounced:
 * a flurry of changes (a cloud starting, a peer's claims arriving) acts once.
 */
import type { Logger } from '../../core/logger.js';
import { CloseCode } from '../../protocol/frames.js';
import type { PinTable } from './pins.js';
import type { Placement } from './placement.js';
import type { MemberLink, SessionHost } from '../sessions/session-host.js';

export interface RebalancerDeps {
  readonly self: string;
  readonly sessions: SessionHost;
  readonly placement: Placement;
  readonly pins: PinTable;
  /** The wait before acting on a change. */
  readonly delayMs: number;
  /** False once the node drains or closes: it then moves its clients by other means. */
  readonly running: () => boolean;
  readonly logger: Logger;
}

export class Rebalancer {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: RebalancerDeps) {}

  schedule(): void {
    if (this.timer !== undefined || !this.deps.running()) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.deps.running()) this.run();
    }, this.deps.delayMs);
    this.timer.unref();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private run(): void {
    const { sessions, placement, pins, logger } = this.deps;
    for (const session of sessions.sessionIds()) {
      const host = placement.hostOf(session);
      if (host.id === this.deps.self) continue;
      logger.info('session moves to its new host', { session, node: host.id });
      sessions.evict(session, (member: MemberLink) => {
        member.send({ t: 'redirect', node: host, reason: 'rebalance' });
        member.close(CloseCode.redirect, 'redirect');
      });
    }
    // A claim whose session never settled here (its join was refused after the claim) is dropped.
    const hosted = new Set(sessions.sessionIds());
    for (const session of pins.claimed()) if (!hosted.has(session)) pins.release(session);
  }
}
