/**
 * A client's question about a peer (`/status`, docs/protocol.md "Asking the cloud"), answered by
 * the peer monitor: `dead` only when placement no longer counts the peer, `alive` only on a frame
 * that came after the question, `unknown` otherwise. Fake dialer and fake timers.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_WAITING, PeerQuestions, type PeerVerdict } from '../../src/server/peers/verdicts.js';
import { B, bringUp, setupMonitor as setup } from '../helpers/peer-monitor-harness.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** The verdict once settled, or 'pending'. */
function track(promise: Promise<PeerVerdict>): { get: () => PeerVerdict | 'pending' } {
  let value: PeerVerdict | 'pending' = 'pending';
  void promise.then((v) => (value = v));
  return { get: () => value };
}

describe('PeerMonitor.status', () => {
  it('a silent peer: the question waits, pings once for all askers, and is answered dead when its link lapses', async () => {
    const t = setup(); // peer heartbeat 250 / 1000 ms
    t.monitor.start();
    const socket = t.socketOf(B.url);
    bringUp(socket); // last frame from b at t = 0
    vi.advanceTimersByTime(300);
    const sentBefore = socket.sent.length;
    const first = track(t.monitor.status('b'));
    const second = track(t.monitor.status('b'));
    expect(socket.sent.slice(sentBefore).filter((f) => f.t === 'ping')).toHaveLength(1);
    expect(t.monitor.questionsWaiting).toBe(2);
    await vi.advanceTimersByTimeAsync(699);
    expect(first.get()).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect([first.get(), second.get()]).toEqual(['dead', 'dead']);
    expect(t.monitor.questionsWaiting).toBe(0);
    // Placement no longer counts it: the next question is answered at once.
    await expect(t.monitor.status('b')).resolves.toBe('dead');
    t.monitor.stop();
  });

  it('a live peer: only a frame after the question answers alive', async () => {
    const t = setup();
    t.monitor.start();
    const socket = t.socketOf(B.url);
    bringUp(socket);
    const answer = track(t.monitor.status('b'));
    await vi.advanceTimersByTimeAsync(10);
    expect(answer.get()).toBe('pending');
    socket.receive({ t: 'pong', id: 2 });
    await vi.advanceTimersByTimeAsync(0);
    expect(answer.get()).toBe('alive');
    t.monitor.stop();
  });

  it('says unknown for a draining peer, an unknown id, or before start-up settles; alive for itself', async () => {
    const t = setup();
    await expect(t.monitor.status('b')).resolves.toBe('unknown'); // not settled
    t.monitor.start();
    const socket = t.socketOf(B.url);
    bringUp(socket);
    await expect(t.monitor.status('a')).resolves.toBe('alive');
    await expect(t.monitor.status('zz')).resolves.toBe('unknown');
    const waiting = track(t.monitor.status('b'));
    socket.receive({ t: 'peer-drain' });
    await vi.advanceTimersByTimeAsync(0);
    expect(waiting.get()).toBe('unknown');
    await expect(t.monitor.status('b')).resolves.toBe('unknown');
    t.monitor.stop();
  });

  it('an asker that hangs up stops waiting, and stop() answers everyone unknown', async () => {
    const t = setup();
    t.monitor.start();
    bringUp(t.socketOf(B.url));
    const hangUp = new AbortController();
    const gone = track(t.monitor.status('b', hangUp.signal));
    const stays = track(t.monitor.status('b'));
    hangUp.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(gone.get()).toBe('unknown');
    expect(t.monitor.questionsWaiting).toBe(1);
    t.monitor.stop();
    await vi.advanceTimersByTimeAsync(0);
    expect(stays.get()).toBe('unknown');
  });
});

describe('PeerQuestions', () => {
  it('answers unknown at the deadline, and at once when full', async () => {
    const q = new PeerQuestions(() => Date.now());
    const firsts: boolean[] = [];
    const a = track(q.wait('x', 500, undefined, (f) => firsts.push(f)));
    const b = track(q.wait('x', 500, undefined, (f) => firsts.push(f)));
    expect(firsts).toEqual([true, false]);
    await vi.advanceTimersByTimeAsync(499);
    expect(a.get()).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect([a.get(), b.get()]).toEqual(['unknown', 'unknown']);
    expect(q.waiting).toBe(0);

    const many = Array.from({ length: MAX_WAITING }, () => q.wait('y', 10_000, undefined, () => {}));
    expect(q.waiting).toBe(MAX_WAITING);
    await expect(q.wait('y', 10_000, undefined, () => {})).resolves.toBe('unknown');
    q.settle('y', 'alive');
    await expect(Promise.all(many)).resolves.toEqual(Array(MAX_WAITING).fill('alive'));
    expect(q.waiting).toBe(0);
  });
});
