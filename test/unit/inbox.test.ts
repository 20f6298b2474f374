import { describe, expect, it } from 'vitest';
import { Inbox, type Gap } from '../../src/session/inbox.js';
import type { MsgFrame } from '../../src/protocol/frames.js';

const msg = (from: string, seq?: number): MsgFrame => (seq === undefined ? { t: 'msg', from, d: 'v' } : { t: 'msg', from, seq, d: `${from}#${seq}` });
const seqs = (frames: readonly MsgFrame[]): (number | undefined)[] => frames.map((f) => f.seq);

describe('Inbox', () => {
  it('delivers in-order messages at once and advances the watermark', () => {
    const inbox = new Inbox(100);
    for (let s = 1; s <= 5; s++) expect(seqs(inbox.receive(msg('a', s)).deliver)).toEqual([s]);
    expect(inbox.watermarks()).toEqual({ a: 5 });
  });

  it('drops duplicates at or below the watermark', () => {
    const inbox = new Inbox(100);
    inbox.receive(msg('a', 1));
    inbox.receive(msg('a', 2));
    expect(inbox.receive(msg('a', 2)).deliver).toEqual([]);
    expect(inbox.receive(msg('a', 1)).deliver).toEqual([]);
    expect(inbox.watermarks()).toEqual({ a: 2 });
  });

  it('holds messages that run ahead and releases them in order when the hole fills', () => {
    const inbox = new Inbox(100);
    inbox.receive(msg('a', 1));
    expect(inbox.receive(msg('a', 4)).deliver).toEqual([]);
    expect(inbox.receive(msg('a', 3)).deliver).toEqual([]);
    expect(inbox.receive(msg('a', 4)).deliver).toEqual([]); // a held duplicate is not delivered twice
    expect(inbox.watermarks()).toEqual({ a: 1 });
    const out = inbox.receive(msg('a', 2));
    expect(seqs(out.deliver)).toEqual([2, 3, 4]);
    expect(out.gap).toBeUndefined();
    expect(inbox.watermarks()).toEqual({ a: 4 });
    expect(inbox.receive(msg('a', 3)).deliver).toEqual([]);
  });

  it('releases only the contiguous run and keeps holding past the next hole', () => {
    const inbox = new Inbox(100);
    inbox.receive(msg('a', 1));
    inbox.receive(msg('a', 3));
    inbox.receive(msg('a', 5));
    expect(seqs(inbox.receive(msg('a', 2)).deliver)).toEqual([2, 3]);
    expect(seqs(inbox.receive(msg('a', 4)).deliver)).toEqual([4, 5]);
  });

  it('keeps senders independent', () => {
    const inbox = new Inbox(100);
    inbox.receive(msg('a', 1));
    inbox.receive(msg('b', 1));
    expect(inbox.receive(msg('a', 3)).deliver).toEqual([]);
    expect(seqs(inbox.receive(msg('b', 2)).deliver)).toEqual([2]);
    expect(inbox.watermarks()).toEqual({ a: 1, b: 2 });
  });

  it('the first message from an unknown sender sets its baseline', () => {
    const inbox = new Inbox(100);
    expect(seqs(inbox.receive(msg('a', 17)).deliver)).toEqual([17]);
    expect(inbox.watermarks()).toEqual({ a: 17 });
    expect(inbox.receive(msg('a', 16)).deliver).toEqual([]);
    expect(seqs(inbox.receive(msg('a', 18)).deliver)).toEqual([18]);
  });

  it('setBase applies only to senders not heard from yet', () => {
    const inbox = new Inbox(100);
    inbox.receive(msg('a', 1));
    inbox.setBase({ a: 10, b: 5 });
    expect(inbox.watermarks()).toEqual({ a: 1, b: 5 });
    expect(inbox.receive(msg('b', 5)).deliver).toEqual([]); // already covered by the base
    expect(seqs(inbox.receive(msg('b', 6)).deliver)).toEqual([6]);
    expect(seqs(inbox.receive(msg('a', 2)).deliver)).toEqual([2]);
    inbox.setBase({ b: 0 });
    expect(inbox.watermarks()).toEqual({ a: 2, b: 6 });
  });

  it('a base makes a later seq wait for the ones in between', () => {
    const inbox = new Inbox(100);
    inbox.setBase({ a: 3 });
    expect(inbox.receive(msg('a', 5)).deliver).toEqual([]);
    expect(seqs(inbox.receive(msg('a', 4)).deliver)).toEqual([4, 5]);
  });

  it('always delivers volatile frames (no seq), even between held ones', () => {
    const inbox = new Inbox(100);
    inbox.receive(msg('a', 1));
    inbox.receive(msg('a', 3));
    const v = msg('a');
    expect(inbox.receive(v).deliver).toEqual([v]);
    expect(inbox.receive(v).deliver).toEqual([v]);
    expect(inbox.watermarks()).toEqual({ a: 1 });
  });

  it('on reorder-buffer overflow delivers everything held, in order, and reports the gap', () => {
    const inbox = new Inbox(3);
    inbox.receive(msg('a', 1));
    expect(inbox.receive(msg('a', 6)).deliver).toEqual([]);
    expect(inbox.receive(msg('a', 4)).deliver).toEqual([]);
    expect(inbox.receive(msg('a', 5)).deliver).toEqual([]);
    const out = inbox.receive(msg('a', 7)); // 4 held > 3
    expect(seqs(out.deliver)).toEqual([4, 5, 6, 7]);
    expect(out.gap).toEqual({ from: 'a', expected: 2, resumedAt: 4 });
    expect(inbox.watermarks()).toEqual({ a: 7 });
    // The stream goes on from there, and late arrivals of the skipped range stay dropped.
    expect(inbox.receive(msg('a', 2)).deliver).toEqual([]);
    expect(seqs(inbox.receive(msg('a', 8)).deliver)).toEqual([8]);
  });

  it('takeChanged returns only the senders that changed, then undefined', () => {
    const inbox = new Inbox(100);
    expect(inbox.takeChanged()).toBeUndefined();
    inbox.setBase({ z: 9 });
    expect(inbox.takeChanged()).toBeUndefined(); // a base is not something we delivered
    inbox.receive(msg('a', 1));
    inbox.receive(msg('b', 1));
    inbox.receive(msg('a', 2));
    expect(inbox.takeChanged()).toEqual({ a: 2, b: 1 });
    expect(inbox.takeChanged()).toBeUndefined();
    inbox.receive(msg('b', 3)); // held: nothing changed
    inbox.receive(msg('a', 2)); // duplicate: nothing changed
    inbox.receive(msg('a')); // volatile: nothing changed
    expect(inbox.takeChanged()).toBeUndefined();
    inbox.receive(msg('b', 2));
    expect(inbox.takeChanged()).toEqual({ b: 3 });
    expect(inbox.takeChanged()).toBeUndefined();
  });

  it('delivers every reliable seq exactly once under a shuffled, duplicated stream', () => {
    let state = 7;
    const rand = (): number => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const inbox = new Inbox(1000);
    inbox.setBase({ a: 0 });
    const stream: number[] = [];
    for (let s = 1; s <= 300; s++) stream.push(s, ...(rand() < 0.3 ? [s] : []));
    for (let i = stream.length - 1; i > 0; i--) {
      // Local shuffles only (a window of 8), like a replay racing live traffic.
      const j = Math.max(0, i - Math.floor(rand() * 8));
      [stream[i], stream[j]] = [stream[j] as number, stream[i] as number];
    }
    const delivered: number[] = [];
    for (const s of stream) {
      const out = inbox.receive(msg('a', s));
      expect(out.gap).toBeUndefined();
      delivered.push(...(seqs(out.deliver) as number[]));
    }
    expect(delivered).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
  });
});

