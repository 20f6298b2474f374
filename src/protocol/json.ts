/**
 * A member's `meta` as the caller hands it in: checked to be plain JSON (so what every member sees is
 * what the caller meant: no `undefined` dropped, no NaN turned into null, no Date turned into a
 * string) and copied, so a later change to the caller's object does not change what was sent.
 */
import { OptionsError } from '../core/errors.js';
import type { JsonValue } from './frames.js';

const MAX_DEPTH = 64;

/** `value` checked and copied; throws `GRIDLINK_INVALID_ARGUMENT`/`GRIDLINK_INVALID_OPTION` naming `name`. */
export function jsonValue(name: string, value: unknown, code: 'GRIDLINK_INVALID_OPTION' | 'GRIDLINK_INVALID_ARGUMENT'): JsonValue {
  const why = notJson(value, 0);
  if (why !== undefined) throw new OptionsError(code, `${name} must be a JSON value (${why})`);
  return JSON.parse(JSON.stringify(value)) as JsonValue;
}

/** Bytes of `value`'s JSON text in UTF-8: how both ends measure a meta. */
export function jsonBytes(value: JsonValue): number {
  return new TextEncoder().encode(JSON.stringify(value)).byteLength;
}

function notJson(value: unknown, depth: number): string | undefined {
  if (depth > MAX_DEPTH) return `nested deeper than ${MAX_DEPTH}`;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `${value} is not a JSON number`;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value !== 'object') return `a ${typeof value} is not JSON`;
  const isArray = Array.isArray(value);
  const proto: unknown = Object.getPrototypeOf(value);
  if (!isArray && proto !== Object.prototype && proto !== null) return 'only plain objects and arrays';
  // An array's holes are visited (as undefined, refused); Object.values would skip them.
  for (const item of isArray ? value : Object.values(value)) {
    const why = notJson(item, depth + 1);
    if (why !== undefined) return why;
  }
  return undefined;
}
