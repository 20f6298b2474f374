/** `gridlink node --auth-…`: the flags parsed, the key read from where they point, never quoted. */
import { describe, expect, it } from 'vitest';
import { SignJWT, exportSPKI, generateKeyPair } from 'jose';
import { NODE_USAGE, parseNodeArgs, type NodeAuthFlags } from '../../src/cli/node-args.js';
import { nodeAuthenticator } from '../../src/cli/node-command.js';
import type { Logger } from '../../src/core/logger.js';
import { thrown } from '../helpers/thrown.js';

const KEY = 'k'.repeat(40);
const request = (token: string | undefined) => ({ token, session: 's', client: 'c', address: '127.0.0.1', resumed: false });
const hs256 = (claims: Record<string, unknown>, key = KEY): Promise<string> =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(new TextEncoder().encode(key));

function auth(argv: string[]): NodeAuthFlags | undefined {
  const parsed = parseNodeArgs(['--id', 'a', ...argv]);
  if (parsed.kind !== 'run') throw new Error('expected run');
  return parsed.options.auth;
}


describe('gridlink node --auth-… flags', () => {
  it('parse into one key source plus issuer and audience lists', () => {
    expect(auth([])).toBeUndefined();
    expect(auth(['--auth-jwt-secret-env', 'GRIDLINK_JWT_KEY'])).toEqual({ key: { kind: 'secret-env', name: 'GRIDLINK_JWT_KEY' } });
    expect(auth(['--auth-jwt-public-key', '/etc/gridlink/jwt.pem', '--auth-issuer', 'https://app.example', '--auth-audience', 'a', '--auth-audience', 'b'])).toEqual({
      key: { kind: 'public-key', file: '/etc/gridlink/jwt.pem' },
      issuer: ['https://app.example'],
      audience: ['a', 'b'],
    });
    expect(auth(['--auth-jwks-url', 'https://app.example/.well-known/jwks.json'])).toEqual({ key: { kind: 'jwks-url', url: 'https://app.example/.well-known/jwks.json' } });
  });

  it.each([
    [['--auth-jwt-secret-env', 'A', '--auth-jwks-url', 'https://x.example/j'], /give one of/],
    [['--auth-issuer', 'x'], /need a key flag/],
    [['--auth-jwks-url', 'http://x.example/j'], /must be an https:\/\/ URL/],
    [['--auth-jwt-secret-env', 'a-secret-value!'], /takes the NAME of an environment variable/],
  ])('refuse %j', (argv, message) => {
    expect(() => parseNodeArgs(['--id', 'a', ...argv])).toThrow(message);
  });

  it('never quote what was given as the env var name (it may be the key itself)', () => {
    expect(thrown(() => parseNodeArgs(['--id', 'a', '--auth-jwt-secret-env', 'my secret key'])).message).not.toContain('my secret key');
  });

  it('are in the usage text', () => {
    for (const flag of ['--auth-jwt-secret-env', '--auth-jwt-public-key', '--auth-jwks-url', '--auth-issuer', '--auth-audience']) expect(NODE_USAGE).toContain(flag);
  });
});

describe('nodeAuthenticator', () => {
  it('reads the HS256 key from the named variable and admits tokens signed with it', async () => {
    const hook = nodeAuthenticator({ key: { kind: 'secret-env', name: 'JWT_KEY' } }, { JWT_KEY: KEY }, () => '', undefined);
    expect(await hook(request(await hs256({ session: 's' })))).toBe(true);
    expect(await hook(request(await hs256({ session: 's' }, 'x'.repeat(40))))).toBe(false);
  });

  it('refuses an unset variable or a short key, naming the flag and not the key', () => {
    expect(() => nodeAuthenticator({ key: { kind: 'secret-env', name: 'JWT_KEY' } }, {}, () => '', undefined)).toThrow(/--auth-jwt-secret-env: the environment variable it names is not set/);
    const error = thrown(() => nodeAuthenticator({ key: { kind: 'secret-env', name: 'JWT_KEY' } }, { JWT_KEY: 'short-key' }, () => '', undefined));
    expect(error.message).toMatch(/--auth-jwt-secret-env: secret must be at least 32 bytes/);
    expect(error.message).not.toContain('short-key');
    expect(error.name).toBe('UsageError');
  });

  it('reads the PEM file, and names an unreadable one', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const pem = await exportSPKI(publicKey);
    const files: Record<string, string> = { '/k.pem': pem };
    const read = (file: string): string => {
      const text = files[file];
      if (text === undefined) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
      return text;
    };
    const hook = nodeAuthenticator({ key: { kind: 'public-key', file: '/k.pem' }, issuer: ['iss-1'] }, {}, read, undefined);
    const token = await new SignJWT({ session: 's', iss: 'iss-1' }).setProtectedHeader({ alg: 'ES256' }).setExpirationTime('5m').sign(privateKey);
    expect(await hook(request(token))).toBe(true);
    expect(() => nodeAuthenticator({ key: { kind: 'public-key', file: '/missing.pem' } }, {}, read, undefined)).toThrow(/--auth-jwt-public-key: cannot read '\/missing.pem' \(ENOENT\)/);
  });

  it('logs who was refused and why, without the token', async () => {
    const lines: [string, Record<string, unknown> | undefined][] = [];
    const record = (message: string, fields?: Record<string, unknown>): void => void lines.push([message, fields]);
    const logger: Logger = { debug: record, info: record, warn: record, error: record };
    const hook = nodeAuthenticator({ key: { kind: 'secret-env', name: 'K' } }, { K: KEY }, () => '', logger);
    const token = await hs256({ session: 'other' });
    expect(await hook(request(token))).toBe(false);
    expect(lines).toEqual([['client refused: token not accepted', { reason: 'session', session: 's', client: 'c', address: '127.0.0.1' }]]);
    expect(JSON.stringify(lines)).not.toContain(token);
  });
});
