/**
 * Raw platform failures are classified once, here, into gridlink codes; the original stays as
 * `cause`, and the message says what a person can act on: refused, reset, timed out, a TLS reason,
 * the HTTP status of an answer that was not an upgrade, a DNS code. A browser's WebSocket error
 * event carries no detail at all (by design: pages may not probe networks), so there it says so.
 */
import { ConnectError, LinkError, type GridlinkError } from '../core/errors.js';

function detail(event: unknown): unknown {
  if (typeof event === 'object' && event !== null && 'error' in event) return (event as { error: unknown }).error;
  return event;
}

const SOCKET_CODES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused: nothing listens on that port',
  ECONNRESET: 'connection reset by the other end (a TLS port dialled with ws://?)',
  ETIMEDOUT: 'TCP connect timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EADDRNOTAVAIL: 'address not available',
  ENOTFOUND: 'DNS: no such name (ENOTFOUND)',
  EAI_AGAIN: 'DNS: temporary failure (EAI_AGAIN)',
  EPIPE: 'connection closed while sending',
};

/** TLS failures show as OpenSSL's codes (ERR_SSL_*), Node's (ERR_TLS_*) or a certificate verdict. */
const CERTIFICATE = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ALTNAME/;

function codeOf(cause: unknown): string | undefined {
  const code = (cause as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** What went wrong, in words; `undefined` when the platform said nothing at all. */
export function describeNetworkError(cause: unknown): string | undefined {
  if (!(cause instanceof Error)) return undefined;
  const code = codeOf(cause);
  if (code !== undefined && SOCKET_CODES[code] !== undefined) return SOCKET_CODES[code];
  if (code !== undefined && (code.startsWith('ERR_SSL_') || code === 'EPROTO')) {
    // OpenSSL's text is `…:SSL routines:<function>:<reason>:<source file>…`; the reason is what reads.
    const reason = /SSL routines:[^:]*:([^:]+)/.exec(cause.message)?.[1] ?? cause.message.slice(0, 160);
    const hint = /wrong version/i.test(reason) ? ' (a plain ws:// port dialled with wss://?)' : '';
    return `TLS handshake failed: ${reason}${hint}`;
  }
  if (code !== undefined && (code.startsWith('ERR_TLS_') || CERTIFICATE.test(code))) return `TLS certificate rejected: ${code} (${cause.message.slice(0, 160)})`;
  if (typeof (cause as { statusCode?: unknown }).statusCode === 'number') return `${cause.message} (not a gridlink node, or a proxy in front refused)`;
  if (cause.message === '') return undefined;
  return code === undefined ? cause.message.slice(0, 200) : `${code}: ${cause.message.slice(0, 200)}`;
}

/** The WebSocket failed before it opened: the node could not be reached. */
export function classifyDialFailure(url: string, event: unknown): GridlinkError {
  const cause = detail(event);
  if (cause instanceof Error && /^Server sent (no|an invalid) subprotocol/.test(cause.message)) {
    return new ConnectError('GRIDLINK_PROTOCOL', `${url} is a WebSocket server but not a gridlink node (${cause.message})`, { cause, retriable: true });
  }
  const why = describeNetworkError(cause) ?? 'the platform gives no reason: refused, TLS or not a WebSocket server (browsers never tell)';
  return new ConnectError('GRIDLINK_CONNECT_FAILED', `could not connect to ${url}: ${why}`, { cause, retriable: true });
}

/** An open WebSocket closed without us asking: the link is lost. */
export function classifyClose(url: string, code: number, reason: string): GridlinkError {
  const why = reason === '' ? `code ${code}` : `code ${code}, ${reason.slice(0, 120)}`;
  return new LinkError('GRIDLINK_LINK_LOST', `link to ${url} closed (${why})`, { retriable: true });
}
