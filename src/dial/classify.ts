/**
 * Raw platform failures are classified once, here, into gridlink codes; the original stays as
 * `cause`, and the message says what a person can act on: refused, reset, timed out, a TLS reason,
 * the HTTP status of an answer that was not an upgrade, a DNS code (the platform reads its own
 * codes: `Platform.describeError`). A browser's WebSocket error event carries no detail at all (by
 * design: pages may not probe networks), so there it says so.
 */
import { ConnectError, LinkError, type GridlinkError } from '../core/errors.js';

function detail(event: unknown): unknown {
  if (typeof event === 'object' && event !== null && 'error' in event) return (event as { error: unknown }).error;
  return event;
}

/**
 * What went wrong, in words, from a raw failure; `undefined` when the platform said nothing at all
 * (a browser's error event). `describe` is the platform's own reading of its errors (Node's socket,
 * TLS and DNS codes: platform/node/network-errors.ts), tried first.
 */
export function describeNetworkError(cause: unknown, describe?: (cause: unknown) => string | undefined): string | undefined {
  if (!(cause instanceof Error)) return undefined;
  const known = describe?.(cause);
  if (known !== undefined) return known;
  if (cause.message === '') return undefined;
  const code = (cause as { code?: unknown }).code;
  return typeof code === 'string' ? `${code}: ${cause.message.slice(0, 200)}` : cause.message.slice(0, 200);
}

/** The WebSocket failed before it opened: the node could not be reached. */
export function classifyDialFailure(url: string, event: unknown, describe?: (cause: unknown) => string | undefined): GridlinkError {
  const cause = detail(event);
  if (cause instanceof Error && /^Server sent (no|an invalid) subprotocol/.test(cause.message)) {
    return new ConnectError('GRIDLINK_PROTOCOL', `${url} is a WebSocket server but not a gridlink node (${cause.message})`, { cause, retriable: true });
  }
  const why = describeNetworkError(cause, describe) ?? 'the platform gives no reason: refused, TLS or not a WebSocket server (browsers never tell)';
  return new ConnectError('GRIDLINK_CONNECT_FAILED', `could not connect to ${url}: ${why}`, { cause, retriable: true });
}

/** An open WebSocket closed without us asking: the link is lost. */
export function classifyClose(url: string, code: number, reason: string): GridlinkError {
  const why = reason === '' ? `code ${code}` : `code ${code}, ${reason.slice(0, 120)}`;
  return new LinkError('GRIDLINK_LINK_LOST', `link to ${url} closed (${why})`, { retriable: true });
}
