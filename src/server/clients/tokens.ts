/**
 * Resume tokens: proof that a hello comes from the client that was welcomed under this id, on any
 * node of the cloud (they share `secret`). The token binds session + client + expiry with
 * HMAC-SHA256. Session and client are not carried inside the token — the hello carries them and the
 * MAC covers them — so a token stays short whatever the ids are (the codec caps it at 1024 chars).
 *
 * The expiry doubles as the token's generation: one signer never issues the same expiry twice and
 * never a lower one, so of two tokens for one member the newer has the higher stamp (`tokenStamp`).
 * The session host uses that to let only the newest holder of a member resume it (one token, one
 * holder). Across nodes the stamps compare as well as the nodes' clocks agree.
 *
 * Tokens are signed with `secret`; `acceptedSecrets` verify too (never sign), so during a rotation
 * (docs/operations.md) a token from a node on either secret resumes on every node.
 *
 * Tokens are credentials: never log them, never put them in an error message.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const VERSION = 'g1';
const STAMP = /^[0-9a-z]{1,12}$/;
/** With the `u` flag a pair is one code point, so this matches lone surrogates only. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

export interface TokenSigner {
  issue(session: string, client: string): string;
  /** True when `token` was issued by this cloud for exactly this session and client and is unexpired. */
  verify(token: string | undefined, session: string, client: string): boolean;
}

export function createTokenSigner(secret: string, ttlMs: number, now: () => number = Date.now, acceptedSecrets: readonly string[] = []): TokenSigner {
  const macWith = (key: string, session: string, client: string, expiry: string): Buffer =>
    // NUL cannot appear ambiguously: it separates fields whose lengths are not otherwise fixed.
    createHmac('sha256', key).update(`${VERSION}\u0000${session}\u0000${client}\u0000${expiry}`).digest();
  const mac = (session: string, client: string, expiry: string): Buffer => macWith(secret, session, client, expiry);
  const keys = [secret, ...acceptedSecrets];
  let last = 0;
  let recent = { token: '', session: '', client: '', signed: false };

  /** Whether this cloud signed `token` for exactly this session and client (expiry not checked). */
  const signedHere = (token: string, session: string, client: string): boolean => {
    // UTF-8 encoding turns every lone surrogate into U+FFFD: ids differing only there would share
    // a MAC. Such ids are refused by the codec; refusing them here too keeps tokens safe alone.
    if (LONE_SURROGATE.test(session) || LONE_SURROGATE.test(client)) return false;
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== VERSION) return false;
    const [, expiry = '', signature = ''] = parts;
    if (!STAMP.test(expiry)) return false;
    const given = Buffer.from(signature);
    let ok = false;
    for (const key of keys) {
      // Compared as canonical text, and under every key, so the time taken tells nothing.
      const want = Buffer.from(macWith(key, session, client, expiry).toString('base64url'));
      ok = (given.length === want.length && timingSafeEqual(given, want)) || ok;
    }
    return ok;
  };

  return {
    issue(session, client) {
      // Strictly rising, so two welcomes in one millisecond still tell their tokens apart.
      last = Math.max(now() + ttlMs, last + 1);
      const expiry = last.toString(36);
      return `${VERSION}.${expiry}.${mac(session, client, expiry).toString('base64url')}`;
    },
    verify(token, session, client) {
      if (typeof token !== 'string' || token.length > 256) return false;
      // One hello asks up to three times (its join bucket, taking over its member, vouching for
      // the members it announces): the MACs of the last question are remembered, the expiry is not.
      if (token !== recent.token || session !== recent.session || client !== recent.client) {
        recent = { token, session, client, signed: signedHere(token, session, client) };
      }
      return recent.signed && Number.parseInt(token.split('.')[1] ?? '', 36) > now();
    },
  };
}

/**
 * A token's generation (its expiry), read without verifying it: only meaningful for a token that
 * `verify` accepted. Undefined for anything not shaped like a token.
 */
export function tokenStamp(token: string | undefined): number | undefined {
  if (typeof token !== 'string' || token.length > 256) return undefined;
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== VERSION || !STAMP.test(parts[1] ?? '')) return undefined;
  return Number.parseInt(parts[1] ?? '', 36);
}
