/**
 * Publishes remembered by idempotency key: a retry of a publish that is still running joins it,
 * and a retry of one that succeeded gets its result without a second delivery. A failed publish
 * (or one the caller does not keep: nobody was there to deliver to) is forgotten at once, so its
 * retry runs again (the members drop what they already have: see
 * docs/protocol.md, "Publish").
 *
 * Bounded: at most `max` keys, each for `ttlMs`; past the bound the oldest is forgotten first.
 * Only key holders publish (the route is authenticated), so the bound is against a buggy backend
 * rather than an attacker.
 */
export class IdempotencyCache<T> {
  readonly #entries = new Map<string, { result: Promise<T>; expires: number }>();

  constructor(
    private readonly max: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * `run()`'s promise for `key`, or the one already running or done under it. A result `keep`
   * refuses is forgotten like a failure (the next call runs again).
   */
  run(key: string, run: () => Promise<T>, keep: (result: T) => boolean = () => true): Promise<T> {
    const now = this.now();
    const known = this.#entries.get(key);
    if (known !== undefined && known.expires > now) return known.result;
    this.#entries.delete(key);
    this.#sweep(now);
    const result = run();
    const entry = { result, expires: now + this.ttlMs };
    this.#entries.set(key, entry);
    const forget = (): void => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
    };
    result.then((value) => keep(value) || forget(), forget);
    return result;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Drops expired keys from the oldest on (insertion order is expiry order), then any over the bound. */
  #sweep(now: number): void {
    for (const [key, entry] of this.#entries) {
      if (entry.expires > now && this.#entries.size < this.max) break;
      this.#entries.delete(key);
    }
  }
}
