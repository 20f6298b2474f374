/**
 * The questions a node holds about its peers (`GET /status?node=<id>`, docs/protocol.md "Asking
 * the cloud"): a client whose host went quiet asks whether the host is gone. The node answers
 * `dead` once its peer monitor no longer counts the peer (its link lapsed after the peer timeout of
 * silence, or a probe went unanswered), `alive` only on proof of life that arrived *after* the
 * question (a frame the peer sent before may predate whatever silenced it), and `unknown` when
 * neither came within the wait (or it cannot say: a draining peer, a node still starting).
 *
 * Cost per question: one entry in a set keyed by peer id, no timer of its own (one shared sweep per
 * peer), and at most one ping per peer per wave of questions. The set is bounded: beyond
 * `MAX_WAITING` a question is answered at once from the current view.
 */
import { setUnrefTimeout, type TimerHandle } from '../../core/timers.js';

export type PeerVerdict = 'alive' | 'dead' | 'unknown';

/** Questions held at once, over all peers; beyond it, answers come without waiting. */
export const MAX_WAITING = 10_000;

interface Waiter {
  readonly answer: (verdict: PeerVerdict) => void;
  readonly deadline: number;
}

interface Wave {
  readonly waiters: Set<Waiter>;
  /** Ends the waiters whose deadline passed; re-armed for the earliest one left. */
  timer: TimerHandle | undefined;
}

export class PeerQuestions {
  readonly #waves = new Map<string, Wave>();
  #count = 0;

  constructor(private readonly now: () => number = () => performance.now()) {}

  get waiting(): number {
    return this.#count;
  }

  /**
   * Waits up to `waitMs` for news of `peer`. `first` is true when nobody was waiting on it yet (the
   * caller then pings it once). Resolves `unknown` at the deadline, on abort, or when full.
   */
  wait(peer: string, waitMs: number, signal: AbortSignal | undefined, first: (isFirst: boolean) => void): Promise<PeerVerdict> {
    if (this.#count >= MAX_WAITING || signal?.aborted === true) return Promise.resolve('unknown');
    let wave = this.#waves.get(peer);
    const isFirst = wave === undefined;
    if (wave === undefined) {
      wave = { waiters: new Set(), timer: undefined };
      this.#waves.set(peer, wave);
    }
    const w = wave;
    return new Promise<PeerVerdict>((resolve) => {
      const onAbort = (): void => this.#end(peer, w, waiter, 'unknown');
      const waiter: Waiter = {
        deadline: this.now() + waitMs,
        answer: (verdict) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(verdict);
        },
      };
      w.waiters.add(waiter);
      this.#count++;
      signal?.addEventListener('abort', onAbort, { once: true });
      if (w.timer === undefined) this.#sweep(peer, w);
      first(isFirst);
    });
  }

  /** News of `peer` (a frame: `alive`; its standing lapsed: `dead`): every question about it is answered. */
  settle(peer: string, verdict: PeerVerdict): void {
    const wave = this.#waves.get(peer);
    if (wave === undefined) return;
    this.#waves.delete(peer);
    clearTimeout(wave.timer);
    this.#count -= wave.waiters.size;
    for (const waiter of wave.waiters) waiter.answer(verdict);
  }

  /** Answers everything `unknown` (the node stops). */
  clear(): void {
    for (const peer of [...this.#waves.keys()]) this.settle(peer, 'unknown');
  }

  #end(peer: string, wave: Wave, waiter: Waiter, verdict: PeerVerdict): void {
    if (!wave.waiters.delete(waiter)) return;
    this.#count--;
    waiter.answer(verdict);
    if (wave.waiters.size === 0 && this.#waves.get(peer) === wave) {
      clearTimeout(wave.timer);
      this.#waves.delete(peer);
    }
  }

  /** Ends the expired waiters of one wave and re-arms for the next deadline. */
  #sweep(peer: string, wave: Wave): void {
    wave.timer = undefined;
    if (this.#waves.get(peer) !== wave) return;
    const now = this.now();
    let next = Infinity;
    for (const waiter of [...wave.waiters]) {
      if (waiter.deadline <= now) this.#end(peer, wave, waiter, 'unknown');
      else next = Math.min(next, waiter.deadline);
    }
    if (next !== Infinity && this.#waves.get(peer) === wave) wave.timer = setUnrefTimeout(() => this.#sweep(peer, wave), next - now);
  }
}
