/** Placement's exceptions to rendezvous: redirects remembered, then pins claimed and honoured. */
import { describe, expect, it } from 'vitest';
import { rendezvousOwner } from '../../src/protocol/rendezvous.js';
import { silentLogger } from '../../src/core/logger.js';
import { Placement, type PeerView } from '../../src/server/placement/placement.js';
import { PinTable } from '../../src/server/placement/pins.js';

function pinTable(self: string): PinTable {
  return new PinTable(self, { announce: () => {}, changed: () => {}, logger: silentLogger });
}

describe('Placement with pins', () => {
  const info = (id: string) => ({ id, url: `ws://${id}.test:1` });
  function placement(self: string, alive: string[]) {
    const pins = pinTable(self);
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
});
