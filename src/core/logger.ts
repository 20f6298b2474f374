/**
 * Diagnostics are opt-in: library code never writes to the console. A caller passes a `logger`
 * (console works) and every record goes through `redact` first, so tokens and resume tokens never
 * reach a log line whatever a call site passes in.
 */

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const SECRET_KEYS = /^(token|resume|secret|authorization|cookie|password|getToken)$/i;
/** Deep enough for any record gridlink writes; deeper values are summarized, not walked. */
const MAX_DEPTH = 4;

/**
 * A copy of `fields` with secret-looking keys replaced by '[redacted]', in nested plain objects and
 * arrays too (a call site that logs a frame or an options object must not leak what is inside).
 */
export function redact(fields: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (fields === undefined) return undefined;
  return redactObject(fields, 0);
}

function redactObject(fields: Record<string, unknown>, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) out[key] = SECRET_KEYS.test(key) ? '[redacted]' : redactValue(value, depth + 1);
  return out;
}

function redactValue(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  // Errors, dates, buffers and class instances pass as they are: only data shapes are walked.
  const plain = Array.isArray(value) || Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null;
  if (!plain) return value;
  if (depth >= MAX_DEPTH) return '[object]';
  if (Array.isArray(value)) return value.map((item: unknown) => redactValue(item, depth + 1));
  return redactObject(value as Record<string, unknown>, depth);
}

const noop = (): void => {};
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

/** Wraps a user logger so every call is redacted and a throwing logger cannot break the caller. */
export function safeLogger(logger: Logger | undefined): Logger {
  if (logger === undefined) return silentLogger;
  const wrap =
    (level: keyof Logger) =>
    (message: string, fields?: Record<string, unknown>): void => {
      try {
        logger[level](message, redact(fields));
      } catch {
        // A broken logger must not take the connection down with it.
      }
    };
  return { debug: wrap('debug'), info: wrap('info'), warn: wrap('warn'), error: wrap('error') };
}
