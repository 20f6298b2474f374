/**
 * Node's network failures, read once at the boundary: the socket codes (ECONNREFUSED, …), OpenSSL's
 * and Node's TLS codes, and undici's answer that was not an upgrade, each in words a person can act
 * on. The platform's `describeError`; browsers have nothing like it (their error events are blank).
 */
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

/** Node's socket, TLS, DNS and HTTP-upgrade failures in words; `undefined` for anything else. */
export function describeNodeError(cause: unknown): string | undefined {
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
  return undefined;
}
