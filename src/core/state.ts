/**
 * A state machine as a value: one current state, one guarded `transition()` that refuses moves from
 * states not listed (so a late callback from an old attempt cannot corrupt the current state), and
 * one listener that sees every change with a coded reason.
 *
 * A state is a variant `{ kind, ...data }`: data that only means something in one state (an attempt
 * in flight, the error that ended it) lives in that state's variant and goes away with it, instead
 * of in side fields that can disagree with the state. The listener sees state names only; the data
 * stays with the owner.
 */
import type { ErrorCode } from './errors.js';

/** Why the session left its node (connected → migrating); the `migrated` event repeats it. */
export type MigrationCode =
  /** The socket closed or reset. */
  | 'link-lost'
  /** Nothing arrived within the heartbeat timeout, or a check after a wake went unanswered. */
  | 'heartbeat-timeout'
  /** The node sent something it must not; the client left it. */
  | 'protocol-error'
  /** The node is shutting down and asked its clients to move (make-before-break). */
  | 'drain'
  /** The cloud moved the session's host to another node (make-before-break). */
  | 'redirect';

/** Why the state moved when nothing failed. */
export type TransitionCode =
  /** connecting → connected: the first node welcomed the client. */
  | 'joined'
  /** migrating → connected: the session is exchanging messages on the new node. */
  | 'migrated'
  | MigrationCode
  /** → closed: `close()` was called. */
  | 'closed'
  /** → closed: the `signal` passed to `connect()` aborted. */
  | 'aborted';

/** Every reason code: a transition, or the `ErrorCode` of the failure that moved the state to `failed`. */
export type ReasonCode = TransitionCode | ErrorCode;

/** A coded cause. The client's machines use `ReasonCode`; the server's peer machines their own unions. */
export interface Reason<C extends string = ReasonCode> {
  /** Stable machine-readable cause. */
  readonly code: C;
  readonly message: string;
}

export interface StateChange<S extends string, C extends string = ReasonCode> {
  readonly from: S;
  readonly to: S;
  readonly reason: Reason<C>;
}

export class StateMachine<V extends { readonly kind: string }, C extends string = ReasonCode> {
  #current: V;
  readonly #onChange: (change: StateChange<V['kind'], C>) => void;

  constructor(initial: V, onChange: (change: StateChange<V['kind'], C>) => void) {
    this.#current = initial;
    this.#onChange = onChange;
  }

  /** The current state's name. */
  get state(): V['kind'] {
    return this.#current.kind;
  }

  /**
   * The current variant with its data. A callback that captured a variant can tell whether it is
   * still current by identity: a later entry into the same state is a new object.
   */
  get current(): V {
    return this.#current;
  }

  is(...states: V['kind'][]): boolean {
    return states.includes(this.#current.kind);
  }

  /** Moves to `to` if the current state is one of `allowedFrom`; returns whether it moved. */
  transition(allowedFrom: readonly V['kind'][], to: V, reason: Reason<C>): boolean {
    const from = this.#current.kind;
    if (!allowedFrom.includes(from)) return false;
    this.#current = to;
    this.#onChange({ from, to: to.kind, reason });
    return true;
  }
}
