/**
 * One error hierarchy for the whole package. Every error gridlink raises or emits is a
 * `GridlinkError` with a stable string `code`; families (subclasses) group codes by the layer that
 * raises them so callers can branch with `instanceof` or on `code`, whichever they prefer.
 *
 * `instanceof` must work across the ESM and CJS copies of the package (a process can load both),
 * so the check is a `Symbol.for` brand rather than prototype identity.
 */

const BRAND = Symbol.for('gridlink.error');

export type ErrorCode =
  // caller mistakes
  | 'GRIDLINK_INVALID_OPTION'
  | 'GRIDLINK_INVALID_ARGUMENT'
  // finding and reaching a node
  | 'GRIDLINK_NO_NODES'
  | 'GRIDLINK_CONNECT_FAILED'
  | 'GRIDLINK_TIMEOUT'
  | 'GRIDLINK_REDIRECT_LIMIT'
  | 'GRIDLINK_FOREIGN_NODE'
  | 'GRIDLINK_UNAUTHORIZED'
  | 'GRIDLINK_BUSY'
  // an established link
  | 'GRIDLINK_LINK_LOST'
  | 'GRIDLINK_HEARTBEAT_TIMEOUT'
  | 'GRIDLINK_PROTOCOL'
  | 'GRIDLINK_FRAME_TOO_LARGE'
  // the session
  | 'GRIDLINK_REJECTED'
  | 'GRIDLINK_BUFFER_FULL'
  | 'GRIDLINK_MESSAGE_TOO_LARGE'
  | 'GRIDLINK_MESSAGE_GAP'
  | 'GRIDLINK_META_TOO_LARGE'
  | 'GRIDLINK_SHARED_TOO_LARGE'
  | 'GRIDLINK_UNSUPPORTED'
  // one member to another (`to`, requests)
  | 'GRIDLINK_NO_SUCH_MEMBER'
  | 'GRIDLINK_MEMBER_LEFT'
  | 'GRIDLINK_REQUEST_TIMEOUT'
  | 'GRIDLINK_NO_HANDLER'
  | 'GRIDLINK_REQUEST_FAILED'
  // the server kit
  | 'GRIDLINK_LISTEN_FAILED'
  | 'GRIDLINK_PUBLISH_FAILED'
  // lifecycle
  | 'GRIDLINK_CLOSED'
  | 'GRIDLINK_ABORTED';

export interface GridlinkErrorOptions {
  cause?: unknown;
  /** Whether trying again (another node, another round) may succeed. */
  retriable?: boolean;
}

export class GridlinkError extends Error {
  // Each class names itself in a string literal: `new.target.name` is minified in browser bundles.
  override name: string = 'GridlinkError';
  readonly code: ErrorCode;
  readonly retriable: boolean;

  constructor(code: ErrorCode, message: string, options: GridlinkErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retriable = options.retriable ?? false;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    // Subclasses keep ordinary prototype checks; the base class also accepts a branded error from
    // the other module copy (ESM vs CJS).
    if (this === GridlinkError) return isGridlinkError(value);
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }
}

// The brand lives on the prototype: every instance has it without a per-instance property.
Object.defineProperty(GridlinkError.prototype, BRAND, { value: true });

/** The caller passed an option or argument that cannot work. Thrown synchronously. */
export class OptionsError extends GridlinkError {
  override name = 'OptionsError';
}

/** No node could be reached or joined (resolution, dialling, handshake, redirects). */
export class ConnectError extends GridlinkError {
  override name = 'ConnectError';
}

/** An established link failed: lost, silent, or the peer broke the protocol. */
export class LinkError extends GridlinkError {
  override name = 'LinkError';
}

/** The session refused something: a full buffer, a rejected join, a hole in the stream. */
export class SessionError extends GridlinkError {
  override name = 'SessionError';
}

/** The client was closed or aborted; anything still waiting rejects with this. */
export class ClosedError extends GridlinkError {
  override name = 'ClosedError';
}

export function isGridlinkError(value: unknown): value is GridlinkError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

export function hasCode(value: unknown, code: ErrorCode): value is GridlinkError {
  return isGridlinkError(value) && value.code === code;
}

/** Wraps anything thrown into a GridlinkError of the given code, keeping the original as `cause`. */
export function toGridlinkError(value: unknown, code: ErrorCode, message: string): GridlinkError {
  if (isGridlinkError(value)) return value;
  return new GridlinkError(code, message, { cause: value });
}
