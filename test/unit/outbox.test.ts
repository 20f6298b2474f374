import { describe, expect, it } from 'vitest';
import { Outbox } from '../../src/session/outbox.js';
import { SessionError } from '../../src/core/errors.js';

const frame = (seq: number): string => JSON.stringify({ t: 'msg', seq, d: 'x'.repeat(10) });

function pushMany(box: Outbox, n: number): number[] {
  return Array.from({ length: n }, () => box.push(frame).seq);
}

describe('Outbox', () => {
  it('numbers messages from 1 without gaps and keeps their text', () => {
    const box = new Outbox(1 << 20);
    expect(box.lastSeq).toBe(0);
    expect(pushMany(box, 5)).toEqual([1, 2, 3, 4, 5]);
    expect(box.lastSeq).toBe(5);
    expect([...box.from(1)].map((e) => e.text)).toEqual([1, 2, 3, 4, 5].map(frame));
  });

  it('confirmUpTo frees what was confirmed, bytes included', () => {
    const box = new Outbox(1 << 20);
    pushMany(box, 5);
    const each = frame(1).length;
    expect(box.bytes).toBe(5 * each);
    box.confirmUpTo(3);
    expect(box.size).toBe(2);
    expect(box.bytes).toBe(2 * each);
    box.confirmUpTo(2); // an older confirmation changes nothing
    expect(box.size).toBe(2);
    box.confirmUpTo(99);
    expect(box.size).toBe(0);
    expect(box.bytes).toBe(0);
    expect(box.push(frame).seq).toBe(6); // numbering never restarts
  });

  it('from(n) yields the kept entries with seq >= n, in order', () => {
    const box = new Outbox(1 << 20);
    pushMany(box, 10);
    box.confirmUpTo(4);
    expect([...box.from(1)].map((e) => e.seq)).toEqual([5, 6, 7, 8, 9, 10]);
    expect([...box.from(8)].map((e) => e.seq)).toEqual([8, 9, 10]);
    expect([...box.from(11)]).toEqual([]);
  });

  it('refuses a push beyond maxBytes with GRIDLINK_BUFFER_FULL and does not consume a seq', () => {
    const each = frame(1).length;
    const box = new Outbox(each * 3);
    pushMany(box, 3);
    const error = (() => {
      try {
        box.push(frame);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(SessionError);
    expect((error as SessionError).code).toBe('GRIDLINK_BUFFER_FULL');
    expect(box.lastSeq).toBe(3);
    expect(box.size).toBe(3);
    expect(box.bytes).toBe(each * 3);
    box.confirmUpTo(1);
    expect(box.push(frame).seq).toBe(4);
    expect([...box.from(1)].map((e) => e.seq)).toEqual([2, 3, 4]);
  });

  it('keeps order and content across compaction after many confirmations', () => {
    const box = new Outbox(1 << 24);
    let confirmed = 0;
    for (let round = 0; round < 20; round++) {
      pushMany(box, 500);
      confirmed += 450;
      box.confirmUpTo(confirmed);
      const kept = [...box.from(0)];
      expect(kept.map((e) => e.seq)).toEqual(Array.from({ length: box.lastSeq - confirmed }, (_, i) => confirmed + 1 + i));
      expect(kept.every((e) => e.text === frame(e.seq))).toBe(true);
      expect(box.size).toBe(kept.length);
      expect(box.bytes).toBe(kept.reduce((n, e) => n + e.text.length, 0));
    }
    expect(box.lastSeq).toBe(10_000);
  });
});
