/** The pin table: which node holds a session that some member could not reach at its rendezvous host. */
import { describe, expect, it } from 'vitest';
import { rendezvousOwner } from '../../src/protocol/rendezvous.js';
import { silentLogger } from '../../src/core/logger.js';
import { MAX_AVOID } from '../../src/server/peers/frames.js';
import { MAX_CLAIMS_PER_PEER, PinTable } from '../../src/server/placement/pins.js';

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
