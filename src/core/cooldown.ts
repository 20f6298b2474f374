/**
 * Cooldown of failed nodes: a node that failed sits out for a while, longer each time it keeps
 * failing (exponential, capped, jittered so that clients of one dead node do not come back to it
 * in lockstep). One success forgets its history.
 */

export interface CooldownSettings {
  readonly baseMs: number;
  readonly maxMs: number;
}

interface Entry {
  failures: number;
  until: number;
}

export class Cooldown {
  readonly #entries = new Map<string, Entry>();

  constructor(
    private readonly settings: CooldownSettings,
    private readonly now: () => number,
    private readonly random: () => number = Math.random,
  ) {}

  fail(id: string): void {
    const entry = this.#entries.get(id) ?? { failures: 0, until: 0 };
    entry.failures += 1;
    const ceiling = Math.min(this.settings.maxMs, this.settings.baseMs * 2 ** (entry.failures - 1));
    // "Equal jitter": at least half the ceiling, so a cooldown never collapses to zero.
    entry.until = this.now() + ceiling / 2 + (this.random() * ceiling) / 2;
    this.#entries.set(id, entry);
  }

  succeed(id: string): void {
    this.#entries.delete(id);
  }

  isCooling(id: string): boolean {
    const entry = this.#entries.get(id);
    return entry !== undefined && entry.until > this.now();
  }

  /** When the cooldown of `id` ends (0 if it is not cooling). */
  until(id: string): number {
    const entry = this.#entries.get(id);
    return entry !== undefined && entry.until > this.now() ? entry.until : 0;
  }

  failures(id: string): number {
    return this.#entries.get(id)?.failures ?? 0;
  }
}
