/**
 * JWT authentication for a node, without writing a hook: the app's backend signs a token per client
 * (which sessions it may join, until when, who it is), the client passes it as `token`/`getToken`,
 * and `jwtAuthenticator(...)` is the node's `authenticate` hook. Verification is jose's; this file
 * decides which keys and algorithms are acceptable and what the claims must say.
 *
 * The algorithm list follows from the key, never from the token: a token's `alg` cannot turn a
 * public key into an HMAC secret (alg confusion) or ask for no signature at all (`none`).
 *
 * jose is loaded on first use, not with the module: it ships only as ESM, so a CommonJS
 * `require('gridlink/server')` on Node 20.18 (no require() of ESM before 20.19) would otherwise
 * fail for every user, JWT or not; and bundling it into the CJS build breaks (tsup's CJS
 * splitting mangles its class fields). The CJS build would turn a plain `import()` into a
 * `require()` (which loads ESM only from Node 20.19), so the import is made where no bundler
 * rewrites it: `import()` of an ES module works from CommonJS on every Node 20.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { JSONWebKeySet, JWTVerifyGetKey } from 'jose';
import { MAX_TOKEN_LENGTH } from '../../protocol/codec.js';
import { boolean, fail, failOptions, integer, isRecord, list, optionKeys, optionsObject, shown, text } from '../../core/validate.js';
import type { AuthenticateRequest, AuthenticateResult } from '../node/options.js';
import type { JsonValue } from '../../protocol/frames.js';
import { grantsSession, matchesClient, metaClaim, rejectReason, type JwtRejectReason } from './jwt-claims.js';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

export { MAX_META_BYTES, type JwtRejectReason } from './jwt-claims.js';

export interface JwtAuthOptions {
  /** HS256: the key the backend signs with, at least 32 bytes (a string is taken as UTF-8). */
  secret?: string | Uint8Array;
  /**
   * A PEM public key (`-----BEGIN PUBLIC KEY-----`): RSA (RS256), EC P-256 (ES256), EC P-384
   * (ES384) or Ed25519 (EdDSA); the key's type decides the one algorithm accepted.
   */
  publicKey?: string;
  /**
   * A JWKS URL (https): fetched on first use, cached for 10 minutes, fetched again (at most every
   * 30 s) when a token names a key id it does not hold. Accepts RS256, PS256, ES256, ES384, EdDSA.
   */
  jwksUrl?: string;
  /** A JSON Web Key Set held in memory, for keys that are not fetched (same algorithms as `jwksUrl`). */
  jwks?: JSONWebKeySet;
  /** Allow an http:// `jwksUrl` on a loopback address (127.0.0.1, ::1, localhost); for tests. Default false. */
  allowHttpLoopbackJwks?: boolean;
  /** Required `iss`: the token's must be this (or one of these). Default: not checked. */
  issuer?: string | string[];
  /** Required `aud`: the token's must include this (or one of these). Default: not checked. */
  audience?: string | string[];
  /** Clock skew forgiven on `exp` and `nbf`, in seconds; default 5, at most 300. */
  clockToleranceSec?: number;
  /**
   * The claim that, when the token carries it, must equal the hello's client id; default `'sub'`.
   * `false` when the backend's `sub` means something else (a user with several clients).
   */
  clientClaim?: string | false;
  /** Told why a token was refused (for logs and metrics): never the token. Must not throw. */
  onReject?: (rejection: JwtRejection) => void;
}

/** One refused hello, as `onReject` hears of it. */
export interface JwtRejection {
  readonly reason: JwtRejectReason;
  readonly session: string;
  readonly client: string;
  readonly address: string;
}

/** A token's verdict for one hello; `meta` is the token's `meta` claim (any JSON, at most 1 KiB). */
export type JwtVerdict = { readonly ok: true; readonly meta: unknown } | { readonly ok: false; readonly reason: JwtRejectReason };

/** The node's `authenticate` hook, and the verdict behind its boolean for a custom hook to build on. */
export interface JwtAuthenticator {
  /** False, or the member's identity (`{ meta }`, the token's `meta` claim) when the token has one, else true. */
  (request: AuthenticateRequest): Promise<AuthenticateResult>;
  verify(request: Pick<AuthenticateRequest, 'token' | 'session' | 'client'>): Promise<JwtVerdict>;
}

