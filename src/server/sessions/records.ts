/**
 * The records a hosted session keeps, shared by the session host (session-host.ts: joining,
 * relaying, acknowledgements) and its membership (membership.ts: who is a member). Each union
 * carries its own timer, so leaving a state is the one place that timer stops.
 */
import type { JsonValue, NodeFrame } from '../../protocol/frames.js';
import type { Owed } from './delivery.js';
import type { PendingPublishes } from './publishes.js';
import type { SharedState } from './shared-state.js';

/** How the session host reaches one member's current link. */
export interface MemberLink {
  /** `text`, when given, is `frame` encoded (codec.ts `encodeFrame`, or `encodeMsg` with its payload's JSON). */
  send(frame: NodeFrame, text?: string): void;
  close(code: number, reason: string): void;
}

export type Attachment =
  | { kind: 'attached'; link: MemberLink }
  /** Link lost (or never seen: a placeholder); removed when `expiry` fires unless it comes back. */
  | { kind: 'detached'; expiry: NodeJS.Timeout };

export interface Member {
  readonly id: string;
  attachment: Attachment;
  /** Reported watermarks per sender. A sender missing here is unknown and blocks its acks. */
  recv: Map<string, number>;
  /** Highest `acked.upTo` sent to this member on its current link. */
  ackedSent: number;
  /** What it owes (delivery.ts); undefined while it owes nothing. Kept across its links. See SessionHost `sweepStalled`. */
  owed?: Owed;
  /** Whether it holds senders' acknowledgements back: until it stalls on a link, or never for an unvouched placeholder. */
  holds: boolean;
  /** What it says of itself (hello, `meta` frames); undefined only for a placeholder, which has not said. */
  meta: JsonValue | undefined;
  /** The node's `authenticate` gave `meta`: the member's own `meta` frames do not change it. */
  metaFromServer: boolean;
  /** It understands `to` stubs and `shared` frames (its hello had `shared`). */
  ext: boolean;
  /** It takes `pub` frames and confirms them (its hello had `pub: 1`). */
  pubs: boolean;
  /** Never attached on this host: announced by another member, on its way. */
  placeholder: boolean;
  /** The newest token generation this member has used here; an older token no longer resumes it. */
  floor?: number;
  /** The generation its current link was welcomed with: the floor once that link is used. */
  issued?: number;
}

export type Settle = { kind: 'settling'; timer: NodeJS.Timeout } | { kind: 'settled' };

export interface Session {
  readonly id: string;
  readonly members: Map<string, Member>;
  /**
   * Each sender's position: the highest reliable seq it declared (hello.sent) or we relayed. A member
   * meeting that sender starts after it. Unknown (absent) only for a sender that never said.
   */
  readonly positions: Map<string, number>;
  settle: Settle;
  /** Unclaimed placeholders, oldest first: the first to go when a real joiner needs the room. */
  readonly placeholders: Set<string>;
  /** The shared map (shared-state.ts): dropped with the session, i.e. once its last member is gone past its grace period. */
  readonly shared: SharedState;
  /** Publishes waiting for members' `got` (publishing.ts); created by the first publish. */
  publishes?: PendingPublishes;
}
