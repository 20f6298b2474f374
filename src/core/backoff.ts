/**
 * The one backoff rule of the package: exponential growth from `baseMs` by `factor`, capped at
 * `maxMs`, and jittered in full (a random delay in [0, ceiling)) so that clients or peers that
 * failed together do not come back together. Peer redials (`Backoff` below), the failed-node
 * cooldown (cooldown.ts) and the rounds of connection attempts (retry.ts) all
 * start from it.
 */

export interface BackoffRule {
  readonly baseMs: number;
  readonly maxMs: number;
  /** Growth per attempt; default 2. */
  readonly factor?: number;
}

/** The ceiling of attempt `attempt` (0 = the first): baseMs·factor^attempt, at most maxMs. */
export function backoffCeiling(rule: BackoffRule, attempt: number): number {
  // Checked first: 0·Infinity (a zero base after very many attempts) would be NaN.
  if (rule.baseMs === 0) return 0;
  return Math.min(rule.maxMs, rule.baseMs * (rule.factor ?? 2) ** attempt);
}

/** Full jitter: a delay drawn uniformly from [0, ceiling) of attempt `attempt`. */
export function backoffDelay(rule: BackoffRule, attempt: number, random: () => number = Math.random): number {
  return random() * backoffCeiling(rule, attempt);
}

/**
 * Redial delay with full jitter: when a node dies, every survivor redials it, and they must not do
 * it in lockstep. The timer is unref'd: a redial never keeps a process alive on its own.
 */
export class Backoff {
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly rule: BackoffRule;

  constructor(
    baseMs: number,
    maxMs: number,
    private readonly random: () => number = Math.random,
  ) {
    this.rule = { baseMs, maxMs };
  }

  /** Runs `fn` once after the next delay; a pending run is replaced. */
  runOnce(fn: () => void): void {
    this.stop();
    const delay = Math.floor(backoffDelay(this.rule, this.attempt, this.random));
    this.attempt++;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      fn();
    }, delay);
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
