/** Placement's exceptions: the pin table, the redirect memory that triggers pins, and their peer frames. */
import { describe, expect, it } from 'vitest';
import { rendezvousOwner } from '../../src/protocol/rendezvous.js';
import { silentLogger } from '../../src/core/logger.js';
import { decodePeerFrame, MAX_AVOID } from '../../src/server/peers/frames.js';
import { Placement, type PeerView } from '../../src/server/placement/placement.js';
import { MAX_CLAIMS_PER_PEER, PinTable } from '../../src/server/placement/pins.js';
import { RedirectMemory } from '../../src/server/placement/redirect-memory.js';

function table(self = 'b') {
  const sent: unknown[] = [];
  let changes = 0;
  const pins = new PinTable(self, {
    announce: (frame) => sent.push(frame),
    changed: () => changes++,
    logger: silentLogger,
  });
  return { pins, sent, changes: () => changes };
}

const anyone = (): boolean => true;

describe('PinTable', () => {
  it('claims above every known claim, announces it, and releases it once', () => {
    const { pins, sent, changes } = table('b');
    pins.note('c', { t: 'pin', session: 's', epoch: 4, avoid: ['a'] });
    expect(pins.pinnedTo('s', anyone)).toBe('c');
    pins.claim('s', 'c');
    const claim = { t: 'pin', session: 's', epoch: 5, avoid: ['a', 'c'] };
    expect(sent).toEqual([claim]);
    expect(pins.pinnedTo('s', anyone)).toBe('b');
    expect(pins.avoided('s')).toEqual(new Set(['a', 'c']));
    expect(pins.frames()).toEqual([claim]);
    expect(pins.claimed()).toEqual(['s']);
    pins.release('s');
    pins.release('s');
    expect(sent).toEqual([claim, { t: 'unpin', session: 's' }]);
    expect(pins.pinnedTo('s', anyone)).toBe('c');
    expect(changes()).toBe(3);
  });

  it('counts only claims of nodes placement may use', () => {
    const { pins } = table('b');
    pins.note('c', { t: 'pin', session: 's', epoch: 2 });
    pins.note('d', { t: 'pin', session: 's', epoch: 1 });
    expect(pins.pinnedTo('s', (node) => node !== 'c')).toBe('d');
    expect(pins.pinnedTo('s', () => false)).toBeUndefined();
    expect(pins.pinnedTo('other', anyone)).toBeUndefined();
  });

  it('breaks a tie between equal epochs by rendezvous weight, the same on every node', () => {
    const session = 'tie';
    const winner = rendezvousOwner(session, ['c', 'd'], (id) => id);
    const onB = table('b').pins;
    onB.note('c', { t: 'pin', session, epoch: 1 });
    onB.note('d', { t: 'pin', session, epoch: 1 });
    const onC = table('c').pins;
    onC.claim(session, 'a');
    onC.note('d', { t: 'pin', session, epoch: 1 });
    expect(onB.pinnedTo(session, anyone)).toBe(winner);
    expect(onC.pinnedTo(session, anyone)).toBe(winner);
  });

  it('forgets a peer\'s claims when its link goes down, and obeys its unpin', () => {
    const { pins, changes } = table('b');
    pins.note('c', { t: 'pin', session: 's', epoch: 1 });
    pins.note('c', { t: 'pin', session: 's', epoch: 1 }); // repeated on a new link: no change
    pins.note('c', { t: 'pin', session: 't', epoch: 1 });
    expect(changes()).toBe(2);
    pins.note('c', { t: 'unpin', session: 't' });
    pins.note('c', { t: 'unpin', session: 't' });
    expect(pins.pinnedTo('t', anyone)).toBeUndefined();
    pins.forget('c');
    pins.forget('c');
    expect(pins.pinnedTo('s', anyone)).toBeUndefined();
    expect(changes()).toBe(4);
  });

  it('keeps at most MAX_CLAIMS_PER_PEER claims from one peer', () => {
    const { pins } = table('b');
    for (let i = 0; i <= MAX_CLAIMS_PER_PEER; i++) pins.note('c', { t: 'pin', session: `s${i}`, epoch: 1 });
    expect(pins.pinnedTo(`s${MAX_CLAIMS_PER_PEER - 1}`, anyone)).toBe('c');
    expect(pins.pinnedTo(`s${MAX_CLAIMS_PER_PEER}`, anyone)).toBeUndefined();
    pins.note('c', { t: 'pin', session: 's0', epoch: 2 }); // a known session may still change
    pins.claim('s0', 'a');
    expect(pins.frames()).toEqual([{ t: 'pin', session: 's0', epoch: 3, avoid: ['a'] }]);
  });

  it('keeps the most recent MAX_AVOID unreachable nodes', () => {
    const { pins } = table('b');
    for (let i = 0; i < MAX_AVOID + 3; i++) pins.claim('s', `n${i}`);
    const avoid = [...pins.avoided('s')];
    expect(avoid).toHaveLength(MAX_AVOID);
    expect(avoid.at(-1)).toBe(`n${MAX_AVOID + 2}`);
    expect(avoid).not.toContain('n0');
  });
});

