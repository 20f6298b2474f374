/**
 * Liveness of one link, the same on both ends (client link, node's client link, peer links). Traffic is its own heartbeat: a ping goes out only
 * when nothing else went out for `intervalMs`, and the link is dead when nothing came in for
 * `timeoutMs`. Death is judged from the time of the last inbound frame, never by counting ticks, so
 * a timer that fires late (a loaded event loop) cannot make a live peer look dead.
 *
 * Two timers in all, each rescheduled from a timestamp when it fires — not one timer per message.
 * The host interface is two methods, so a unit test needs a tiny fake and fake timers, no server.
 */
import { setUnrefTimeout, type TimerHandle } from './timers.js';

export interface LivenessHost {
  /** Send one ping (the owner calls `sent()` as for any frame). */
  sendPing(): void;
  /** Nothing arrived for `timeoutMs`. Called once; the liveness is stopped by then. */
  onDead(silentMs: number): void;
}

export interface LivenessSettings {
  /** Omit to only watch for silence (a link whose other end does the pinging). */
  readonly intervalMs?: number;
  readonly timeoutMs: number;
}

type State =
  | { kind: 'idle' }
  | { kind: 'running'; ping: TimerHandle | undefined; dead: TimerHandle }
  | { kind: 'stopped' };

export class Liveness {
  #state: State = { kind: 'idle' };
  #lastInbound = 0;
  #lastOutbound = 0;

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

  start(): void {
    // Checked before the timers exist: a refused start must not leave them running.
    if (this.#state.kind !== 'idle') return;
    const t = this.#now();
    this.#lastInbound = t;
    this.#lastOutbound = t;
    const ping = this.#settings.intervalMs === undefined ? undefined : this.#timer(() => this.#pingDue(), this.#settings.intervalMs);
    this.#transition(['idle'], { kind: 'running', ping, dead: this.#timer(() => this.#deadDue(), this.#settings.timeoutMs) });
  }

  /** Any inbound frame: proof of life. */
  received(): void {
    const now = this.#now();
    this.#lastInbound = now;
    // Answer life with life: a hidden browser tab runs its timers rarely (once a minute after a
    // while) but still receives frames, so when one arrives and we have been quiet for an interval,
    // ping now rather than waiting for a timer that may not run in time for the peer.
    const interval = this.#settings.intervalMs;
    if (interval !== undefined && this.#state.kind === 'running' && now - this.#lastOutbound >= interval) {
      this.#lastOutbound = now;
      this.#host.sendPing();
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
      clearTimeout(prev.dead);
    }
    this.#state = next;
    return true;
  }

  #timer(fn: () => void, ms: number): TimerHandle {
    return setUnrefTimeout(fn, Math.max(0, ms));
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

  #deadDue(): void {
    const state = this.#state;
    if (state.kind !== 'running') return;
    const silent = this.#now() - this.#lastInbound;
    if (silent >= this.#settings.timeoutMs) {
      this.stop();
      this.#host.onDead(silent);
      return;
    }
    state.dead = this.#timer(() => this.#deadDue(), this.#lastInbound + this.#settings.timeoutMs - this.#now());
  }
}
