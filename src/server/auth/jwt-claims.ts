/**
 * What a verified token must say about the hello it came with, and why a token was refused. Pure:
 * jose has already checked the signature, `exp`, `nbf`, `iss` and `aud` by the time these run.
 */
/** Why a token was refused; never the token itself. */
export type JwtRejectReason =
  /** The hello carried no token. */
  | 'missing'
  /** Longer than a hello may carry (4096 chars). */
  | 'too-large'
  /** Not a JWS compact token, or its header/payload is not JSON. */
  | 'malformed'
  /** An algorithm this verifier does not accept for its key (`none`, HS256 against a public key, …). */
  | 'algorithm'
  /** Signed with another key (or a key id the key set does not hold). */
  | 'signature'
  | 'expired'
  | 'not-yet-valid'
  /** `exp` missing, or `iss`/`aud` not the configured ones. */
  | 'claims'
  /** No `session`/`sessions` claim, or none of them admits the hello's session. */
  | 'session'
  /** The client-id claim names another client. */
  | 'client'
  /** `meta` is larger than `MAX_META_BYTES` once serialized. */
  | 'meta'
  /** The key set could not be fetched (JWKS URL unreachable, slow or not a key set). */
  | 'keys';

/** `meta` rides in every hello's token; anything larger is a mistake, not a member's description. */
export const MAX_META_BYTES = 1024;

/**
 * The sessions a token grants: `session` (one string) and/or `sessions` (strings). An entry ending
 * in `*` grants every session starting with what precedes it (`room-*`; `*` alone grants all).
 * A claim of any other shape grants nothing: a backend bug must not widen access.
 */
export function grantsSession(payload: Readonly<Record<string, unknown>>, session: string): boolean {
  const grants: unknown[] = [];
  if (payload.session !== undefined) grants.push(payload.session);
  if (payload.sessions !== undefined) {
    if (!Array.isArray(payload.sessions)) return false;
    grants.push(...(payload.sessions as unknown[]));
  }
  if (grants.length === 0) return false;
  if (grants.some((grant) => typeof grant !== 'string' || grant.length === 0)) return false;
  return (grants as string[]).some((grant) => (grant.endsWith('*') ? session.startsWith(grant.slice(0, -1)) : grant === session));
}

/** The client-id claim, when the token carries one, must name the hello's client (a string, exactly). */
export function matchesClient(payload: Readonly<Record<string, unknown>>, claim: string | false, client: string): boolean {
  if (claim === false || payload[claim] === undefined) return true;
  return payload[claim] === client;
}

/** The `meta` claim, when it is small enough to carry; `{ ok: false }` when it is not. */
export function metaClaim(payload: Readonly<Record<string, unknown>>): { ok: true; meta: unknown } | { ok: false } {
  const meta = payload.meta;
  if (meta === undefined) return { ok: true, meta: undefined };
  return Buffer.byteLength(JSON.stringify(meta), 'utf8') <= MAX_META_BYTES ? { ok: true, meta } : { ok: false };
}

/**
 * jose's error, as the reason we report, by its stable `code` (jose is loaded lazily, so its
 * classes are not at hand here). Anything unexpected is a refusal too, named `malformed`.
 */
export function rejectReason(error: unknown): JwtRejectReason {
  const { code, claim } = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; claim?: unknown };
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return claim === 'nbf' ? 'not-yet-valid' : 'claims';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return 'signature';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return 'algorithm';
    case 'ERR_JWKS_TIMEOUT':
    case 'ERR_JWKS_INVALID':
      return 'keys';
    default:
      // Not jose's: fetch failing under a remote key set (DNS, refused, TLS) surfaces as a TypeError.
      return typeof code !== 'string' && error instanceof TypeError ? 'keys' : 'malformed';
  }
}
