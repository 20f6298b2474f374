/**
 * Resume tokens: proof that a hello comes from the client that was welcomed under this id, on any
 * node of the cloud (they share `secret`). The token binds session + client + expiry with
 * HMAC-SHA256. Session and client are not carried inside the token — the hello carries them and the
 * MAC covers them — so a token stays short whatever the ids are (the codec caps it at 1024 chars).
 *
 * Tokens are credentials: never log them, never put them in an error message.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const VERSION = 'g1';

export interface TokenSigner {
  issue(session: string, client: string): string;
  /** True when `token` was issued by this cloud for exactly this session and client and is unexpired. */
  verify(token: string | undefined, session: string, client: string): boolean;
}

export function createTokenSigner(secret: string, ttlMs: number, now: () => number = Date.now): TokenSigner {
  const mac = (session: string, client: string, expiry: string): Buffer =>
    // NUL cannot appear ambiguously: it separates fields whose lengths are not otherwise fixed.
    createHmac('sha256', secret).update(`${VERSION}\u0000${session}\u0000${client}\u0000${expiry}`).digest();

  return {
    issue(session, client) {
      const expiry = (now() + ttlMs).toString(36);
      return `${VERSION}.${expiry}.${mac(session, client, expiry).toString('base64url')}`;
    },
    verify(token, session, client) {
      if (typeof token !== 'string' || token.length > 256) return false;
      const parts = token.split('.');
      if (parts.length !== 3 || parts[0] !== VERSION) return false;
      const [, expiry = '', signature = ''] = parts;
      if (!/^[0-9a-z]{1,12}$/.test(expiry)) return false;
      const given = Buffer.from(signature, 'base64url');
      const want = mac(session, client, expiry);
      if (given.length !== want.length || !timingSafeEqual(given, want)) return false;
      return Number.parseInt(expiry, 36) > now();
    },
  };
}
