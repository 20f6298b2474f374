/**
 * Redial delay with full jitter (a random delay in [0, cap)): when a node dies, every survivor
 * redials it, and they must not do it in lockstep. The timer is unref'd: a redial never keeps a
 * process alive on its own.
 */
export class Backoff {
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** Runs `fn` once after the next delay; a pending run is replaced. */
  runOnce(fn: () => void): void {
    this.stop();
    const cap = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.attempt, 20));
    this.attempt++;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      fn();
    }, Math.floor(this.random() * cap));
    this.timer.unref?.();
  }

  /** The peer answered: the next failure starts from the base delay again. */
  reset(): void {
    this.attempt = 0;
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
