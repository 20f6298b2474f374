import { describe, expect, it } from 'vitest';
import { StateMachine, type Reason, type ReasonCode, type StateChange } from '../../src/core/state.js';

type S =
  | { readonly kind: 'idle' }
  | { readonly kind: 'connecting'; readonly attempt: number }
  | { readonly kind: 'connected'; readonly node: string }
  | { readonly kind: 'closed' };
type Name = S['kind'];
const r = (code: ReasonCode): Reason => ({ code, message: code });

function machine() {
  const changes: StateChange<Name>[] = [];
  const m = new StateMachine<S>({ kind: 'idle' }, (c) => changes.push(c));
  return { m, changes };
}

describe('StateMachine', () => {
  it('starts in the initial state without an event', () => {
    const { m, changes } = machine();
    expect(m.state).toBe('idle');
    expect(m.current).toEqual({ kind: 'idle' });
    expect(changes).toEqual([]);
  });

  it('moves from a listed state and emits { from, to, reason } with state names once per move', () => {
    const { m, changes } = machine();
    expect(m.transition(['idle'], { kind: 'connecting', attempt: 1 }, r('joined'))).toBe(true);
    expect(m.transition(['connecting'], { kind: 'connected', node: 'a' }, r('migrated'))).toBe(true);
    expect(m.transition(['connected', 'connecting'], { kind: 'closed' }, r('closed'))).toBe(true);
    expect(changes).toEqual([
      { from: 'idle', to: 'connecting', reason: r('joined') },
      { from: 'connecting', to: 'connected', reason: r('migrated') },
      { from: 'connected', to: 'closed', reason: r('closed') },
    ]);
    expect(m.state).toBe('closed');
  });

  it('the data of a state lives in its variant and goes away with it', () => {
    const { m } = machine();
    m.transition(['idle'], { kind: 'connecting', attempt: 3 }, r('joined'));
    const phase = m.current;
    expect(phase.kind === 'connecting' ? phase.attempt : undefined).toBe(3);
    m.transition(['connecting'], { kind: 'connected', node: 'b' }, r('migrated'));
    expect(m.current).toEqual({ kind: 'connected', node: 'b' });
  });

  it('refuses a move from a state not listed: returns false, keeps the state, emits nothing', () => {
    const { m, changes } = machine();
    m.transition(['idle'], { kind: 'connecting', attempt: 1 }, r('joined'));
    m.transition(['connecting'], { kind: 'closed' }, r('closed'));
    changes.length = 0;
    // A late callback from the old attempt.
    expect(m.transition(['connecting'], { kind: 'connected', node: 'a' }, r('joined'))).toBe(false);
    expect(m.transition([], { kind: 'idle' }, r('aborted'))).toBe(false);
    expect(m.state).toBe('closed');
    expect(changes).toEqual([]);
  });

  it('a later entry into the same state is a new variant, so an old attempt can tell it is stale', () => {
    const { m } = machine();
    const first = { kind: 'connecting', attempt: 1 } as const;
    m.transition(['idle'], first, r('joined'));
    m.transition(['connecting'], { kind: 'idle' }, r('link-lost'));
    m.transition(['idle'], { kind: 'connecting', attempt: 2 }, r('joined'));
    expect(m.is('connecting')).toBe(true);
    expect(m.current === first).toBe(false);
  });

  it('is() checks membership', () => {
    const { m } = machine();
    expect(m.is('idle')).toBe(true);
    expect(m.is('connected', 'closed')).toBe(false);
    expect(m.is('closed', 'idle')).toBe(true);
  });

  it('the listener sees the new state already in place', () => {
    let seen: Name | undefined;
    const m: StateMachine<S> = new StateMachine<S>({ kind: 'idle' }, () => (seen = m.state));
    m.transition(['idle'], { kind: 'connecting', attempt: 1 }, r('joined'));
    expect(seen).toBe('connecting');
  });

  it('reason codes are the transition codes or an ErrorCode, nothing else', () => {
    const { m } = machine();
    const codes: ReasonCode[] = ['joined', 'migrated', 'link-lost', 'heartbeat-timeout', 'protocol-error', 'drain', 'redirect', 'closed', 'aborted', 'GRIDLINK_NO_NODES'];
    for (const code of codes) expect(r(code).code).toBe(code);
    // @ts-expect-error a free-form string is not a reason code
    m.transition(['idle'], { kind: 'closed' }, { code: 'closed-by-user', message: 'x' });
    // @ts-expect-error error codes are spelled as in core/errors.ts
    const wrong: ReasonCode = 'GRIDLINK_NOPE';
    expect(wrong).toBe('GRIDLINK_NOPE');
  });
});
