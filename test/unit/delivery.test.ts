/**
 * The acknowledgement arithmetic on its own: plain records in, numbers out. The rule under test
 * throughout is that an unknown watermark blocks — it never reads as zero or as caught up.
 */
import { describe, expect, it } from 'vitest';
import {
  boundedWatermark,
  caughtUp,
  confirmedUpTo,
  joinWatermarks,
  lowestWanted,
  owedAfterProgress,
  owedAfterRelay,
  raisedWatermarks,
  reached,
  stalled,
  type Receipts,
} from '../../src/server/sessions/delivery.js';

const member = (id: string, recv: Record<string, number> = {}): Receipts => ({ id, recv: new Map(Object.entries(recv)) });
const positions = (p: Record<string, number>) => new Map(Object.entries(p));

describe('confirmedUpTo (what a sender may trim)', () => {
  it('is the lowest watermark the other members reported for the sender', () => {
    const members = [member('alice'), member('bob', { alice: 7 }), member('carol', { alice: 4 })];
    expect(confirmedUpTo(members, 'alice', positions({ alice: 9 }))).toBe(4);
  });

  it('is undefined while any other member has not reported the sender (a placeholder blocks)', () => {
    const members = [member('alice'), member('bob', { alice: 7 }), member('carol')];
    expect(confirmedUpTo(members, 'alice', positions({ alice: 9 }))).toBeUndefined();
  });

  it("ignores the sender's own record", () => {
    const members = [member('alice', { alice: 1 }), member('bob', { alice: 5 })];
    expect(confirmedUpTo(members, 'alice', positions({}))).toBe(5);
  });

  it('a sender alone has delivered to everyone there is: up to its position, or 0 if it never said', () => {
    expect(confirmedUpTo([member('alice')], 'alice', positions({ alice: 3 }))).toBe(3);
    expect(confirmedUpTo([member('alice')], 'alice', positions({}))).toBe(0);
  });
});

describe('lowestWanted (where a rejoining sender replays from)', () => {
  it("is the lowest known watermark plus one; unknown ones don't count", () => {
    const members = [member('alice', { alice: 0 }), member('bob', { alice: 5 }), member('carol', { alice: 2 }), member('dave')];
    expect(lowestWanted(members, 'alice')).toBe(3);
  });

  it('is undefined when no other member reported the sender', () => {
    expect(lowestWanted([member('alice', { alice: 4 }), member('bob')], 'alice')).toBeUndefined();
  });
});

describe('caughtUp', () => {
  it('holds when the member confirmed every other sender up to its position', () => {
    expect(caughtUp(member('bob', { alice: 3, carol: 1 }), positions({ alice: 3, carol: 1, bob: 9 }))).toBe(true);
  });

  it('fails when one sender is ahead of what the member confirmed, unknown counting as 0', () => {
    expect(caughtUp(member('bob', { alice: 2 }), positions({ alice: 3 }))).toBe(false);
    expect(caughtUp(member('bob'), positions({ alice: 1 }))).toBe(false);
    expect(caughtUp(member('bob'), positions({ alice: 0 }))).toBe(true);
  });
});

describe('joinWatermarks', () => {
  it("keeps what the joiner reported and starts it at each unlisted sender's position (told as base)", () => {
    const { recv, base } = joinWatermarks({ alice: 2, bob: 4 }, 'bob', positions({ alice: 5, carol: 7, bob: 9 }));
    expect([...recv]).toEqual([
      ['alice', 2],
      ['carol', 7],
    ]);
    expect(base).toEqual({ carol: 7 });
  });

  it('leaves a sender that never said where it stands unknown', () => {
    const { recv, base } = joinWatermarks({}, 'bob', positions({}));
    expect(recv.size).toBe(0);
    expect(base).toEqual({});
  });
});

describe('raisedWatermarks', () => {
  it('returns only the watermarks that rise, in the order reported, never the own one', () => {
    const recv = new Map([
      ['alice', 5],
      ['carol', 2],
    ]);
    const raised = raisedWatermarks(recv, { alice: 4, carol: 3, bob: 9, dave: 1 }, 'bob', 100);
    expect([...raised]).toEqual([
      ['carol', 3],
      ['dave', 1],
    ]);
    // Pure: the record itself is untouched.
    expect(recv.get('carol')).toBe(2);
  });

  it('accepts new senders only while the record stays under the limit; known ones still rise', () => {
    const recv = new Map([['alice', 1]]);
    const raised = raisedWatermarks(recv, { x: 1, y: 1, alice: 2, z: 1 }, 'bob', 3);
    expect([...raised]).toEqual([
      ['x', 1],
      ['y', 1],
      ['alice', 2],
    ]);
  });
});

describe('what a member owes, and stalls', () => {
  it('a relay starts the clock once, with that message as the checkpoint; later relays keep both', () => {
    const first = owedAfterRelay(undefined, 'alice', 4, 100);
    expect(first).toEqual({ since: 100, checkpoint: new Map([['alice', 4]]) });
    expect(owedAfterRelay(first, 'alice', 5, 250)).toBe(first);
  });

  it('progress short of the checkpoint changes nothing: a trickle of confirmations does not restart the clock', () => {
    const owed = { since: 100, checkpoint: new Map([['alice', 4], ['carol', 2]]) };
    expect(owedAfterProgress(owed, member('bob', { alice: 3, carol: 2 }), positions({ alice: 9, carol: 2 }), 500)).toBe(owed);
    expect(reached(member('bob', { alice: 3, carol: 2 }), owed.checkpoint)).toBe(false);
  });

  it('reaching the checkpoint restarts the clock towards the positions now, or stops it when caught up', () => {
    const owed = { since: 100, checkpoint: new Map([['alice', 4]]) };
    expect(owedAfterProgress(owed, member('bob', { alice: 4 }), positions({ alice: 9, bob: 20 }), 500)).toEqual({ since: 500, checkpoint: new Map([['alice', 9]]) });
    expect(owedAfterProgress(owed, member('bob', { alice: 9 }), positions({ alice: 9 }), 500)).toBeUndefined();
    expect(owedAfterProgress(undefined, member('bob'), positions({ alice: 2 }), 500)).toEqual({ since: 500, checkpoint: new Map([['alice', 2]]) });
  });

  it('a member stalls when it owed for stallMs or more', () => {
    const owed = { since: 1000, checkpoint: new Map([['alice', 1]]) };
    expect(stalled(undefined, 1_000_000, 10)).toBe(false);
    expect(stalled(owed, 10_999, 10_000)).toBe(false);
    expect(stalled(owed, 11_000, 10_000)).toBe(true);
  });
});

describe('boundedWatermark (what a report may claim)', () => {
  it('never beyond the sender\'s known position, and always leaves room for +1', () => {
    expect(boundedWatermark(7, 'alice', positions({ alice: 5 }))).toBe(5);
    expect(boundedWatermark(3, 'alice', positions({ alice: 5 }))).toBe(3);
    expect(boundedWatermark(2 ** 53, 'alice', positions({}))).toBe(Number.MAX_SAFE_INTEGER - 1);
    expect(boundedWatermark(Number.MAX_SAFE_INTEGER, 'alice', positions({ alice: Number.MAX_SAFE_INTEGER }))).toBe(Number.MAX_SAFE_INTEGER - 1);
  });
});
