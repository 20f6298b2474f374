/** Placement's exceptions to rendezvous: redirects remembered, then pins claimed and honoured. */
import { describe, expect, it } from 'vitest';
import { rendezvousOwner } from '../../src/protocol/rendezvous.js';
import { silentLogger } from '../../src/core/logger.js';
import { Placement, type PeerView } from '../../src/server/placement/placement.js';
import { PinTable } from '../../src/server/placement/pins.js';
import { MAX_REPORTED_MOVES, MOVE_WINDOW_MS } from '../../src/server/placement/move-budget.js';

function pinTable(self: string, now: () => number = Date.now): PinTable {
  return new PinTable(self, { announce: () => {}, changed: () => {}, logger: silentLogger }, now);
}

describe('Placement with pins', () => {
  const info = (id: string) => ({ id, url: `ws://${id}.test:1` });
  function placement(self: string, alive: string[], now: () => number = Date.now) {
    const pins = pinTable(self, now);
    const view: PeerView = { alive: () => alive, settled: async () => {}, suspect: async () => true };
    const peers = ['a', 'b', 'c'].filter((id) => id !== self).map(info);
    return { pins, placement: new Placement({ self: info(self), peers, view, pins, draining: () => false, logger: silentLogger }) };
  }
  const ownedBy = (owner: string): string => {
    for (let i = 0; ; i++) if (rendezvousOwner(`s${i}`, ['a', 'b', 'c'], (id) => id) === owner) return `s${i}`;
  };

  it('sends a member back to a live host once, then pins the session here', () => {
    const { pins, placement: onB } = placement('b', ['a', 'c']);
    const session = ownedBy('a');
    const hello = { session, client: 'bob', failed: ['a'] };
    expect(onB.decide({ session, client: 'bob' })).toMatchObject({ kind: 'redirect', node: { id: 'a' } });
    expect(onB.decide(hello)).toMatchObject({ kind: 'redirect', node: { id: 'a' }, reason: 'not-host' });
    expect(onB.decide(hello)).toEqual({ kind: 'host' });
    expect(onB.hostOf(session).id).toBe('b');
    expect(pins.frames()).toEqual([{ t: 'pin', session, epoch: 1, avoid: ['a'] }]);
  });

  it('does not claim a session some member could not reach it for: sends the member to a node nobody failed', () => {
    const { pins, placement: onB } = placement('b', ['a', 'c']);
    const session = ownedBy('a');
    // c holds the session because a member could not reach b; now this member cannot reach c.
    pins.note('c', { t: 'pin', session, epoch: 1, avoid: ['b'] });
    expect(onB.hostOf(session).id).toBe('c');
    const hello = { session, client: 'carol', failed: ['c'] };
    expect(onB.decide(hello)).toMatchObject({ kind: 'redirect', node: { id: 'c' } });
    expect(onB.decide(hello)).toMatchObject({ kind: 'redirect', node: { id: 'a' } });
    expect(pins.claimed()).toEqual([]);
  });

  it('honours a pin only while its node is alive', () => {
    const { pins, placement: onB } = placement('b', ['a']);
    const session = ownedBy('a');
    pins.note('c', { t: 'pin', session, epoch: 1 });
    expect(onB.hostOf(session).id).toBe('a');
  });

  describe('failed reports about a live host are rationed per session', () => {
    /** Asks `node` twice as a client that cannot reach `failed` (the second time it is believed). */
    const report = (node: Placement, session: string, client: string, failed: string) => {
      node.decide({ session, client, failed: [failed] });
      return node.decide({ session, client, failed: [failed] });
    };

    it(`moves a session at most ${MAX_REPORTED_MOVES} times per window, counting claims heard from peers`, () => {
      let clock = 0;
      const now = () => clock;
      const b = placement('b', ['a', 'c'], now);
      const c = placement('c', ['a', 'b'], now);
      const session = ownedBy('a');
      // A stranger says "a failed" at b, then "b failed" at c: two moves, each heard by the other.
      expect(report(b.placement, session, 'x1', 'a')).toEqual({ kind: 'host' });
      for (const frame of b.pins.frames()) c.pins.note('b', frame);
      expect(report(c.placement, session, 'x2', 'b')).toEqual({ kind: 'host' });
      for (const frame of c.pins.frames()) b.pins.note('c', frame);
      // A third at b, with a client b has never seen: b knows of two moves in the window.
      expect(report(b.placement, session, 'x3', 'c')).toMatchObject({ kind: 'redirect', node: { id: 'c' }, reason: 'not-host' });
      expect(report(b.placement, session, 'x4', 'c')).toMatchObject({ kind: 'redirect', node: { id: 'c' } });
      expect(b.pins.frames()).toEqual([{ t: 'pin', session, epoch: 1, avoid: ['a'] }]);
      expect(b.placement.hostOf(session).id).toBe('c');
      // Once the window has passed, a report may move it again.
      clock += MOVE_WINDOW_MS;
      expect(report(b.placement, session, 'x5', 'c')).toEqual({ kind: 'host' });
      expect(b.placement.hostOf(session).id).toBe('b');
    });

    it('the same claim heard again (a peer link reopened) is not another move', () => {
      const b = placement('b', ['a', 'c'], () => 0);
      const session = ownedBy('a');
      for (let i = 0; i < 5; i++) {
        b.pins.note('c', { t: 'pin', session, epoch: 1, avoid: ['a'] });
        b.pins.forget('c');
      }
      expect(b.pins.mayClaim(session)).toBe(true);
      b.pins.note('c', { t: 'pin', session, epoch: 2, avoid: ['a'] });
      expect(b.pins.mayClaim(session)).toBe(false);
      expect(b.pins.mayClaim(ownedBy('c'))).toBe(true);
    });

    it('a refused report leaves the session where it is and claims nothing', () => {
      const b = placement('b', ['a', 'c'], () => 0);
      const session = ownedBy('a');
      b.pins.note('c', { t: 'pin', session, epoch: 1, avoid: ['a'] });
      b.pins.note('a', { t: 'pin', session, epoch: 2, avoid: ['c'] });
      expect(b.placement.hostOf(session).id).toBe('a');
      expect(report(b.placement, session, 'x', 'a')).toMatchObject({ kind: 'redirect', node: { id: 'a' } });
      expect(b.pins.claimed()).toEqual([]);
    });
  });
});