describe('Inbox: reorder-buffer overflow never loses a message silently', () => {
  it('a second hole among the held messages is reported or still fillable, never skipped', () => {
    const inbox = new Inbox(2);
    const delivered = new Set<number>();
    const gaps: Gap[] = [];
    const feed = (seq: number) => {
      const out = inbox.receive({ t: 'msg', from: 'a', seq, d: String(seq) });
      for (const m of out.deliver) delivered.add(m.seq as number);
      if (out.gap !== undefined) gaps.push(out.gap);
    };
    feed(1);
    feed(3); // hole at 2
    feed(5); // hole at 4
    feed(6); // overflow: 3 held > 2
    feed(4); // the replay of 4 arrives late
    feed(2);
    // Invariant: every seq up to the watermark was either delivered or covered by a reported gap.
    const mark = inbox.watermarks().a as number;
    const covered = (s: number) => gaps.some((g) => g.from === 'a' && s >= g.expected && s < g.resumedAt);
    const lost = Array.from({ length: mark }, (_, i) => i + 1).filter((s) => !delivered.has(s) && !covered(s));
    expect(lost).toEqual([]);
  });
});


describe('Inbox.skipTo (a sender no longer holds what we miss)', () => {
  const msg = (seq: number): MsgFrame => ({ t: 'msg', from: 'a', seq, d: String(seq) });

  it('reports the hole and releases what was held beyond it', () => {
    const inbox = new Inbox(100);
    inbox.receive(msg(1));
    inbox.receive(msg(5));
    const out = inbox.skipTo('a', 4);
    expect(out.gap).toEqual({ from: 'a', expected: 2, resumedAt: 5 });
    expect(out.deliver.map((m) => m.seq)).toEqual([5]);
    expect(inbox.watermarks()).toEqual({ a: 5 });
  });

  it('is a no-op for a receiver already at or past upTo, and for an unknown sender', () => {
    const inbox = new Inbox(100);
    inbox.receive(msg(1));
    inbox.receive(msg(2));
    expect(inbox.skipTo('a', 2)).toEqual({ deliver: [] });
    expect(inbox.skipTo('nobody', 9)).toEqual({ deliver: [] });
  });
});
