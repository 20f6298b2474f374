/**
 * Peer authentication: both ends of a peer link prove they hold the cloud's secret, each with a
 * MAC over a fresh nonce from either side — no clocks, and nothing an eavesdropper could replay:
 *
 *   dialler  -> peer-hello   { id, v, nonce: n1 }
 *   acceptor -> peer-welcome { id, nonce: n2, mac: HMAC(secret, "welcome", acceptor, dialler, n1, n2) }
 *   dialler  -> peer-auth    { mac: HMAC(secret, "auth", dialler, acceptor, n1, n2) }
 *
 * The dialler believes nothing from the link before a valid welcome, the acceptor nothing before a
 * valid auth. Only nodes given a `secret` do this: without one, each node's secret is random, so
 * peer links cannot be authenticated, and are not (docs/guarantees.md).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface PeerAuth {
  /** Whether this node insists on authenticated peer links (it was given a secret). */
  readonly required: boolean;
  nonce(): string;
  /** The acceptor's MAC, or undefined when not required. */
  welcomeMac(acceptor: string, dialler: string, dialNonce: string, acceptNonce: string): string | undefined;
  /** The dialler's MAC, or undefined when not required. */
  authMac(dialler: string, acceptor: string, dialNonce: string, acceptNonce: string): string | undefined;
  /** True when nothing is required, or `given` equals `expected` (in constant time). */
  check(given: string | undefined, expected: string | undefined): boolean;
}

export function createPeerAuth(secret: string | undefined): PeerAuth {
  const mac = (...fields: string[]): string | undefined =>
    // NUL separates fields whose lengths are not otherwise fixed, so no two field lists collide.
    secret === undefined ? undefined : createHmac('sha256', secret).update(`gridlink-peer\u0000${fields.join('\u0000')}`).digest('base64url');
  return {
    required: secret !== undefined,
    nonce: () => randomBytes(16).toString('base64url'),
    welcomeMac: (acceptor, dialler, dialNonce, acceptNonce) => mac('welcome', acceptor, dialler, dialNonce, acceptNonce),
    authMac: (dialler, acceptor, dialNonce, acceptNonce) => mac('auth', dialler, acceptor, dialNonce, acceptNonce),
    check(given, expected) {
      if (expected === undefined) return true;
      if (given === undefined) return false;
      const [a, b] = [Buffer.from(given), Buffer.from(expected)];
      return a.length === b.length && timingSafeEqual(a, b);
    },
  };
}
