import { describe, expect, it } from 'vitest';
import { StateMachine, type StateChange } from '../../src/core/state.js';

type S = 'idle' | 'connecting' | 'connected' | 'closed';
const r = (code: string) => ({ code, message: code });

function machine() {
  const changes: StateChange<S>[] = [];
  const m = new StateMachine<S>('idle', (c) => changes.push(c));
  return { m, changes };
}

describe('StateMachine', () => {
  it('starts in the initial state without an event', () => {
    const { m, changes } = machine();
    expect(m.state).toBe('idle');
    expect(changes).toEqual([]);
  });

  it('moves from a listed state and emits { from, to, reason } once per move', () => {
    const { m, changes } = machine();
    expect(m.transition(['idle'], 'connecting', r('start'))).toBe(true);
    expect(m.transition(['connecting'], 'connected', r('welcome'))).toBe(true);
    expect(m.transition(['connected', 'connecting'], 'closed', r('closed-by-user'))).toBe(true);
    expect(changes).toEqual([
      { from: 'idle', to: 'connecting', reason: r('start') },
      { from: 'connecting', to: 'connected', reason: r('welcome') },
      { from: 'connected', to: 'closed', reason: r('closed-by-user') },
    ]);
    expect(m.state).toBe('closed');
  });

  it('refuses a move from a state not listed: returns false, keeps the state, emits nothing', () => {
    const { m, changes } = machine();
    m.transition(['idle'], 'connecting', r('start'));
    m.transition(['connecting'], 'closed', r('closed'));
    changes.length = 0;
    // A late callback from the old attempt.
    expect(m.transition(['connecting'], 'connected', r('late-welcome'))).toBe(false);
    expect(m.transition([], 'idle', r('never'))).toBe(false);
    expect(m.state).toBe('closed');
    expect(changes).toEqual([]);
  });

  it('is() checks membership', () => {
    const { m } = machine();
    expect(m.is('idle')).toBe(true);
    expect(m.is('connected', 'closed')).toBe(false);
    expect(m.is('closed', 'idle')).toBe(true);
  });

  it('the listener sees the new state already in place', () => {
    let seen: S | undefined;
    const m: StateMachine<S> = new StateMachine<S>('idle', () => (seen = m.state));
    m.transition(['idle'], 'connecting', r('start'));
    expect(seen).toBe('connecting');
  });
});
