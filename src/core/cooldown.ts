/**
 * Cooldown of failed nodes: a node that failed sits out for a while, longer each time it keeps
 * failing (the backoff rule of backoff.ts: exponential, capped, jittered so that clients of one
 * dead node do not come back to it in lockstep). One success forgets its history.
 */
import { backoffCeiling, backoffDelay, type BackoffRule } from './backoff.js';

export interface CooldownSettings {
  readonly baseMs: number;
  readonly maxMs: number;
}

interface Entry {
  failures: number;
  until: number;
}

export class Cooldown {
  /** Made on the first failure: most clients never see one. */
  #entries: Map<string, Entry> | undefined;

  readonly #settings: CooldownSettings;
  readonly #now: () => number;
  readonly #random: () => number;

  constructor(
    settings: CooldownSettings,
    now: () => number,
    random: () => number = Math.random,
  ) {
    this.#settings = settings;
    this.#now = now;
    this.#random = random;
  }

  fail(id: string): void {
    this.#entries ??= new Map();
    const entry = this.#entries.get(id) ?? { failures: 0, until: 0 };
    entry.failures += 1;
    // "Equal jitter": half the ceiling for sure, the rule's full jitter over the other half, so a
    // cooldown never collapses to zero (a node that just failed must not be picked again at once).
    const half: BackoffRule = { baseMs: this.#settings.baseMs / 2, maxMs: this.#settings.maxMs / 2 };
    const attempt = entry.failures - 1;
    entry.until = this.#now() + backoffCeiling(half, attempt) + backoffDelay(half, attempt, this.#random);
    this.#entries.set(id, entry);
  }

  succeed(id: string): void {
    this.#entries?.delete(id);
  }

  isCooling(id: string): boolean {
    const entry = this.#entries?.get(id);
    return entry !== undefined && entry.until > this.#now();
  }

  /** When the cooldown of `id` ends (0 if it is not cooling). */
  until(id: string): number {
    const entry = this.#entries?.get(id);
    return entry !== undefined && entry.until > this.#now() ? entry.until : 0;
  }

  failures(id: string): number {
    return this.#entries?.get(id)?.failures ?? 0;
  }
}
