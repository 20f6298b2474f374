/**
 * Suspicion of one client link: when the node has been quiet for a little more than one heartbeat
 * interval, ask the cloud (another node) whether the host is gone, instead of waiting out the whole
 * heartbeat timeout alone. A client cannot tell a dead host from a bad path; the host's peers can,
 * and they watch it every 500 ms.
 *
 * Only a verdict of `dead` acts (the link dies and the session migrates at once). `alive` means
 * the trouble is our own path and `unknown` means nobody can say: both leave the link to the
 * heartbeat timeout and the partition rules, as before, and no second question is asked until a
 * frame has arrived again. So a migration needs the cloud's own confirmation; nothing this side
 * sees (a hidden tab, a GC pause, a loaded loop) can cause one the timeout rule would not.
 *
 * A stalled loop must not even ask: while it is stalled, frames wait unread in the socket and the
 * silence is ours, not the host's. Every timer here knows when it was due; one that runs more than
 * `lateMs` late says the loop was stalled (or the tab throttled), so it re-arms a short recheck
 * instead of suspecting, and only a recheck that runs on time may measure the silence.
 *
 *   idle     --start()---------------------------------------------> watching
 *   watching --timer late (stalled loop, throttled tab)-------------> watching (recheck soon)
 *   watching --timer on time, silent >= suspectMs-------------------> asking
 *   asking   --a frame arrived (question aborted)-------------------> watching
 *   asking   --verdict alive | unknown (or the question failed)-----> trusting
 *   asking   --verdict dead-----------------------------------------> stopped (host.onConfirmedDead)
 *   trusting --a frame arrived--------------------------------------> watching
 *   any      --stop()-----------------------------------------------> stopped
 */
import { setUnrefTimeout, type TimerHandle } from '../core/timers.js';
import type { Verdict } from '../dial/status.js';
import type { HeartbeatSettings } from '../protocol/frames.js';

export type { Verdict };

export interface SuspicionHost {
  /** Asks the cloud about the host; `signal` aborts when the answer no longer matters. Never rejects with meaning: a failure is `unknown`. */
  ask(signal: AbortSignal): Promise<Verdict>;
  /** The cloud confirmed the host gone. Called at most once; the suspicion is stopped by then. */
  onConfirmedDead(silentMs: number): void;
}

export interface SuspicionSettings {
  /** Silence (ms since the last inbound frame) that makes us ask. */
  readonly suspectMs: number;
  /** A timer this late was stalled, not idle; default min(100, suspectMs / 4). */
  readonly lateMs?: number;
}

type State =
  | { kind: 'idle' }
  /** `due`: when the timer should run; how late it runs is how long the loop was stalled. */
  | { kind: 'watching'; timer: TimerHandle; due: number }
  | { kind: 'asking'; controller: AbortController; since: number }
  /** The cloud said alive or could not say: no more questions until the node is heard again. */
  | { kind: 'trusting' }
  | { kind: 'stopped' };

export type SuspicionKind = State['kind'];

/**
 * The silence that makes a client suspect its host: a little more than the longest gap an idle
 * link shows (each end pings after one interval of its own silence, so frames come at least every
 * max(ours, the node's) interval), or undefined when that is not clearly below the timeout (the
 * question would come too late to help).
 */
export function suspectAfter(client: HeartbeatSettings, node?: HeartbeatSettings): number | undefined {
  const gap = Math.max(client.intervalMs, node?.intervalMs ?? 0);
  const suspectMs = Math.round(gap * 1.3);
  return suspectMs + gap / 2 <= client.timeoutMs ? suspectMs : undefined;
}

export class Suspicion {
  #state: State = { kind: 'idle' };
  #lastInbound = 0;
  readonly #host: SuspicionHost;
  readonly #suspectMs: number;
  readonly #lateMs: number;
  readonly #now: () => number;
  /** Every move, for tests and logs. */
  readonly #onMove: ((from: SuspicionKind, to: SuspicionKind, why: string) => void) | undefined;

  constructor(
    host: SuspicionHost,
    settings: SuspicionSettings,
    now: () => number,
    onMove?: (from: SuspicionKind, to: SuspicionKind, why: string) => void,
  ) {
    this.#host = host;
    this.#suspectMs = settings.suspectMs;
    this.#lateMs = settings.lateMs ?? Math.min(100, settings.suspectMs / 4);
    this.#now = now;
    this.#onMove = onMove;
  }

  get state(): SuspicionKind {
    return this.#state.kind;
  }

  start(): void {
    this.#lastInbound = this.#now();
    this.#watch(['idle'], this.#suspectMs, 'started');
  }

  /** Any inbound frame: the host (or something in front of it) is talking. */
  received(): void {
    this.#lastInbound = this.#now();
    // While watching, the timer re-arms itself from the timestamp when it runs: no work per frame.
    if (this.#state.kind === 'asking' || this.#state.kind === 'trusting') this.#watch(['asking', 'trusting'], this.#suspectMs, 'a frame arrived');
  }

  stop(): void {
    this.#transition(['idle', 'watching', 'asking', 'trusting'], { kind: 'stopped' }, 'stopped');
  }

  /**
   * The one way the state changes, refused unless the current state is in `allowedFrom` (so a
   * verdict for a question already abandoned changes nothing). Leaving a state releases what it held.
   */
  #transition(allowedFrom: readonly SuspicionKind[], next: State, why: string): boolean {
    const prev = this.#state;
    if (!allowedFrom.includes(prev.kind)) return false;
    if (prev.kind === 'watching') clearTimeout(prev.timer);
    if (prev.kind === 'asking') prev.controller.abort();
    this.#state = next;
    this.#onMove?.(prev.kind, next.kind, why);
    return true;
  }

  #watch(allowedFrom: readonly SuspicionKind[], inMs: number, why: string): void {
    const delay = Math.max(0, inMs);
    const due = this.#now() + delay;
    const timer = setUnrefTimeout(() => this.#due(), delay);
    if (!this.#transition(allowedFrom, { kind: 'watching', timer, due }, why)) clearTimeout(timer);
  }

  #due(): void {
    const state = this.#state;
    if (state.kind !== 'watching') return;
    const now = this.#now();
    if (now - state.due > this.#lateMs) {
      // Frames may be waiting unread behind whatever held the loop: look again once it runs freely.
      this.#watch(['watching'], this.#lateMs, `timer ${Math.round(now - state.due)} ms late`);
      return;
    }
    const silent = now - this.#lastInbound;
    if (silent < this.#suspectMs) {
      this.#watch(['watching'], this.#suspectMs - silent, 'heard meanwhile');
      return;
    }
    this.#ask(silent);
  }

  #ask(silent: number): void {
    const controller = new AbortController();
    const asking: State = { kind: 'asking', controller, since: this.#now() };
    if (!this.#transition(['watching'], asking, `silent for ${Math.round(silent)} ms`)) return;
    this.#host.ask(controller.signal).then(
      (verdict) => this.#answered(asking, verdict),
      () => this.#answered(asking, 'unknown'),
    );
  }

  #answered(asking: State, verdict: Verdict): void {
    if (this.#state !== asking) return; // a frame arrived first, or the link ended
    if (verdict === 'dead') {
      const silent = this.#now() - this.#lastInbound;
      if (this.#transition(['asking'], { kind: 'stopped' }, 'the cloud confirmed the host gone')) this.#host.onConfirmedDead(silent);
      return;
    }
    this.#transition(['asking'], { kind: 'trusting' }, `the cloud answered ${verdict}`);
  }
}
