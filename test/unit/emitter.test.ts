import { describe, expect, it } from 'vitest';
import { Emitter } from '../../src/core/emitter.js';

interface Events {
  tick: (n: number) => void;
  done: () => void;
}

describe('Emitter', () => {
  it('calls listeners in the order they were added, with the arguments', () => {
    const e = new Emitter<Events>();
    const seen: string[] = [];
    e.on('tick', (n) => seen.push(`a${n}`)).on('tick', (n) => seen.push(`b${n}`));
    expect(e.emit('tick', 1)).toBe(true);
    expect(e.emit('done')).toBe(false);
    expect(seen).toEqual(['a1', 'b1']);
  });

  it('once runs a listener one time, and off removes it before it runs', () => {
    const e = new Emitter<Events>();
    const seen: number[] = [];
    const later = (n: number): void => void seen.push(n * 10);
    e.once('tick', (n) => seen.push(n));
    e.once('tick', later);
    e.off('tick', later);
    e.emit('tick', 1);
    e.emit('tick', 2);
    expect(seen).toEqual([1]);
    expect(e.listenerCount('tick')).toBe(0);
  });

  it('a listener removing itself during an emit does not make the next one skip', () => {
    const e = new Emitter<Events>();
    const seen: string[] = [];
    const first = (): void => {
      seen.push('first');
      e.removeListener('done', first);
    };
    e.addListener('done', first).on('done', () => seen.push('second'));
    e.emit('done');
    e.emit('done');
    expect(seen).toEqual(['first', 'second', 'second']);
  });

  it('removeAllListeners clears one event or all', () => {
    const e = new Emitter<Events>();
    e.on('tick', () => {}).on('done', () => {});
    e.removeAllListeners('tick');
    expect([e.listenerCount('tick'), e.listenerCount('done')]).toEqual([0, 1]);
    e.removeAllListeners();
    expect(e.listenerCount('done')).toBe(0);
  });
});
