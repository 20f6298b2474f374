/** `gridlink node --metrics` and `--metrics-token-env`: parsed, and the token taken from the environment only. */
import { describe, expect, it } from 'vitest';
import { NODE_USAGE, parseNodeArgs } from '../../src/cli/node-args.js';
import { serverOptions } from '../../src/cli/node-command.js';
import { metricsOption } from '../../src/process/node-flags.js';

function run(argv: string[]) {
  const parsed = parseNodeArgs(['--id', 'a', ...argv]);
  if (parsed.kind !== 'run') throw new Error('expected options');
  return parsed.options;
}

describe('gridlink node --metrics', () => {
  it('is off without the flags, on with --metrics, and with a token variable with --metrics-token-env', () => {
    expect(run([]).metrics).toBeUndefined();
    expect(run(['--metrics']).metrics).toEqual({});
    expect(run(['--metrics-token-env', 'SCRAPE_TOKEN']).metrics).toEqual({ tokenEnv: 'SCRAPE_TOKEN' });
    expect(run(['--metrics', '--metrics-token-env', 'SCRAPE_TOKEN']).metrics).toEqual({ tokenEnv: 'SCRAPE_TOKEN' });
  });

  it('refuses a token in place of a variable name, without echoing it', () => {
    expect(() => run(['--metrics-token-env', 'sk-live/abc=='])).toThrow(/takes the NAME of an environment variable/);
    expect(() => run(['--metrics-token-env', 'sk-live/abc=='])).not.toThrow(/sk-live/);
    expect(() => run(['--metrics=yes'])).toThrow();
  });

  it('reads the token from the environment, and fails naming the variable when it is unset', () => {
    expect(metricsOption({}, {})).toEqual({ processMetrics: true });
    expect(metricsOption({ tokenEnv: 'T' }, { T: 'token-from-the-env-123' })).toEqual({ token: 'token-from-the-env-123', processMetrics: true });
    expect(() => metricsOption({ tokenEnv: 'T' }, {})).toThrow(/environment variable T is not set/);
    expect(() => metricsOption({ tokenEnv: 'T' }, { T: '' })).toThrow(/environment variable T is not set/);
  });

  it('passes the node process metrics on (one node per process)', () => {
    expect(serverOptions(run(['--metrics']), undefined).metrics).toEqual({ processMetrics: true });
    expect(serverOptions(run([]), undefined).metrics).toBeUndefined();
  });

  it('is in --help', () => {
    expect(NODE_USAGE).toMatch(/--metrics {2,}serve GET \/metrics/);
    expect(NODE_USAGE).toMatch(/--metrics-token-env <NAME>/);
  });
});
