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

function setup(): { receiver: Receiver; wire: string[]; link: Link; clock: { now: number } } {
  const wire: string[] = [];
  const link = {
    send: (frame: ClientFrame) => wire.push(JSON.stringify(frame)),
    sendText: (text: string) => wire.push(text),
  } as unknown as Link;
  const clock = { now: 0 };
  const receiver = new Receiver(
    { self: 'me', maxHeldMessages: 100, ackDelayMs: DELAY, now: () => clock.now },
    { onMessage: () => {}, onError: () => {}, ackLink: () => link },
  );
  return { receiver, wire, link, clock };
}

/** Moves the fake timers and the receiver's clock together. */
function advance(clock: { now: number }, ms: number): void {
  clock.now += ms;
  vi.advanceTimersByTime(ms);
}

describe('receiver acks', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('without sends, the ack goes out ackDelayMs after the delivery, on its timer', () => {
    const { receiver, wire, clock } = setup();
    receiver.receive({ t: 'msg', from: 'ann', seq: 1, d: 'one' });
    advance(clock, DELAY - 1);
    expect(wire).toEqual([]);
    advance(clock, 1);
    expect(wire).toEqual(['{"t":"ack","recv":{"ann":1}}']);
    receiver.stop();
  });

  it('an owed ack rides along a send, ahead of it, and its timer no longer fires', () => {
    const { receiver, wire, link, clock } = setup();
    receiver.receive({ t: 'msg', from: 'ann', seq: 1, d: 'one' });
    advance(clock, 5);
    receiver.sendWith(link, 'mine');
    expect(wire).toEqual(['{"t":"ack","recv":{"ann":1}}', 'mine']);
    advance(clock, DELAY * 3);
    expect(wire).toHaveLength(2);
    receiver.stop();
  });

  it('a send within ackDelayMs of the last ack carries none: the timer still sends it, on time', () => {
    const { receiver, wire, link, clock } = setup();
    receiver.receive({ t: 'msg', from: 'ann', seq: 1, d: 'one' });
    receiver.sendWith(link, 'a'); // first ack ever: rides along
    advance(clock, 5);
    receiver.receive({ t: 'msg', from: 'ann', seq: 2, d: 'two' });
    advance(clock, 5);
    receiver.sendWith(link, 'b'); // the last ack is 10 ms old: not yet
    expect(wire).toEqual(['{"t":"ack","recv":{"ann":1}}', 'a', 'b']);
    advance(clock, DELAY - 5); // ackDelayMs after the second delivery
    expect(wire).toEqual(['{"t":"ack","recv":{"ann":1}}', 'a', 'b', '{"t":"ack","recv":{"ann":2}}']);
    receiver.stop();
  });

  it('a send with nothing owed is just the send', () => {
    const { receiver, wire, link } = setup();
    receiver.sendWith(link, 'x');
    expect(wire).toEqual(['x']);
    receiver.stop();
  });
});
