/**
 * Raw platform failures are classified once, here, into gridlink codes; the original stays as
 * `cause`. A browser's WebSocket error event carries no detail at all, undici's carries an `error`,
 * so the message is as specific as the platform allows.
 */
import { ConnectError, LinkError, type GridlinkError } from '../core/errors.js';

function detail(event: unknown): unknown {
  if (typeof event === 'object' && event !== null && 'error' in event) return (event as { error: unknown }).error;
  return event;
}

function describe(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${cause.message}` : cause.message;
  }
  return 'no detail from the platform';
}

/** The WebSocket failed before it opened: the node could not be reached. */
export function classifyDialFailure(url: string, event: unknown): GridlinkError {
  const cause = detail(event);
  return new ConnectError('GRIDLINK_CONNECT_FAILED', `could not connect to ${url} (${describe(cause)})`, { cause, retriable: true });
}

/** An open WebSocket closed without us asking: the link is lost. */
export function classifyClose(url: string, code: number, reason: string): GridlinkError {
  const why = reason === '' ? `code ${code}` : `code ${code}, ${reason.slice(0, 120)}`;
  return new LinkError('GRIDLINK_LINK_LOST', `link to ${url} closed (${why})`, { retriable: true });
}