const JWT_KEYS = optionKeys<JwtAuthOptions>({
  secret: true, publicKey: true, jwksUrl: true, jwks: true, allowHttpLoopbackJwks: true, issuer: true, audience: true,
  clockToleranceSec: true, clientClaim: true, onReject: true,
});

/** RFC 7518 §3.2: an HS256 key at least as long as the hash. */
const MIN_SECRET_BYTES = 32;
const KEY_SET_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA', 'Ed25519'];
// Under the node's auth bound (half its 5 s handshake timeout): a slow key server answers `busy`
// there rather than hanging, and a hung fetch is abandoned before the next hello waits on it.
const JWKS_TIMEOUT_MS = 2000;
const JWKS_CACHE_MS = 600_000;
const JWKS_COOLDOWN_MS = 30_000;
const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

type Jose = typeof import('jose');
let joseModule: Promise<Jose> | undefined;
// A real dynamic import in both builds (see the file header), of jose as this package resolves it
// (a bare specifier there would resolve from the working directory). Where code runs in a sandbox
// without a dynamic-import hook (a test runner's vm), that fails at once and the bundler's form is used.
const importEsm = new Function('url', 'return import(url)') as (url: string) => Promise<unknown>;
const joseUrl = (): string => pathToFileURL(createRequire(import.meta.url).resolve('jose')).href;
const loadJose = (): Promise<Jose> => (joseModule ??= Promise.resolve().then(() => importEsm(joseUrl()) as Promise<Jose>).catch(() => import('jose')));

/** A key set is built with jose, so on first use; a secret or PEM key is ready at once. */
type KeySource = Uint8Array | KeyObject | ((jose: Jose) => JWTVerifyGetKey);

interface Verifier {
  readonly key: KeySource;
  readonly algorithms: string[];
}

export function jwtAuthenticator(options: JwtAuthOptions): JwtAuthenticator {
  const o = optionsObject(options, JWT_KEYS);
  const verifier = keyFrom(o);
  const issuer = stringOrList('issuer', o.issuer);
  const audience = stringOrList('audience', o.audience);
  const clockTolerance = integer('clockToleranceSec', o.clockToleranceSec, 5, 0, 300);
  const clientClaim = o.clientClaim === false ? false : o.clientClaim === undefined ? 'sub' : text('clientClaim', o.clientClaim, 64);
  if (o.onReject !== undefined && typeof o.onReject !== 'function') fail('onReject', 'must be a function');
  const onReject = o.onReject as JwtAuthOptions['onReject'];
  const verifyOptions = {
    algorithms: verifier.algorithms,
    requiredClaims: ['exp'],
    clockTolerance,
    ...(issuer === undefined ? {} : { issuer }),
    ...(audience === undefined ? {} : { audience }),
  };

  let key: Uint8Array | KeyObject | JWTVerifyGetKey | undefined = typeof verifier.key === 'function' ? undefined : verifier.key;

  const verify = async (request: Pick<AuthenticateRequest, 'token' | 'session' | 'client'>): Promise<JwtVerdict> => {
    const { token } = request;
    if (token === undefined || token === '') return { ok: false, reason: 'missing' };
    if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'too-large' };
    // Outside the try: jose missing is the node's fault, not the token's (the hook throws, the
    // node logs it and refuses).
    const jose = await loadJose();
    // One key set per authenticator, so its cache is shared by every hello.
    if (key === undefined && typeof verifier.key === 'function') key = verifier.key(jose);
    let payload: Record<string, unknown>;
    try {
      // One overload per key kind in jose's types; the union needs the widest one.
      ({ payload } = await jose.jwtVerify(token, key as JWTVerifyGetKey, verifyOptions));
    } catch (error) {
      return { ok: false, reason: rejectReason(error) };
    }
    if (!grantsSession(payload, request.session)) return { ok: false, reason: 'session' };
    if (!matchesClient(payload, clientClaim, request.client)) return { ok: false, reason: 'client' };
    const meta = metaClaim(payload);
    return meta.ok ? { ok: true, meta: meta.meta } : { ok: false, reason: 'meta' };
  };

  const authenticate = async (request: AuthenticateRequest): Promise<AuthenticateResult> => {
    const verdict = await verify(request);
    if (!verdict.ok) onReject?.({ reason: verdict.reason, session: request.session, client: request.client, address: request.address });
    // The token's meta claim is who the member is: it overrides whatever the client claims.
    return verdict.ok && verdict.meta !== undefined ? { meta: verdict.meta as JsonValue } : verdict.ok;
  };
  return Object.assign(authenticate, { verify });
}

