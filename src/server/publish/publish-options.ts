/**
 * The `publish` option: who may publish into sessions over HTTP (`POST /sessions/{id}/messages`).
 *
 *   publish: true                      the key derived from the cloud's secret (`publishKey(secret)`)
 *   publish: { apiKeys: ['…', …] }     these keys (and the derived one, when the node has a secret)
 *
 * Off by default, and never on without a key: the route lets a caller speak in every session of
 * the cloud. The derived key is also how nodes forward a publish to a session's host, so every
 * node of a cloud that publishes needs the same secret and the option on.
 */
import { createHmac } from 'node:crypto';
import { fail, group, optionKeys } from '../../core/validate.js';
import { BEARER_KEY, keyHash } from '../http/bearer.js';

export interface PublishRouteOptions {
  /** Bearer keys a backend may publish with (16..512 printable ASCII characters each). */
  apiKeys?: string[];
}

export interface PublishConfig {
  /** SHA-256 of every accepted key. */
  readonly keyHashes: readonly Buffer[];
  /** The key this node forwards a publish with: the derived key, else the first API key. */
  readonly forwardKey: string;
}

const PUBLISH_KEYS = optionKeys<PublishRouteOptions>({ apiKeys: true });
const MAX_API_KEYS = 32;

/**
 * The publish key of a cloud: HMAC-SHA256 of a fixed label under the cloud's secret, so a backend
 * that holds the secret computes it (`gridlink publish-key`), and a node never stores it.
 */
export function publishKey(secret: string): string {
  return createHmac('sha256', secret).update('gridlink publish key v1').digest('base64url');
}

/** undefined: the route is off. `sharedSecret` is the secret the node was given (not a random one), `acceptedSecrets` its rotation's others. */
export function publishConfig(value: unknown, sharedSecret: string | undefined, acceptedSecrets: readonly string[] = []): PublishConfig | undefined {
  if (value === undefined || value === false) return undefined;
  const derived = sharedSecret === undefined ? undefined : publishKey(sharedSecret);
  // During a rotation the keys derived from the accepted secrets still publish.
  const alsoDerived = acceptedSecrets.map(publishKey);
  let apiKeys: string[] = [];
  if (value !== true) {
    const options = group('publish', value, PUBLISH_KEYS);
    if (options === undefined) return undefined;
    const keys = options.apiKeys;
    if (keys !== undefined) {
      if (!Array.isArray(keys) || keys.length > MAX_API_KEYS) fail('publish.apiKeys', `must be an array of at most ${MAX_API_KEYS} keys`);
      keys.forEach((key, i) => {
        if (typeof key !== 'string' || !BEARER_KEY.test(key)) fail(`publish.apiKeys[${i}]`, 'must be 16..512 printable ASCII characters without spaces');
      });
      apiKeys = keys as string[];
    }
  }
  const forwardKey = derived ?? apiKeys[0];
  if (forwardKey === undefined) fail('publish', 'needs a key: give publish.apiKeys, or a secret (publish: true accepts the key derived from it)');
  return { keyHashes: [...(derived === undefined ? [] : [derived]), ...alsoDerived, ...apiKeys].map(keyHash), forwardKey };
}