describe('Placement with pins', () => {
  const info = (id: string) => ({ id, url: `ws://${id}.test:1` });
  function placement(self: string, alive: string[]) {
    const { pins } = table(self);
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

describe('RedirectMemory', () => {
  it('knows a client that comes back with the same resume token (it joined nowhere since)', () => {
    let now = 0;
    const memory = new RedirectMemory(() => now);
    const hello = { session: 's', client: 'bob', resume: 'token-1' };
    expect(memory.sentBefore(hello, 'a')).toBe(false);
    now += 5000;
    expect(memory.sentBefore(hello, 'a')).toBe(true);
    // Used up: a third report starts over.
    expect(memory.sentBefore(hello, 'a')).toBe(false);
  });

  it('does not confuse another token, client, session or host', () => {
    const memory = new RedirectMemory(() => 0);
    expect(memory.sentBefore({ session: 's', client: 'bob' }, 'a')).toBe(false);
    expect(memory.sentBefore({ session: 's', client: 'bob', resume: 'new' }, 'a')).toBe(false);
    expect(memory.sentBefore({ session: 's', client: 'eve' }, 'a')).toBe(false);
    expect(memory.sentBefore({ session: 't', client: 'bob' }, 'a')).toBe(false);
    expect(memory.sentBefore({ session: 's', client: 'bob' }, 'c')).toBe(false);
    expect(memory.sentBefore({ session: 's', client: 'bob' }, 'a')).toBe(true);
  });

  it('forgets after a minute, and holds at most 10 000 entries (the oldest go first)', () => {
    let now = 0;
    const memory = new RedirectMemory(() => now);
    expect(memory.sentBefore({ session: 's', client: 'old' }, 'a')).toBe(false);
    now = 60_001;
    expect(memory.sentBefore({ session: 's', client: 'old' }, 'a')).toBe(false);
    for (let i = 0; i < 10_000; i++) memory.sentBefore({ session: 's', client: `c${i}` }, 'a');
    expect(memory.sentBefore({ session: 's', client: 'old' }, 'a')).toBe(false); // pushed out
    expect(memory.sentBefore({ session: 's', client: 'c9999' }, 'a')).toBe(true);
  });
});

describe('pin frames', () => {
  it('decodes pin and unpin', () => {
    expect(decodePeerFrame('{"t":"pin","session":"s","epoch":3}')).toEqual({ t: 'pin', session: 's', epoch: 3 });
    expect(decodePeerFrame('{"t":"pin","session":"s","epoch":3,"avoid":["a"]}')).toEqual({ t: 'pin', session: 's', epoch: 3, avoid: ['a'] });
    expect(decodePeerFrame('{"t":"unpin","session":"s"}')).toEqual({ t: 'unpin', session: 's' });
  });

  it.each([
    '{"t":"pin","session":"s"}',
    '{"t":"pin","session":"s","epoch":0}',
    '{"t":"pin","session":"s","epoch":1.5}',
    '{"t":"pin","session":"","epoch":1}',
    `{"t":"pin","session":"${'x'.repeat(129)}","epoch":1}`,
    `{"t":"pin","session":"s","epoch":1,"avoid":${JSON.stringify(Array.from({ length: MAX_AVOID + 1 }, (_, i) => `n${i}`))}}`,
    '{"t":"pin","session":"s","epoch":1,"avoid":[""]}',
    '{"t":"pin","session":"s","epoch":1,"avoid":"a"}',
    '{"t":"unpin"}',
    '{"t":"unpin","session":7}',
  ])('refuses %s with GRIDLINK_PROTOCOL', (raw) => {
    expect(() => decodePeerFrame(raw)).toThrow(expect.objectContaining({ code: 'GRIDLINK_PROTOCOL' }));
  });
});
