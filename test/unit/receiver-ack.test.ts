/**
 * A receiver's acknowledgements: at most one `ack` per `ackDelayMs`, none later than `ackDelayMs`
 * after a delivery, and one that is owed rides along the session's next send (same write) instead
 * of waiting for its own timer, once the last ack is `ackDelayMs` old.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Link } from '../../src/link/link.js';
import type { ClientFrame } from '../../src/protocol/frames.js';
import { Receiver } from '../../src/session/receiver.js';

const DELAY = 20;

function setup(): { receiver: Receiver; wire: string[]; link: Link } {
  const wire: string[] = [];
  const link = {
    send: (frame: ClientFrame) => wire.push(JSON.stringify(frame)),
    sendText: (text: string) => wire.push(text),
  } as unknown as Link;
  const receiver = new Receiver({ self: 'me', maxHeldMessages: 100, ackDelayMs: DELAY }, { onMessage: () => {}, onError: () => {}, currentLink: () => link });
  return { receiver, wire, link };
}

const advance = (ms: number): void => void vi.advanceTimersByTime(ms);

describe('receiver acks', () => {
  // The receiver's clock is performance.now() (core/timers.ts monotonicNow): faked with the timers.
  // Its first ack may ride along only once the clock is ackDelayMs past its origin.
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    advance(1000);
  });
  afterEach(() => vi.useRealTimers());

  it('without sends, the ack goes out ackDelayMs after the delivery, on its timer', () => {
    const { receiver, wire } = setup();
    receiver.receive({ t: 'msg', from: 'ann', seq: 1, d: 'one' });
    advance(DELAY - 1);
    expect(wire).toEqual([]);
    advance(1);
    expect(wire).toEqual(['{"t":"ack","recv":{"ann":1}}']);
    receiver.stop();
  });

  it('an owed ack rides along a send, ahead of it, and its timer no longer fires', () => {
    const { receiver, wire, link } = setup();
    receiver.receive({ t: 'msg', from: 'ann', seq: 1, d: 'one' });
    advance(5);
    receiver.send(link, 'mine');
    expect(wire).toEqual(['{"t":"ack","recv":{"ann":1}}', 'mine']);
    advance(DELAY * 3);
    expect(wire).toHaveLength(2);
    receiver.stop();
  });

  it('a send within ackDelayMs of the last ack carries none: the timer still sends it, on time', () => {
    const { receiver, wire, link } = setup();
    receiver.receive({ t: 'msg', from: 'ann', seq: 1, d: 'one' });
    receiver.send(link, 'a'); // first ack ever: rides along
    advance(5);
    receiver.receive({ t: 'msg', from: 'ann', seq: 2, d: 'two' });
    advance(5);
    receiver.send(link, 'b'); // the last ack is 10 ms old: not yet
    expect(wire).toEqual(['{"t":"ack","recv":{"ann":1}}', 'a', 'b']);
    advance(DELAY - 5); // ackDelayMs after the second delivery
    expect(wire).toEqual(['{"t":"ack","recv":{"ann":1}}', 'a', 'b', '{"t":"ack","recv":{"ann":2}}']);
    receiver.stop();
  });

  it('within ackDelayMs of the clock origin, an owed ack waits for its timer', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] }); // the clock back at 0
    const { receiver, wire, link } = setup();
    receiver.receive({ t: 'msg', from: 'ann', seq: 1, d: 'one' });
    receiver.send(link, 'a');
    expect(wire).toEqual(['a']);
    advance(DELAY);
    expect(wire).toEqual(['a', '{"t":"ack","recv":{"ann":1}}']);
    receiver.stop();
  });

  it('a send with nothing owed is just the send', () => {
    const { receiver, wire, link } = setup();
    receiver.send(link, 'x');
    expect(wire).toEqual(['x']);
    receiver.stop();
  });
});
