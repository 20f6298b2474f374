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
 *
 * A node proves itself with its `secret` and accepts a proof under its `secret` or any of its
 * `acceptedSecrets`: during a rotation (docs/operations.md) nodes signing with the old and the new
 * secret still link, since each accepts the other's.
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
  /** True when nothing is required, or `given` is the acceptor's MAC under a secret this node accepts. */
  checkWelcome(given: string | undefined, acceptor: string, dialler: string, dialNonce: string, acceptNonce: string): boolean;
  /** True when nothing is required, or `given` is the dialler's MAC under a secret this node accepts. */
  checkAuth(given: string | undefined, dialler: string, acceptor: string, dialNonce: string, acceptNonce: string): boolean;
}

export function createPeerAuth(secret: string | undefined, acceptedSecrets: readonly string[] = []): PeerAuth {
  const macWith = (key: string, fields: string[]): Buffer =>
    // NUL separates fields whose lengths are not otherwise fixed, so no two field lists collide.
    createHmac('sha256', key).update(`gridlink-peer\u0000${fields.join('\u0000')}`).digest();
  const mac = (...fields: string[]): string | undefined => (secret === undefined ? undefined : macWith(secret, fields).toString('base64url'));
  const keys = secret === undefined ? [] : [secret, ...acceptedSecrets];
  const check = (given: string | undefined, fields: string[]): boolean => {
    if (secret === undefined) return true;
    if (given === undefined) return false;
    // Compared as text, so only the canonical encoding counts; every key is tried, so the time
    // taken does not say which one matched.
    const proof = Buffer.from(given);
    let ok = false;
    for (const key of keys) {
      const want = Buffer.from(macWith(key, fields).toString('base64url'));
      ok = (proof.length === want.length && timingSafeEqual(proof, want)) || ok;
    }
    return ok;
  };
  return {
    required: secret !== undefined,
    nonce: () => randomBytes(16).toString('base64url'),
    welcomeMac: (acceptor, dialler, dialNonce, acceptNonce) => mac('welcome', acceptor, dialler, dialNonce, acceptNonce),
    authMac: (dialler, acceptor, dialNonce, acceptNonce) => mac('auth', dialler, acceptor, dialNonce, acceptNonce),
    checkWelcome: (given, acceptor, dialler, dialNonce, acceptNonce) => check(given, ['welcome', acceptor, dialler, dialNonce, acceptNonce]),
    checkAuth: (given, dialler, acceptor, dialNonce, acceptNonce) => check(given, ['auth', dialler, acceptor, dialNonce, acceptNonce]),
  };
}
