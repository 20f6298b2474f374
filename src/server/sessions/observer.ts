/**
 * What the session host reports to its node for the embedding process (`node.on(…)`; the node's
 * node-events.ts turns these into events). Observe-only: nothing returned changes delivery. The
 * host asks `watching` before the one report on the relay's path, so a node nobody listens to
 * pays a field read per message, not an event.
 */
import type { JsonValue, MsgFrame } from '../../protocol/frames.js';

export interface SessionObserver {
  /** Whether anyone listens for `message` now. */
  watchingMessages(): boolean;
  /** A member new to the session joined here (not one resuming, or arriving with a migrating session). */
  joined(session: string, client: string, meta: JsonValue | undefined): void;
  /** A member left for good: `bye`, or away past its grace period. */
  left(session: string, client: string, reason: 'bye' | 'timeout'): void;
  /** A member's application message, as relayed (replays included); `payloadJson`: `frame.d` as JSON text, when the relay kept it so. */
  message(session: string, from: string, frame: MsgFrame, payloadJson: string | undefined): void;
  /** A session arrived here from another node (its host died, drained, or placement moved it). */
  migratedIn(session: string, from: string | undefined): void;
}
