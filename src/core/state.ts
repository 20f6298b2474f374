/**
 * A state machine as a value: one current state, one guarded `transition()` that refuses moves from
 * states not listed (so a late callback from an old attempt cannot corrupt the current state), and
 * one listener that sees every change with a coded reason.
 */

export interface Reason {
  /** Stable machine-readable cause, e.g. 'link-lost', 'drain', 'closed-by-user'. */
  readonly code: string;
  readonly message: string;
}

export interface StateChange<S extends string> {
  readonly from: S;
  readonly to: S;
  readonly reason: Reason;
}

export class StateMachine<S extends string> {
  #state: S;
  readonly #onChange: (change: StateChange<S>) => void;

  constructor(initial: S, onChange: (change: StateChange<S>) => void) {
    this.#state = initial;
    this.#onChange = onChange;
  }

  get state(): S {
    return this.#state;
  }

  is(...states: S[]): boolean {
    return states.includes(this.#state);
  }

  /** Moves to `to` if the current state is one of `allowedFrom`; returns whether it moved. */
  transition(allowedFrom: readonly S[], to: S, reason: Reason): boolean {
    const from = this.#state;
    if (!allowedFrom.includes(from)) return false;
    this.#state = to;
    this.#onChange({ from, to, reason });
    return true;
  }
}
