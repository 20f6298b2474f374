/**
 * The checks every options normalizer shares (client, node, DNS server, local cloud, fault proxy).
 * Each takes the option's name first — its full path, `heartbeat.timeoutMs`, `peers[2].url` — and
 * fails with an `OptionsError` whose message starts with that name, so the caller reads which
 * option is wrong before reading why. Unknown keys fail too: in JavaScript a misspelt option
 * (`heartbeat: { interval: 500 }`) would otherwise be ignored without a word.
 */
import { OptionsError, type ErrorCode } from './errors.js';
import { canonicalName, isNodeLabel, isZoneName } from './dns-names.js';
import type { Logger } from './logger.js';

/** An options object is an option; a function's argument (`send(data, options)`) is an argument. */
export type OptionErrorCode = Extract<ErrorCode, 'GRIDLINK_INVALID_OPTION' | 'GRIDLINK_INVALID_ARGUMENT'>;

/** setTimeout's ceiling: a longer delay fires at once, so no duration option may exceed it. */
export const MAX_TIMER_MS = 2_147_483_647;

/** `${name} ${problem}`: `fail('port', 'must be an integer 0..65535')`. */
export function fail(name: string, problem: string, code: OptionErrorCode = 'GRIDLINK_INVALID_OPTION'): never {
  throw new OptionsError(code, `${name} ${problem}`);
}

/** A mistake about several options at once (`give dns or doh, not both`), in a sentence of its own. */
export function failOptions(message: string): never {
  throw new OptionsError('GRIDLINK_INVALID_OPTION', message);
}

/** A value quoted in a message, cut short: a huge string must not become a huge error. */
export function shown(value: unknown): string {
  return `'${String(value).slice(0, 100)}'`;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The keys of an options type as a runtime list. The argument must name every key of `T` and no
 * other (the compiler checks both ways), so the list cannot drift from the documented type.
 */
export function optionKeys<T extends object>(keys: { readonly [K in keyof Required<T>]: true }): readonly string[] {
  return Object.freeze(Object.keys(keys));
}

export interface KeyCheck {
  readonly code?: OptionErrorCode;
  /** What the keys are, in the message; default 'option'. */
  readonly what?: string;
}

/** The known key a misspelt one most likely meant, if any (core/suggest.ts). */
export type KeyHints = (given: string, known: readonly string[]) => string | undefined;

/**
 * "Did you mean …?" after an unknown key, where the entry installed it: every Node entry and the
 * full browser bundle do (core/suggest.ts); the browser core names the key without a guess, its
 * bytes being budgeted. A process-wide setting: the guess is a pure function of the key.
 */
let hints: KeyHints | undefined;

export function installKeyHints(guess: KeyHints | undefined): void {
  hints = guess;
}

/**
 * Refuses a key of `value` that is not in `known`, naming it with its path (`path` is the group's
 * name, '' at the top) and, with hints installed, the key the caller most likely meant.
 */
export function knownKeys(path: string, value: object, known: readonly string[], check: KeyCheck = {}): void {
  const full = (key: string): string => (path === '' ? key : `${path}.${key}`);
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const guess = hints?.(key, known);
    const hint = guess === undefined ? '' : ` (did you mean '${full(guess)}'?)`;
    throw new OptionsError(check.code ?? 'GRIDLINK_INVALID_OPTION', `unknown ${check.what ?? 'option'} '${full(key)}'${hint}`);
  }
}

/** The options argument itself: an object with only `known` keys. */
export function optionsObject(value: unknown, known: readonly string[], check: KeyCheck = {}): Record<string, unknown> {
  if (!isRecord(value)) fail('options', 'must be an object', check.code);
  knownKeys('', value, known, check);
  return value;
}

/** A nested group (`heartbeat`, `retry`): undefined, or an object with only `known` keys. */
export function group(name: string, value: unknown, known: readonly string[], check: KeyCheck = {}): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value)) fail(name, `must be an object { ${known.join(', ')} }`, check.code);
  knownKeys(name, value, known, check);
  return value;
}

/** A number in [min, max], or `fallback` when absent; `infinity` also admits Infinity ("never"). */
export function number(name: string, value: unknown, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER, infinity = false): number {
  if (value === undefined) return fallback;
  if (infinity && value === Number.POSITIVE_INFINITY) return value;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    fail(name, `must be a finite number >= ${min}${max < Number.MAX_SAFE_INTEGER ? ` and <= ${max}` : ''}${infinity ? ' (or Infinity)' : ''}`);
  }
  return value;
}

/** A duration in milliseconds: a number in [min, setTimeout's ceiling]. */
export function duration(name: string, value: unknown, fallback: number, min: number): number {
  return number(name, value, fallback, min, MAX_TIMER_MS);
}

/** A whole number in [min, max], or `fallback` when absent. */
export function integer(name: string, value: unknown, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(name, max < Number.MAX_SAFE_INTEGER ? `must be an integer ${min}..${max}` : `must be an integer >= ${min}`);
  }
  return value;
}