/** Exactly one key source, and the algorithms it admits. */
function keyFrom(o: Record<string, unknown>): Verifier {
  const given = (['secret', 'publicKey', 'jwksUrl', 'jwks'] as const).filter((key) => o[key] !== undefined);
  if (given.length !== 1) failOptions(`give exactly one of secret, publicKey, jwksUrl or jwks${given.length > 1 ? ` (got ${given.join(', ')})` : ''}`);
  const allowHttp = boolean('allowHttpLoopbackJwks', o.allowHttpLoopbackJwks, false);
  if (allowHttp && o.jwksUrl === undefined) fail('allowHttpLoopbackJwks', 'applies to jwksUrl only');
  if (o.secret !== undefined) return { key: secretKey(o.secret), algorithms: ['HS256'] };
  if (o.publicKey !== undefined) return pemKey(o.publicKey);
  if (o.jwksUrl !== undefined) {
    const url = jwksUrl(o.jwksUrl, allowHttp);
    const options = { timeoutDuration: JWKS_TIMEOUT_MS, cacheMaxAge: JWKS_CACHE_MS, cooldownDuration: JWKS_COOLDOWN_MS };
    return { key: (jose) => jose.createRemoteJWKSet(url, options), algorithms: KEY_SET_ALGORITHMS };
  }
  if (!isRecord(o.jwks)) fail('jwks', 'must be a JSON Web Key Set ({ keys: [...] })');
  list('jwks.keys', o.jwks.keys, 'JWKs').forEach((jwk, i) => {
    if (!isRecord(jwk) || typeof jwk.kty !== 'string') fail(`jwks.keys[${i}]`, 'must be a JWK (an object with kty)');
  });
  // A copy: the caller's object may change later, the keys this node trusts must not.
  const jwks = structuredClone(o.jwks) as unknown as JSONWebKeySet;
  return { key: (jose) => jose.createLocalJWKSet(jwks), algorithms: KEY_SET_ALGORITHMS };
}

function secretKey(value: unknown): Uint8Array {
  const key = typeof value === 'string' ? new TextEncoder().encode(value) : value instanceof Uint8Array ? value : undefined;
  // Never quote the value: it is the secret.
  if (key === undefined) return fail('secret', 'must be a string or a Uint8Array');
  if (key.byteLength < MIN_SECRET_BYTES) fail('secret', `must be at least ${MIN_SECRET_BYTES} bytes for HS256 (got ${key.byteLength})`);
  return key;
}

function pemKey(value: unknown): Verifier {
  const pem = text('publicKey', value, 16_384);
  // createPublicKey would derive the public half of a private key without a word: refuse it, so a
  // private key does not end up on every node by accident.
  if (pem.includes('PRIVATE KEY')) fail('publicKey', 'is a private key; give the public key (-----BEGIN PUBLIC KEY-----)');
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    return fail('publicKey', 'must be a PEM public key (-----BEGIN PUBLIC KEY-----)');
  }
  const type = key.asymmetricKeyType;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const alg =
    type === 'rsa' ? 'RS256'
    : type === 'ec' && curve === 'prime256v1' ? 'ES256'
    : type === 'ec' && curve === 'secp384r1' ? 'ES384'
    : type === 'ed25519' ? 'EdDSA'
    : undefined;
  if (alg === undefined) fail('publicKey', `must be an RSA, EC P-256, EC P-384 or Ed25519 key (got ${type ?? 'unknown'}${curve === undefined ? '' : ` ${curve}`})`);
  return { key, algorithms: [alg] };
}

function jwksUrl(value: unknown, allowHttp: boolean): URL {
  let url: URL;
  try {
    url = new URL(text('jwksUrl', value, 2048));
  } catch {
    return fail('jwksUrl', `must be an https:// URL, got ${shown(value)}`);
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && allowHttp && LOOPBACK.has(url.hostname)) return url;
  return fail('jwksUrl', `must be an https:// URL${allowHttp ? ' (http:// only on loopback)' : ''}, got ${shown(value)}`);
}

function stringOrList(name: string, value: unknown): string | string[] | undefined {
  if (value === undefined || typeof value === 'string') return value === undefined ? undefined : text(name, value, 1024);
  return list(name, value, 'strings', 32).map((item, i) => text(`${name}[${i}]`, item, 1024));
}
