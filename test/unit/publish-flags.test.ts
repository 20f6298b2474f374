/**
 * `gridlink node --publish` / `--publish-keys-env`, GRIDLINK_ACCEPTED_SECRETS, `gridlink publish-key`,
 * and the node's `publish` option: keys come from the environment only and are checked by name.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { NODE_USAGE, parseNodeArgs } from '../../src/cli/node-args.js';
import { main } from '../../src/cli/main.js';
import { serverOptions } from '../../src/cli/node-command.js';
import { acceptedSecretsFrom, publishOption } from '../../src/process/publish-flags.js';
import { publishConfig, publishKey } from '../../src/server/publish/publish-options.js';
import { bearerMatches } from '../../src/server/http/bearer.js';

function run(argv: string[]) {
  const parsed = parseNodeArgs(['--id', 'a', ...argv]);
  if (parsed.kind !== 'run') throw new Error('expected options');
  return parsed.options;
}

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

describe('gridlink node --publish', () => {
  it('is off without the flags; --publish takes the derived key; --publish-keys-env names the keys variable', () => {
    expect(run([]).publish).toBeUndefined();
    expect(run(['--publish']).publish).toEqual({});
    expect(run(['--publish-keys-env', 'API_KEYS']).publish).toEqual({ keysEnv: 'API_KEYS' });
    expect(() => run(['--publish-keys-env', 'key-abc/123=='])).toThrow(/takes the NAME of an environment variable/);
    expect(NODE_USAGE).toMatch(/--publish {2,}take POST \/sessions/);
  });

  it('reads keys from the environment, whitespace-separated, and fails naming an empty variable', () => {
    expect(publishOption({}, {})).toBe(true);
    expect(publishOption({ keysEnv: 'K' }, { K: ' key-one-0123456789\nkey-two-0123456789 ' })).toEqual({ apiKeys: ['key-one-0123456789', 'key-two-0123456789'] });
    expect(() => publishOption({ keysEnv: 'K' }, { K: '  ' })).toThrow(/environment variable K is not set or holds no key/);
  });

  it('passes the option and the accepted secrets on to the node', () => {
    process.env.GRIDLINK_SECRET = 'cloud-secret';
    process.env.GRIDLINK_ACCEPTED_SECRETS = 'next-secret';
    const options = serverOptions(run(['--publish']), undefined);
    expect(options.publish).toBe(true);
    expect(options.acceptedSecrets).toEqual(['next-secret']);
    expect(acceptedSecretsFrom({ GRIDLINK_ACCEPTED_SECRETS: '' })).toBeUndefined();
  });
});

describe('gridlink publish-key', () => {
  it('prints the key derived from GRIDLINK_SECRET, the one a node with --publish accepts', async () => {
    process.env.GRIDLINK_SECRET = 'cloud-secret';
    let out = '';
    expect(await main(['publish-key'], { out: (text) => void (out += text), err: () => {} })).toBe(0);
    expect(out).toBe(`${publishKey('cloud-secret')}\n`);
    const config = publishConfig(true, 'cloud-secret');
    expect(bearerMatches(`Bearer ${out.trim()}`, config?.keyHashes ?? [])).toBe(true);
    delete process.env.GRIDLINK_SECRET;
    expect(await main(['publish-key'], { out: () => {}, err: () => {} })).toBe(2);
  });
});

describe('the publish option', () => {
  it('is off by default and never on without a key', () => {
    expect(publishConfig(undefined, 'secret')).toBeUndefined();
    expect(publishConfig(false, 'secret')).toBeUndefined();
    expect(() => publishConfig(true, undefined)).toThrow(/publish needs a key/);
    expect(() => publishConfig({}, undefined)).toThrow(/publish needs a key/);
  });

  it('accepts the derived key, keys of accepted secrets and API keys; refuses bad keys by index', () => {
    const config = publishConfig({ apiKeys: ['backend-key-0123456789'] }, 'secret', ['old-secret']);
    const hashes = config?.keyHashes ?? [];
    expect(config?.forwardKey).toBe(publishKey('secret'));
    for (const key of [publishKey('secret'), publishKey('old-secret'), 'backend-key-0123456789']) expect(bearerMatches(`Bearer ${key}`, hashes)).toBe(true);
    expect(bearerMatches(`Bearer ${publishKey('other')}`, hashes)).toBe(false);
    expect(bearerMatches(undefined, hashes)).toBe(false);
    expect(publishConfig({ apiKeys: ['backend-key-0123456789'] }, undefined)?.forwardKey).toBe('backend-key-0123456789');
    expect(() => publishConfig({ apiKeys: ['short'] }, 'secret')).toThrow('publish.apiKeys[0] must be 16..512 printable ASCII characters without spaces');
    expect(() => publishConfig({ apiKey: [] }, 'secret')).toThrow(/unknown option 'publish.apiKey'/);
  });
});