export function boolean(name: string, value: unknown, fallback: boolean, code?: OptionErrorCode): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') fail(name, 'must be true or false', code);
  return value;
}

/** A non-empty string of at most `maxLength` characters. */
export function text(name: string, value: unknown, maxLength = Number.POSITIVE_INFINITY): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    fail(name, Number.isFinite(maxLength) ? `must be a string of 1..${maxLength} characters` : 'must be a non-empty string');
  }
  return value;
}

/** One of a few strings. */
export function oneOf<const T extends string>(name: string, value: unknown, fallback: T, choices: readonly T[]): T {
  if (value === undefined) return fallback;
  if (!choices.includes(value as T)) fail(name, `must be ${choices.map((c) => `'${c}'`).join(' or ')}`);
  return value as T;
}

/** An array of at most `max` entries, each one `ok` accepts; `what` names them in the message (`CIDR blocks`). */
export function list(name: string, value: unknown, what: string, max = Number.POSITIVE_INFINITY, ok: (item: unknown) => boolean = () => true): unknown[] {
  if (!Array.isArray(value) || value.length > max || !value.every(ok)) fail(name, `must be an array of ${Number.isFinite(max) ? `at most ${max} ` : ''}${what}`);
  return value;
}

/** URLs in options are for people to read and for peers to dial: a generous cap still stops garbage. */
const MAX_URL_LENGTH = 2048;

/** A URL of one of `protocols` (`['ws:', 'wss:']`) with a host, as parsed; `kind` names them. */
function url(name: string, value: unknown, protocols: readonly string[], kind: string): URL {
  const expected = `must be ${kind} URL`;
  if (typeof value !== 'string' || value.length > MAX_URL_LENGTH || !/^[a-z][a-z0-9+.-]*:\/\/[^/]/i.test(value)) fail(name, expected);
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    fail(name, `${expected}, got ${shown(value)}`);
  }
  if (!protocols.includes(parsed.protocol)) fail(name, `${expected}, got ${shown(value)}`);
  return parsed;
}

/** A node's URL: ws:// or wss://. */
export function wsUrl(name: string, value: unknown): URL {
  return url(name, value, ['ws:', 'wss:'], 'a ws:// or wss://');
}

/** One http(s) URL or a list of them (`doh`, `discovery`), as normalized hrefs. */
export function httpUrls(name: string, value: unknown): string[] {
  if (value === undefined) return [];
  const many = Array.isArray(value);
  const entries: unknown[] = many ? value : [value];
  if (entries.length === 0) fail(name, 'must name at least one URL');
  return entries.map((entry, i) => url(many ? `${name}[${i}]` : name, entry, ['http:', 'https:'], 'an http:// or https://').href);
}

/** A DNS zone name (`cloud.example.com`, any case, a trailing dot allowed), canonical. */
export function dnsName(name: string, value: unknown): string {
  if (typeof value !== 'string' || !isZoneName(value)) {
    fail(name, `must be a DNS name like 'cloud.example.com' (labels of a-z 0-9 - _), got ${shown(value)}`);
  }
  return canonicalName(value);
}

/** Node ids become `<id>.<zone>` in the cloud's DNS, so with DNS on each must be one label. */
export function nodeLabel(name: string, id: string): void {
  if (!isNodeLabel(id)) fail(name, `'${id}' must be a DNS label (1-63 of a-z 0-9 - _, not starting with _) when cloud is set`);
}

export interface Heartbeat {
  readonly intervalMs: number;
  readonly timeoutMs: number;
}

export const HEARTBEAT_KEYS = optionKeys<Heartbeat>({ intervalMs: true, timeoutMs: true });

/** `{ intervalMs, timeoutMs }`, each defaulted; the timeout must exceed the interval. */
export function heartbeat(name: string, value: unknown, defaults: Heartbeat, minTimeoutMs: number): Heartbeat {
  const given = group(name, value, HEARTBEAT_KEYS) ?? {};
  const intervalMs = duration(`${name}.intervalMs`, given.intervalMs, defaults.intervalMs, 10);
  const timeoutMs = duration(`${name}.timeoutMs`, given.timeoutMs, defaults.timeoutMs, minTimeoutMs);
  // A timeout not above the interval would call a healthy but idle link dead.
  if (timeoutMs <= intervalMs) fail(`${name}.timeoutMs`, `must be greater than ${name}.intervalMs (${intervalMs})`);
  return { intervalMs, timeoutMs };
}

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** A logger with the four methods the `Logger` type documents (console has them). */
export function logger(name: string, value: unknown): Logger | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value) || LEVELS.some((level) => typeof value[level] !== 'function')) fail(name, 'must have debug, info, warn and error methods');
  return value as unknown as Logger;
}

export function signal(name: string, value: unknown): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || !('aborted' in value) || typeof (value as { addEventListener?: unknown }).addEventListener !== 'function') {
    fail(name, 'must be an AbortSignal');
  }
  return value as AbortSignal;
}
