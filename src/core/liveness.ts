/**
 * Liveness of one link, the same on both ends (client link, node's client link, peer links).
 * Traffic is its own heartbeat: a ping goes out only when nothing else went out for `intervalMs`,
 * and the link is dead when nothing came in for `timeoutMs`. Death is judged from the time of the
 * last inbound frame, never by counting ticks, so a timer that fires late (a loaded event loop)
 * cannot make a live peer look dead.
 *
 * A client link may also want to hear of a shorter silence, `suspectMs`, to ask the cloud about its
 * node before the timeout (link.ts). The same watch timer serves both, so an idle link holds two
 * timers in all, each rescheduled from a timestamp when it fires — not one timer per message.
 *
 * A stalled loop must not report a silence: while it is stalled, frames wait unread in the socket
 * and the silence is ours, not the node's. The watch timer knows when it was due; one that runs
 * more than `lateMs` late says the loop was stalled (or the tab throttled), so it rechecks shortly
 * instead, and only a check that runs on time may report the silence. `silence` in `running`:
 *
 *   listening --watch on time, silent >= suspectMs--> reported (host.onSilent, once)
 *   listening --watch late (stalled loop)-----------> listening (recheck after lateMs)
 *   reported  --a frame arrived---------------------> listening (host.onHeard)
 *   either    --silent >= timeoutMs-----------------> stopped (host.onDead)
 *
 * The host interface is a few methods, so a unit test needs a tiny fake and fake timers, no server.
 */
import { setUnrefTimeout, type TimerHandle } from './timers.js';

export interface LivenessHost {
  /** Send one ping (the owner calls `sent()` as for any frame). */
  sendPing(): void;
  /** Nothing arrived for `timeoutMs`. Called once; the liveness is stopped by then. */
  onDead(silentMs: number): void;
  /** Nothing arrived for the `suspectMs` given to `start()`: called once per silence. */
  onSilent?(silentMs: number): void;
  /** The first frame after `onSilent`. */
  onHeard?(): void;
}

export interface LivenessSettings {
  /** Omit to only watch for silence (a link whose other end does the pinging). */
  readonly intervalMs?: number;
  readonly timeoutMs: number;
}

type Silence = 'listening' | 'reported';

type State =
  | { kind: 'idle' }
  /** `due`: when `watch` should run; how late it runs is how long the loop was stalled. */
  | { kind: 'running'; ping: TimerHandle | undefined; watch: TimerHandle; due: number; silence: Silence }
  | { kind: 'stopped' };

/** A watch timer this late was stalled, not idle: at most 100 ms, less for short silences. */
const lateFor = (suspectMs: number): number => Math.min(100, suspectMs / 4);

export class Liveness {
  #state: State = { kind: 'idle' };
  #lastInbound = 0;
  #lastOutbound = 0;
  /** Report a silence this long (below the timeout) with `onSilent`; undefined for none. */
  #suspectMs: number | undefined;

  readonly #host: LivenessHost;
  readonly #settings: LivenessSettings;
  readonly #now: () => number;

  constructor(
    host: LivenessHost,
    settings: LivenessSettings,
    now: () => number = Date.now,
  ) {
    this.#host = host;
    this.#settings = settings;
    this.#now = now;
  }

  /** `suspectMs`: also report a silence this long (below the timeout) with `host.onSilent`. */
  start(suspectMs?: number): void {
    // Checked before the timers exist: a refused start must not leave them running.
    if (this.#state.kind !== 'idle') return;
    this.#suspectMs = suspectMs;
    const t = this.#now();
    this.#lastInbound = t;
    this.#lastOutbound = t;
    const ping = this.#settings.intervalMs === undefined ? undefined : this.#timer(() => this.#pingDue(), this.#settings.intervalMs);
    const first = suspectMs ?? this.#settings.timeoutMs;
    this.#transition(['idle'], { kind: 'running', ping, watch: this.#timer(() => this.#watchDue(), first), due: t + first, silence: 'listening' });
  }

  /** Any inbound frame: proof of life. */
  received(): void {
    const now = this.#now();
    this.#lastInbound = now;
    const state = this.#state;
    if (state.kind !== 'running') return;
    // Answer life with life: a hidden browser tab runs its timers rarely (once a minute after a
    // while) but still receives frames, so when one arrives and we have been quiet for an interval,
    // ping now rather than waiting for a timer that may not run in time for the peer.
    const interval = this.#settings.intervalMs;
    if (interval !== undefined && now - this.#lastOutbound >= interval) {
      this.#lastOutbound = now;
      this.#host.sendPing();
    }
    if (state.silence === 'reported' && this.#state === state) {
      state.silence = 'listening';
      // The watch is set for the timeout; the next silence is measured from this frame.
      clearTimeout(state.watch);
      this.#arm(state, this.#suspectMs ?? this.#settings.timeoutMs);
      this.#host.onHeard?.();
    }
  }

  /** Any outbound frame: makes the next ping unnecessary. */
  sent(): void {
    this.#lastOutbound = this.#now();
  }

  stop(): void {
    this.#transition(['idle', 'running'], { kind: 'stopped' });
  }

  /** Milliseconds since the last inbound frame. */
  silentFor(): number {
    return this.#now() - this.#lastInbound;
  }

  /**
   * The one way the state changes, refused unless the current state is in `allowedFrom`: a stopped
   * liveness never runs again. Leaving `running` cancels its timers.
   */
  #transition(allowedFrom: readonly State['kind'][], next: State): boolean {
    const prev = this.#state;
    if (!allowedFrom.includes(prev.kind)) return false;
    if (prev.kind === 'running') {
      if (prev.ping !== undefined) clearTimeout(prev.ping);
      clearTimeout(prev.watch);
    }
    this.#state = next;
    return true;
  }

  #timer(fn: () => void, ms: number): TimerHandle {
    return setUnrefTimeout(fn, Math.max(0, ms));
  }

  #arm(state: State & { kind: 'running' }, inMs: number): void {
    state.due = this.#now() + Math.max(0, inMs);
    state.watch = this.#timer(() => this.#watchDue(), inMs);
  }

  #pingDue(): void {
    const state = this.#state;
    const interval = this.#settings.intervalMs;
    if (state.kind !== 'running' || interval === undefined) return;
    if (this.#now() - this.#lastOutbound >= interval) {
      this.#host.sendPing();
      this.#lastOutbound = this.#now();
    }
    if (this.#state !== state) return; // sendPing may have closed the link
    state.ping = this.#timer(() => this.#pingDue(), this.#lastOutbound + interval - this.#now());
  }

  #watchDue(): void {
    const state = this.#state;
    if (state.kind !== 'running') return;
    const { timeoutMs } = this.#settings;
    const suspectMs = this.#suspectMs;
    const now = this.#now();
    const silent = now - this.#lastInbound;
    if (silent >= timeoutMs) {
      this.stop();
      this.#host.onDead(silent);
      return;
    }
    if (suspectMs !== undefined && state.silence === 'listening') {
      const late = lateFor(suspectMs);
      // Frames may be waiting unread behind whatever held the loop: look again once it runs freely.
      if (now - state.due > late) return this.#arm(state, late);
      if (silent >= suspectMs) {
        state.silence = 'reported';
        this.#host.onSilent?.(silent);
        if (this.#state !== state) return; // the host may have closed the link
      } else return this.#arm(state, suspectMs - silent);
    }
    this.#arm(state, this.#lastInbound + timeoutMs - now);
  }
}
