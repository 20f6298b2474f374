/**
 * The session's states (session.ts): one state variable, whose variants carry what belongs to them
 * — the link, the migration in flight, the failure.
 */
import type { GridlinkError } from '../core/errors.js';
import type { MigrationCode, Reason } from '../core/state.js';
import type { Link } from '../link/link.js';
import type { NodeInfo } from '../protocol/frames.js';
import type { SessionState } from './session-api.js';

/** One state variable: the link, the migration in flight and the failure live in their state's variant. */
export type Phase =
  | { readonly kind: 'connecting' }
  | { readonly kind: 'connected'; readonly link: Link }
  | Migration
  | { readonly kind: 'closed' }
  | { readonly kind: 'failed'; readonly failure: GridlinkError };

/**
 * The migration in flight. Entering 'migrating' is the only way to start one and is allowed from
 * 'connected' only, so a heartbeat death, a close and a drain arriving together start one between
 * them; the join's answer acts only while this very object is the current state.
 */
export interface Migration {
  readonly kind: 'migrating';
  readonly from: NodeInfo;
  readonly reason: Reason<MigrationCode>;
  /** `platform.now()` when the session decided to leave `from`. */
  readonly started: number;
  /** The old link while it still delivers (drain, redirect: make-before-break); undefined once gone. */
  link: Link | undefined;
  /** `platform.now()` of the last frame the old link received, once it is gone. */
  lastHeard: number;
}

/**
 * While the client is trying to reach its cloud (connecting, migrating) it keeps a Node process
 * alive, as an open socket would; connected, the socket does that, and closed or failed, nothing
 * should. Without it, a script awaiting `ready` exits between attempts with nothing said. Returns
 * the release of the hold now held (`held`, a new one from `hold`, or none).
 */
export function holdWhileTrying(state: SessionState, held: (() => void) | undefined, hold: (() => () => void) | undefined): (() => void) | undefined {
  if (state === 'connecting' || state === 'migrating') return held ?? hold?.();
  held?.();
  return undefined;
}
