/**
 * `jwtAuthenticator`: what a token must prove before a hello may join, with every key kind. Tokens
 * are signed here with jose; time is the fake `Date`, so "expired" never depends on the wall clock.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SignJWT, exportJWK, exportSPKI, generateKeyPair, type CryptoKey, type JWTPayload } from 'jose';
import { jwtAuthenticator, type JwtAuthOptions, type JwtRejection } from '../../src/server/auth/jwt.js';
import { grantsSession } from '../../src/server/auth/jwt-claims.js';
import type { AuthenticateRequest } from '../../src/server/node/options.js';
import { thrown } from '../helpers/thrown.js';

const NOW = new Date('2030-01-01T00:00:00Z');
const nowSec = NOW.getTime() / 1000;
const SECRET = 'a-shared-hs256-key-of-at-least-32-bytes!';
const secretBytes = new TextEncoder().encode(SECRET);

function hello(token: string | undefined, over: Partial<AuthenticateRequest> = {}): AuthenticateRequest {
  return { token, session: 'room-1', client: 'alice', address: '127.0.0.1', resumed: false, ...over };
}

async function sign(claims: JWTPayload, key: CryptoKey | Uint8Array = secretBytes, header: { alg: string; kid?: string } = { alg: 'HS256' }): Promise<string> {
  return new SignJWT(claims).setProtectedHeader(header).sign(key);
}

const valid = (extra: JWTPayload = {}): JWTPayload => ({ sessions: ['room-1'], sub: 'alice', exp: nowSec + 60, ...extra });

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}


beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('jwtAuthenticator with an HS256 secret', () => {
  const auth = jwtAuthenticator({ secret: SECRET });

  it('admits a valid token and returns its meta', async () => {
    expect(await auth(hello(await sign(valid())))).toBe(true);
    expect(await auth.verify(hello(await sign(valid({ meta: { name: 'Alice', role: 'host' } }))))).toEqual({ ok: true, meta: { name: 'Alice', role: 'host' } });
    // the hook itself gives the node the member's identity: it overrides what the client claims
    expect(await auth(hello(await sign(valid({ meta: { name: 'Alice' } }))))).toEqual({ meta: { name: 'Alice' } });
  });

  it('refuses an expired token, and a token without exp', async () => {
    expect(await auth.verify(hello(await sign(valid({ exp: nowSec - 60 }))))).toEqual({ ok: false, reason: 'expired' });
    const { exp: _exp, ...noExp } = valid();
    expect(await auth.verify(hello(await sign(noExp)))).toEqual({ ok: false, reason: 'claims' });
  });

  it('forgives clock skew up to clockToleranceSec and no further', async () => {
    const late = await sign(valid({ exp: nowSec - 3 }));
    const early = await sign(valid({ nbf: nowSec + 3 }));
    expect(await auth(hello(late))).toBe(true);
    expect(await auth(hello(early))).toBe(true);
    const strict = jwtAuthenticator({ secret: SECRET, clockToleranceSec: 0 });
    expect(await strict.verify(hello(late))).toEqual({ ok: false, reason: 'expired' });
    expect(await strict.verify(hello(early))).toEqual({ ok: false, reason: 'not-yet-valid' });
  });

  it('refuses a token signed with another key', async () => {
    const other = new TextEncoder().encode('another-key-of-at-least-32-bytes-long!!');
    expect(await auth.verify(hello(await sign(valid(), other)))).toEqual({ ok: false, reason: 'signature' });
  });

  it('refuses a session the token does not grant; patterns grant a prefix', async () => {
    expect(await auth.verify(hello(await sign(valid()), { session: 'room-2' }))).toEqual({ ok: false, reason: 'session' });
    expect(await auth(hello(await sign(valid({ sessions: ['room-*'] })), { session: 'room-2' }))).toBe(true);
    expect(await auth(hello(await sign(valid({ sessions: undefined, session: 'room-1' }))))).toBe(true);
    const { sessions: _s, ...none } = valid();
    expect(await auth.verify(hello(await sign(none)))).toEqual({ ok: false, reason: 'session' });
  });

  it('refuses a token whose subject is another client, unless clientClaim is off', async () => {
    const bob = await sign(valid({ sub: 'bob' }));
    expect(await auth.verify(hello(bob))).toEqual({ ok: false, reason: 'client' });
    expect(await jwtAuthenticator({ secret: SECRET, clientClaim: false })(hello(bob))).toBe(true);
    const { sub: _sub, ...anyone } = valid();
    expect(await auth(hello(await sign(anyone)))).toBe(true);
  });

  it('checks iss and aud when configured', async () => {
    const strict = jwtAuthenticator({ secret: SECRET, issuer: 'https://app.example', audience: ['gridlink', 'other'] });
    expect(await strict(hello(await sign(valid({ iss: 'https://app.example', aud: 'gridlink' }))))).toBe(true);
    expect(await strict.verify(hello(await sign(valid({ iss: 'https://app.example', aud: 'someone-else' }))))).toEqual({ ok: false, reason: 'claims' });
    expect(await strict.verify(hello(await sign(valid({ iss: 'https://evil.example', aud: 'gridlink' }))))).toEqual({ ok: false, reason: 'claims' });
    expect(await strict.verify(hello(await sign(valid())))).toEqual({ ok: false, reason: 'claims' });
  });

  it('refuses alg none, garbage, oversize and missing tokens', async () => {
    const unsigned = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(valid())}.`;
    expect(await auth.verify(hello(unsigned))).toEqual({ ok: false, reason: 'algorithm' });
    for (const garbage of ['x', 'a.b.c', '...', '\u0000'.repeat(10), `${b64url(['HS256'])}.${b64url(valid())}.sig`]) {
      expect(await auth.verify(hello(garbage))).toEqual({ ok: false, reason: 'malformed' });
    }
    // A forged payload under a well-formed header fails on the signature, before its JSON is read.
    expect(await auth.verify(hello(`${b64url({ alg: 'HS256' })}.not-json.sig`))).toEqual({ ok: false, reason: 'signature' });
    expect(await auth.verify(hello(`${await sign(valid())}${'A'.repeat(4096)}`))).toEqual({ ok: false, reason: 'too-large' });
    expect(await auth.verify(hello(undefined))).toEqual({ ok: false, reason: 'missing' });
  });

  it('refuses a meta claim over 1 KiB', async () => {
    expect(await auth.verify(hello(await sign(valid({ meta: 'x'.repeat(1100) }))))).toEqual({ ok: false, reason: 'meta' });
  });

  it('tells onReject why, without the token', async () => {
    const seen: JwtRejection[] = [];
    const watched = jwtAuthenticator({ secret: SECRET, onReject: (r) => seen.push(r) });
    const token = await sign(valid({ exp: nowSec - 60 }));
    expect(await watched(hello(token))).toBe(false);
    expect(seen).toEqual([{ reason: 'expired', session: 'room-1', client: 'alice', address: '127.0.0.1' }]);
    expect(JSON.stringify(seen)).not.toContain(token);
  });
});

describe('jwtAuthenticator with public keys', () => {
  for (const alg of ['RS256', 'ES256', 'EdDSA'] as const) {
    it(`${alg}: admits its own tokens, refuses another key's and an HS256 token keyed with the PEM (alg confusion)`, async () => {
      const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
      const pem = await exportSPKI(publicKey);
      const auth = jwtAuthenticator({ publicKey: pem });
      expect(await auth(hello(await sign(valid(), privateKey, { alg })))).toBe(true);
      const stranger = await generateKeyPair(alg);
      expect(await auth.verify(hello(await sign(valid(), stranger.privateKey, { alg })))).toEqual({ ok: false, reason: 'signature' });
      const confused = await sign(valid(), new TextEncoder().encode(pem), { alg: 'HS256' });
      expect(await auth.verify(hello(confused))).toEqual({ ok: false, reason: 'algorithm' });
    });
  }

  it('a JWKS picks the key by kid and refuses HS256 whatever the kid', async () => {
    const a = await generateKeyPair('ES256', { extractable: true });
    const b = await generateKeyPair('RS256', { extractable: true });
    const jwks = { keys: [{ ...(await exportJWK(a.publicKey)), kid: 'a', alg: 'ES256' }, { ...(await exportJWK(b.publicKey)), kid: 'b', alg: 'RS256' }] };
    const auth = jwtAuthenticator({ jwks });
    expect(await auth(hello(await sign(valid(), a.privateKey, { alg: 'ES256', kid: 'a' })))).toBe(true);
    expect(await auth(hello(await sign(valid(), b.privateKey, { alg: 'RS256', kid: 'b' })))).toBe(true);
    expect(await auth.verify(hello(await sign(valid(), b.privateKey, { alg: 'RS256', kid: 'a' })))).toEqual({ ok: false, reason: 'signature' });
    expect(await auth.verify(hello(await sign(valid(), secretBytes, { alg: 'HS256', kid: 'a' })))).toEqual({ ok: false, reason: 'algorithm' });
  });
});

describe('jwtAuthenticator options', () => {
  const bad = (options: unknown): string => thrown(() => jwtAuthenticator(options as JwtAuthOptions)).message;

  it('takes exactly one key source', () => {
    expect(bad({})).toMatch(/exactly one of secret, publicKey, jwksUrl or jwks/);
    expect(bad({ secret: SECRET, jwksUrl: 'https://example.com/jwks.json' })).toMatch(/got secret, jwksUrl/);
  });

  it('refuses a short secret without quoting it', () => {
    const message = bad({ secret: 'short-secret' });
    expect(message).toMatch(/secret must be at least 32 bytes/);
    expect(message).not.toContain('short-secret');
  });

  it('refuses a private key, and a PEM that is no key', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const { exportPKCS8 } = await import('jose');
    expect(bad({ publicKey: await exportPKCS8(privateKey) })).toMatch(/is a private key/);
    expect(bad({ publicKey: '-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----' })).toMatch(/must be a PEM public key/);
  });

  it('wants https for a JWKS URL; http only on loopback and only when allowed', () => {
    expect(bad({ jwksUrl: 'http://keys.example.com/jwks.json' })).toMatch(/jwksUrl must be an https:\/\/ URL/);
    expect(bad({ jwksUrl: 'http://127.0.0.1:8080/jwks.json' })).toMatch(/jwksUrl must be an https:\/\/ URL/);
    expect(bad({ jwksUrl: 'http://10.0.0.1/jwks.json', allowHttpLoopbackJwks: true })).toMatch(/only on loopback/);
    expect(() => jwtAuthenticator({ jwksUrl: 'http://127.0.0.1:8080/jwks.json', allowHttpLoopbackJwks: true })).not.toThrow();
    expect(() => jwtAuthenticator({ jwksUrl: 'https://keys.example.com/jwks.json' })).not.toThrow();
  });

  it('refuses unknown keys and out-of-range tolerances', () => {
    expect(bad({ secret: SECRET, audiance: 'x' })).toMatch(/audiance/);
    expect(bad({ secret: SECRET, clockToleranceSec: 3600 })).toMatch(/clockToleranceSec/);
  });
});

describe('session grants', () => {
  it('a malformed claim grants nothing', () => {
    expect(grantsSession({ sessions: 'room-1' }, 'room-1')).toBe(false);
    expect(grantsSession({ sessions: ['room-1', 7] }, 'room-1')).toBe(false);
    expect(grantsSession({ session: ['room-1'] }, 'room-1')).toBe(false);
    expect(grantsSession({ sessions: [''] }, 'room-1')).toBe(false);
    expect(grantsSession({ sessions: ['*'] }, 'anything')).toBe(true);
    expect(grantsSession({ sessions: ['room*x'] }, 'roomAx')).toBe(false);
  });
});
