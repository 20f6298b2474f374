/**
 * `gridlink node --publish [--publish-keys-env NAME]`, and the secrets a rotation adds: what the
 * flags and the environment say about who may publish and which secrets verify. Keys and secrets
 * come from the environment only, never from argv (public to `ps`) or the config file.
 */
import { stringValue, UsageError, type Options, type Values } from './args.js';

export const PUBLISH_OPTIONS = {
  publish: { type: 'boolean' },
  'publish-keys-env': { type: 'string' },
} as const satisfies Options;

export const PUBLISH_USAGE = `  --publish                  take POST /sessions/{id}/messages with the key derived from GRIDLINK_SECRET
                             (print it with 'gridlink publish-key')
  --publish-keys-env <NAME>  also accept the API keys in variable NAME (whitespace-separated; implies --publish)`;

/** `--publish` as the flags give it: the keys' variable, never the keys. */
export interface PublishFlags {
  keysEnv?: string;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export function parsePublishFlags(values: Values): { publish?: PublishFlags } {
  const keysEnv = stringValue(values, 'publish-keys-env');
  if (keysEnv === undefined) return values.publish === true ? { publish: {} } : {};
  if (!ENV_NAME.test(keysEnv)) throw new UsageError('--publish-keys-env takes the NAME of an environment variable holding the keys (letters, digits, _), not a key');
  return { publish: { keysEnv } };
}

/** The node's `publish` option, with the keys read from the environment when the flags name them. */
export function publishOption(flags: PublishFlags, env: NodeJS.ProcessEnv): true | { apiKeys: string[] } {
  if (flags.keysEnv === undefined) return true;
  const keys = (env[flags.keysEnv] ?? '').split(/\s+/).filter(Boolean);
  if (keys.length === 0) throw new UsageError(`--publish-keys-env: environment variable ${flags.keysEnv} is not set or holds no key`);
  return { apiKeys: keys };
}

/**
 * GRIDLINK_ACCEPTED_SECRETS: secrets that verify but never sign, whitespace-separated (a rotation's
 * other secret; docs/operations.md). Empty or unset: none.
 */
export function acceptedSecretsFrom(env: NodeJS.ProcessEnv): string[] | undefined {
  const secrets = (env.GRIDLINK_ACCEPTED_SECRETS ?? '').split(/\s+/).filter(Boolean);
  return secrets.length === 0 ? undefined : secrets;
}
