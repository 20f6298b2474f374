/**
 * One session's shared map on its host (docs/protocol.md "Shared state"). The host orders every
 * write and versions it with a hybrid clock — the larger of its last version + 1 and the wall
 * clock — so a write taken after a failover outranks what the old host ordered, as long as the
 * nodes' clocks roughly agree. Per key the highest version wins; equal versions (two hosts at once,
 * during a partition) go to the larger value's JSON text, a deletion's being "" — a total order,
 * so every member ends with the same map whichever host merges the copies, in whatever order.
 *
 * Bounded: `keys` entries (deletions included, the oldest dropped first to make room) and `bytes`
 * of keys plus value JSON. A write or a seeded entry past a bound is refused, never half taken.
 */
import type { JsonValue, SharedEntry, SharedMapWire } from '../../protocol/frames.js';

export interface SharedLimits {
  readonly keys: number;
  readonly bytes: number;
}

interface Entry {
  readonly v: number;
  readonly val: JsonValue | undefined;
  /** JSON text of `val`; "" for a deletion. */
  readonly json: string;
  /** What it counts against `bytes`: 0 for a deletion. */
  readonly size: number;
}

/** A seeded version this far ahead of the wall clock is not believed (it would outrank every later write). */
export const MAX_FUTURE_MS = 60_000;

export type WriteResult = { readonly ok: true; readonly v: number; readonly dropped: string[] } | { readonly ok: false };

export class SharedState {
  readonly #entries = new Map<string, Entry>();
  #clock = 0;
  #bytes = 0;
  /**
   * Per writer, the highest seq known to be applied: by this host, or by an earlier one as a
   * member's hello reports (it delivered that far: `shared` frames count in the writer's order). A
   * replay at or below it is not applied again.
   */
  readonly seen = new Map<string, number>();

  /** `writer`'s messages up to `seq` were applied (here, or by a host a member heard them from). */
  saw(writer: string, seq: number): void {
    if (seq > (this.seen.get(writer) ?? 0)) this.seen.set(writer, seq);
  }
  readonly #limits: SharedLimits;
  readonly #now: () => number;

  constructor(limits: SharedLimits, now: () => number = Date.now) {
    this.#limits = limits;
    this.#now = now;
  }

  get size(): number {
    return this.#entries.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Key `key` = the value in `json` ("" deletes), ordered now. `dropped`: tombstones forgotten to make room. */
  write(key: string, json: string): WriteResult {
    this.#clock = Math.max(this.#clock + 1, this.#now());
    const entry = makeEntry(key, this.#clock, json === '' ? undefined : (JSON.parse(json) as JsonValue), json);
    const dropped = this.#fit(key, entry);
    if (dropped === undefined) return { ok: false };
    return { ok: true, v: entry.v, dropped };
  }

  /** A member's copy, merged key by key; returns the keys that changed and the tombstones dropped. */
  merge(seed: SharedMapWire): { changed: string[]; dropped: string[] } {
    const changed: string[] = [];
    const dropped: string[] = [];
    const horizon = this.#now() + MAX_FUTURE_MS;
    for (const [key, [v, val]] of Object.entries(seed)) {
      if (v > horizon) continue;
      const entry = makeEntry(key, v, val, val === undefined ? '' : JSON.stringify(val));
      const current = this.#entries.get(key);
      if (current !== undefined && !outranks(entry, current)) continue;
      const made = this.#fit(key, entry);
      if (made === undefined) continue;
      this.#clock = Math.max(this.#clock, v);
      changed.push(key);
      dropped.push(...made);
    }
    return { changed, dropped };
  }

  /** The wire form of `key` (undefined: not held). */
  entry(key: string): SharedEntry | undefined {
    const e = this.#entries.get(key);
    return e === undefined ? undefined : e.val === undefined ? [e.v] : [e.v, e.val];
  }

  snapshot(): SharedMapWire {
    const out: SharedMapWire = {};
    for (const key of this.#entries.keys()) out[key] = this.entry(key) as SharedEntry;
    return out;
  }

  /** Puts `entry` under `key` if the bounds allow (dropping the oldest deletions for room); undefined: refused. */
  #fit(key: string, entry: Entry): string[] | undefined {
    const old = this.#entries.get(key);
    if (this.#bytes - (old?.size ?? 0) + entry.size > this.#limits.bytes) return undefined;
    const dropped: string[] = [];
    if (old === undefined && this.#entries.size >= this.#limits.keys) {
      let oldest: string | undefined;
      let at = Infinity;
      for (const [k, e] of this.#entries) if (e.val === undefined && e.v < at) [oldest, at] = [k, e.v];
      if (oldest === undefined) return undefined;
      this.#entries.delete(oldest);
      dropped.push(oldest);
    }
    this.#bytes += entry.size - (old?.size ?? 0);
    this.#entries.set(key, entry);
    return dropped;
  }
}

function makeEntry(key: string, v: number, val: JsonValue | undefined, json: string): Entry {
  return { v, val, json, size: val === undefined ? 0 : key.length + Buffer.byteLength(json) };
}

/** The merge order: higher version, then the larger JSON text ("" — a deletion — the smallest). */
export function outranks(a: { v: number; json: string }, b: { v: number; json: string }): boolean {
  return a.v !== b.v ? a.v > b.v : a.json > b.json;
}
