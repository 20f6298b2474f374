/**
 * `Authorization: Bearer <key>` checked against the keys a node was given, for the routes that
 * are for operators and backends rather than clients (`/metrics`, publish). Keys are kept as
 * SHA-256 hashes and compared in constant time: equal-length hashes, so neither the comparison
 * nor its length tells an attacker how close a guess was.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** What a key may be: printable ASCII without spaces (an Authorization header carries it as is). */
export const BEARER_KEY = /^[\x21-\x7e]{16,512}$/;

export function keyHash(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

/** True when the header carries a bearer key whose hash is one of `hashes`. */
export function bearerMatches(header: string | undefined, hashes: readonly Buffer[]): boolean {
  const match = /^Bearer +(\S+) *$/i.exec(header ?? '');
  if (match?.[1] === undefined) return false;
  const given = keyHash(match[1]);
  // Every key is compared, so the time taken does not say which one matched.
  let ok = false;
  for (const hash of hashes) ok = timingSafeEqual(given, hash) || ok;
  return ok;
}
