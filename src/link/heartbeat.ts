/**
 * Liveness of one link. Any inbound frame counts as life; the link is dead when nothing arrived for
 * `timeoutMs`. Death is judged by elapsed time since the last inbound frame, never by counting
 * timer ticks: a timer that fires late (a throttled background tab, a busy event loop) must not make
 * a live peer look dead. We ping only when we sent nothing else for a whole interval, since our own
 * traffic already tells the peer we are alive.
 *
 * The host interface is three methods so the unit test is a ten-line fake with fake timers.
 */
import type { HeartbeatSettings } from '../protocol/frames.js';
import { setUnrefInterval, setUnrefTimeout, type TimerHandle } from '../core/timers.js';

export interface HeartbeatHost {
  sendPing(): void;
  onDead(silentMs: number): void;
  now(): number;
}

export class Heartbeat {
  #lastIn = 0;
  #lastOut = 0;
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  #deadTimer: TimerHandle | undefined;
  #running = false;

  constructor(
    private readonly host: HeartbeatHost,
    private readonly settings: HeartbeatSettings,
  ) {}

  start(): void {
    if (this.#running) return;
    this.#running = true;
    const now = this.host.now();
    this.#lastIn = now;
    this.#lastOut = now;
    this.#pingTimer = setUnrefInterval(() => this.#maybePing(), this.settings.intervalMs);
    this.#armDeadline(this.settings.timeoutMs);
  }

  stop(): void {
    this.#running = false;
    if (this.#pingTimer !== undefined) clearInterval(this.#pingTimer);
    if (this.#deadTimer !== undefined) clearTimeout(this.#deadTimer);
    this.#pingTimer = undefined;
    this.#deadTimer = undefined;
  }

  /** Something arrived. Cheap on purpose: this runs for every inbound frame. */
  inbound(): void {
    this.#lastIn = this.host.now();
  }

  /** We sent something; the peer will count it as our heartbeat. */
  outbound(): void {
    this.#lastOut = this.host.now();
  }

  /** Milliseconds since the last inbound frame. */
  silentFor(): number {
    return this.host.now() - this.#lastIn;
  }

  #maybePing(): void {
    // A small margin so a timer that fires a hair early still pings in this interval.
    if (this.host.now() - this.#lastOut >= this.settings.intervalMs * 0.9) {
      this.#lastOut = this.host.now();
      this.host.sendPing();
    }
  }

  #armDeadline(ms: number): void {
    this.#deadTimer = setUnrefTimeout(() => this.#checkDeadline(), Math.max(1, ms));
  }

  /** Re-armed only when it fires, so the per-frame path never touches a timer. */
  #checkDeadline(): void {
    if (!this.#running) return;
    const silent = this.silentFor();
    if (silent >= this.settings.timeoutMs) {
      this.stop();
      this.host.onDead(silent);
      return;
    }
    this.#armDeadline(this.settings.timeoutMs - silent);
  }
}
