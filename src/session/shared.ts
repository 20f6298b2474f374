/**
 * This member's copy of the session's shared map (docs/protocol.md "Shared state"). The host orders
 * every write and gives it a version; this copy takes what the host says, in the order it says it:
 * `shared` frames, and a whole snapshot in each welcome (which, after a migration, already merges
 * what this member seeded in its hello). Deletions stay as versioned tombstones so a stale copy
 * seeding a later host cannot bring a deleted key back.
 */
import { SessionError } from '../core/errors.js';
import { isProtocolId } from '../protocol/codec.js';
import type { JsonValue, SharedEntry, SharedFrame, SharedMapWire, WelcomeFrame } from '../protocol/frames.js';
import { jsonBytes } from '../protocol/json.js';

/** A key whose value changed: `value` undefined when it was deleted; `from` the writer, when known. */
export interface SharedChange {
  readonly key: string;
  readonly value: JsonValue | undefined;
  readonly from: string | undefined;
}

export class SharedMap {
  /** Live keys only: what `client.shared` shows; made when first asked for (most sessions share nothing). */
  #map: Map<string, JsonValue> | undefined;
  /** Versioned entries, tombstones included; created by the first write (most sessions share nothing). */
  #entries: Map<string, SharedEntry> | undefined;
  /** The node's bounds; undefined: the node has none of this (older), or no welcome yet. */
  #maxKeys: number | undefined;
  #maxBytes = 0;

  get map(): Map<string, JsonValue> {
    return (this.#map ??= new Map());
  }

  get supported(): boolean {
    return this.#maxKeys !== undefined;
  }

  /** What the next hello seeds the host with. */
  seed(): SharedMapWire {
    return this.#entries === undefined ? {} : Object.fromEntries(this.#entries);
  }

  /** The welcome's snapshot replaces the copy; returns the keys that changed. */
  adopt(welcome: WelcomeFrame): SharedChange[] {
    this.#maxKeys = welcome.maxSharedKeys;
    this.#maxBytes = welcome.maxSharedBytes ?? 0;
    if (welcome.shared === undefined) return [];
    const changes: SharedChange[] = [];
    const given = Object.keys(welcome.shared);
    // An empty map stays the one we have: most sessions share nothing (memory per idle client).
    if (given.length === 0 && (this.#entries?.size ?? 0) === 0) return changes;
    const keys = new Set([...(this.#entries?.keys() ?? []), ...given]);
    const entries = (this.#entries = new Map(Object.entries(welcome.shared)));
    for (const key of keys) this.#set(key, entries.get(key), undefined, changes);
    return changes;
  }

  /** A write the host ordered (or a correction, or a tombstone dropped). */
  apply(frame: SharedFrame): SharedChange[] {
    const changes: SharedChange[] = [];
    const entry: SharedEntry | undefined = frame.v === undefined ? undefined : frame.val === undefined ? [frame.v] : [frame.v, frame.val];
    if (entry === undefined) this.#entries?.delete(frame.k);
    else (this.#entries ??= new Map()).set(frame.k, entry);
    this.#set(frame.k, entry, frame.from, changes);
    return changes;
  }

  #set(key: string, entry: SharedEntry | undefined, from: string | undefined, changes: SharedChange[]): void {
    const before = this.map.get(key);
    const value = entry?.[1];
    if (value === undefined) this.map.delete(key);
    else this.map.set(key, value);
    if (JSON.stringify(before) !== JSON.stringify(value)) changes.push({ key, value, from });
  }

  /** Throws unless the node would take `key` = `value` (undefined: delete). */
  check(key: string, value: JsonValue | undefined): void {
    if (!isProtocolId(key)) throw new SessionError('GRIDLINK_INVALID_ARGUMENT', 'a shared key is a string of 1..128 chars without control characters');
    const maxKeys = this.#maxKeys;
    if (maxKeys === undefined) throw new SessionError('GRIDLINK_UNSUPPORTED', 'this node has no shared state (or the client has not joined yet)');
    if (value === undefined) return;
    let bytes = key.length + jsonBytes(value);
    for (const [k, v] of this.map) if (k !== key) bytes += k.length + jsonBytes(v);
    if (bytes > this.#maxBytes || (!this.map.has(key) && this.map.size >= maxKeys)) {
      throw new SessionError('GRIDLINK_SHARED_TOO_LARGE', `the shared map would be over the node's bounds (${maxKeys} keys, ${this.#maxBytes} bytes)`);
    }
  }
}
