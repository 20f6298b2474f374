import { describe, expect, it } from 'vitest';
import { parseNodeArgs, type NodeCommandOptions } from '../../src/cli/node-args.js';
import { configValues } from '../../src/cli/node-config.js';
import { UsageError } from '../../src/process/args.js';

/** parseNodeArgs with `--config node.yaml` read from `text`, never the disk. */
function withFile(text: string, argv: string[] = []): NodeCommandOptions {
  const parsed = parseNodeArgs(['--config', 'node.yaml', ...argv], (file) => {
    expect(file).toBe('node.yaml');
    return text;
  });
  if (parsed.kind !== 'run') throw new Error('expected run');
  return parsed.options;
}

function refusal(text: string, argv: string[] = []): string {
  try {
    withFile(text, argv);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as UsageError).message;
  }
  throw new Error('expected a usage error');
}

const FULL = `
id: a
port: 7001
host: 0.0.0.0
url: ws://10.0.0.1:7001
peer:
  - b=ws://10.0.0.2:7001
  - c=ws://10.0.0.3:7001
trusted-proxy: [10.0.0.0/8]
cloud: cloud.test
dns-port: 5353
dns-ttl: 7
address: 10.0.0.1
region: eu
subnet: 10.1.0.0/16
heartbeat-interval: 100
peer-timeout: 200
max-joins-per-second: "off"
auth-jwt-secret-env: APP_JWT_KEY
auth-issuer: [https://issuer.example]
verbose: true
`;

describe('gridlink node --config', () => {
  it('turns every key into the value its flag gives', () => {
    const fromFile = withFile(FULL);
    const fromFlags = parseNodeArgs([
      '--id', 'a', '--port', '7001', '--host', '0.0.0.0', '--url', 'ws://10.0.0.1:7001',
      '--peer', 'b=ws://10.0.0.2:7001', '--peer', 'c=ws://10.0.0.3:7001', '--trusted-proxy', '10.0.0.0/8',
      '--cloud', 'cloud.test', '--dns-port', '5353', '--dns-ttl', '7', '--address', '10.0.0.1', '--region', 'eu',
      '--subnet', '10.1.0.0/16', '--heartbeat-interval', '100', '--peer-timeout', '200', '--max-joins-per-second', 'off',
      '--auth-jwt-secret-env', 'APP_JWT_KEY', '--auth-issuer', 'https://issuer.example', '--verbose',
    ]);
    expect(fromFlags.kind === 'run' && fromFlags.options).toEqual(fromFile);
    expect(fromFile.peers.map((peer) => peer.id)).toEqual(['b', 'c']);
    expect(fromFile.subnets).toEqual(['10.1.0.0/16']);
    expect(fromFile.maxJoinsPerSecond).toBe(Number.POSITIVE_INFINITY);
  });

  it('takes a JSON file too (YAML reads it) and an empty file as no keys', () => {
    expect(withFile('{"id": "j", "port": 7002}')).toMatchObject({ id: 'j', port: 7002 });
    expect(withFile('', ['--id', 'e'])).toMatchObject({ id: 'e', port: 0, verbose: false });
  });

  it('lets a flag override the file, key by key; a repeated flag replaces the whole list', () => {
    const options = withFile(FULL, ['--port', '9000', '--peer', 'z=ws://10.0.0.9:7001']);
    expect(options.port).toBe(9000);
    expect(options.host).toBe('0.0.0.0');
    expect(options.peers).toEqual([{ id: 'z', url: 'ws://10.0.0.9:7001' }]);
    expect(withFile('id: a\nverbose: false', ['--verbose']).verbose).toBe(true);
  });

  it('refuses an unknown key, naming it and the key it most likely meant', () => {
    expect(refusal('id: a\ndns-prot: 53\n')).toBe("node.yaml: unknown key 'dns-prot' (did you mean 'dns-port'?); a key is its flag's name without --");
    expect(refusal('id: a\ndnsPort: 53\n')).toMatch(/unknown key 'dnsPort' \(did you mean 'dns-port'\?\)/);
    expect(refusal('id: a\nflavour: 1\n')).not.toMatch(/did you mean/);
    expect(refusal('id: a\nconfig: other.yaml\n')).toMatch(/key 'config' is a command-line flag only/);
  });

  it('refuses a bad value naming the key, not a flag the user never typed', () => {
    expect(refusal('id: a\nport: 70000\n')).toBe("node.yaml: key 'port' must be an integer from 0 to 65535, got '70000'");
    expect(refusal('id: a\npeer: [b=http://x]\n')).toMatch(/^node\.yaml: key 'peer' must be a ws:\/\/ or wss:\/\/ URL/);
    expect(refusal('id: "a b"\n')).toMatch(/^node\.yaml: key 'id' must be 1-128/);
    expect(refusal('id: a\nverbose: yes\n')).toBe("node.yaml: key 'verbose' must be true or false, got a string");
    expect(refusal('id: a\nhost: [a, b]\n')).toBe("node.yaml: key 'host' must be a string or a number, got a list");
    expect(refusal('id: a\nregion:\n')).toBe("node.yaml: key 'region' must be a string or a number, got no value");
    expect(refusal('id: a\npeer: [{b: ws://x}]\n')).toMatch(/key 'peer' must be a list of strings \(or one string\), got a mapping/);
    expect(refusal('id: a\ndns-port: 53\n')).toMatch(/^node\.yaml: key 'dns-port' needs --cloud/);
  });

  it('names the flag when the bad value came from the command line', () => {
    expect(refusal('id: a\nport: 7001\n', ['--port', 'x'])).toMatch(/^--port must be an integer/);
  });

  it('refuses a secret in the file without echoing it', () => {
    for (const key of ['secret', 'GRIDLINK_SECRET', 'auth-jwt-secret']) {
      const message = refusal(`id: a\n${key}: hunter2-hunter2-hunter2-hunter2-xx\n`);
      expect(message).toContain(`key '${key}'`);
      expect(message).toContain('GRIDLINK_SECRET');
      expect(message).not.toContain('hunter2');
    }
  });

  it('refuses a file that is not a YAML mapping, or repeats a key', () => {
    expect(refusal('- id: a\n')).toBe('node.yaml: must be a mapping of keys to values (key: value lines)');
    expect(refusal('id: a\nid: b\n')).toMatch(/^node\.yaml: not valid YAML: .*unique/i);
    expect(refusal('id: [a\n')).toMatch(/^node\.yaml: not valid YAML/);
  });

  it('reads the values as parseStrict would give them', () => {
    const options = { port: { type: 'string' }, peer: { type: 'string', multiple: true }, verbose: { type: 'boolean' } } as const;
    expect(configValues('port: 7001\npeer: b=ws://x\nverbose: true\n', 'f', options)).toEqual({ port: '7001', peer: ['b=ws://x'], verbose: true });
  });

  it('still prints help when --config is given with --help, without reading the file', () => {
    expect(parseNodeArgs(['--config', 'x.yaml', '--help'], () => { throw new Error('read'); })).toEqual({ kind: 'help' });
  });
});
