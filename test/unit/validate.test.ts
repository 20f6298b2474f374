/** The shared option checks (core/validate.ts) and the "did you mean" rule behind them (core/suggest.ts). */
import { describe, expect, it } from 'vitest';
import { OptionsError } from '../../src/core/errors.js';
import { editDistance, suggestKey } from '../../src/core/suggest.js';
import { dnsName, group, heartbeat, httpUrls, installKeyHints, integer, knownKeys, MAX_TIMER_MS, nodeLabel, number, optionKeys, text, wsUrl } from '../../src/core/validate.js';

function message(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(OptionsError);
    expect((error as OptionsError).code).toBe('GRIDLINK_INVALID_OPTION');
    return (error as OptionsError).message;
  }
  throw new Error('expected a refusal');
}

describe('editDistance', () => {
  it.each([
    ['session', 'session', 0],
    ['sesion', 'session', 1],
    ['sesison', 'session', 1], // a transposition is one edit
    ['', 'abc', 3],
    ['kitten', 'sitting', 3],
  ])('%s ~ %s = %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });
});

describe('suggestKey', () => {
  const keys = ['intervalMs', 'timeoutMs', 'connectTimeoutMs', 'maxNodes', 'minDelayMs', 'maxDelayMs', 'port'];

  it.each<[string, string | undefined]>([
    ['IntervalMs', 'intervalMs'], // case only
    ['timeotMs', 'timeoutMs'], // a typo
    ['timout', 'timeoutMs'], // a typo, the unit left off
    ['interval', 'intervalMs'], // a prefix
    ['connectTimeout', 'connectTimeoutMs'],
    ['nodes', 'maxNodes'], // the only key containing it
    ['delay', undefined], // two keys contain it: no guess
    ['por', 'port'],
    ['x', undefined],
    ['zzzzzz', undefined],
    ['p'.repeat(200), undefined],
  ])('%s -> %s', (given, expected) => {
    expect(suggestKey(given, keys)).toBe(expected);
  });

  it('does not turn a short key into an unrelated short key', () => {
    expect(suggestKey('ab', ['id', 'ca'])).toBeUndefined();
  });
});

describe('option checks name the option first', () => {
  it('knownKeys names the path and the likely key', () => {
    expect(message(() => knownKeys('retry', { maxElapsed: 1 }, ['maxElapsedMs']))).toBe(`unknown option 'retry.maxElapsed' (did you mean 'retry.maxElapsedMs'?)`);
    expect(message(() => knownKeys('', { other: 1 }, ['maxElapsedMs']))).toBe(`unknown option 'other'`);
    expect(() => knownKeys('', { a: 1, b: undefined }, ['a', 'b'])).not.toThrow();
  });

  it('without hints installed (the browser core), an unknown key is named without a guess', () => {
    installKeyHints(undefined);
    try {
      expect(message(() => knownKeys('retry', { maxElapsed: 1 }, ['maxElapsedMs']))).toBe(`unknown option 'retry.maxElapsed'`);
    } finally {
      installKeyHints(suggestKey); // as test/helpers/key-hints.ts left it
    }
    expect(message(() => knownKeys('retry', { maxElapsed: 1 }, ['maxElapsedMs']))).toBe(`unknown option 'retry.maxElapsed' (did you mean 'retry.maxElapsedMs'?)`);
  });

  it('optionKeys lists the keys it was given', () => {
    expect(optionKeys<{ a?: number; b: string }>({ a: true, b: true })).toEqual(['a', 'b']);
  });

  it('group takes undefined or an object', () => {
    expect(group('tls', undefined, ['ca'])).toBeUndefined();
    expect(message(() => group('tls', 'x', ['ca']))).toBe('tls must be an object { ca }');
    expect(message(() => group('tls', [], ['ca']))).toBe('tls must be an object { ca }');
  });

  it.each<[string, () => unknown, string]>([
    ['number below min', () => number('heartbeat.timeoutMs', 50, 0, 100), 'heartbeat.timeoutMs must be a finite number >= 100'],
    ['number NaN', () => number('a', Number.NaN, 0, 0, 10), 'a must be a finite number >= 0 and <= 10'],
    ['number Infinity not admitted', () => number('a', Number.POSITIVE_INFINITY, 0, 0), 'a must be a finite number >= 0'],
    ['integer fraction', () => integer('port', 1.5, 0, 0, 65535), 'port must be an integer 0..65535'],
    ['integer string', () => integer('n', '3', 0, 1), 'n must be an integer >= 1'],
    ['text too long', () => text('id', 'x'.repeat(129), 128), 'id must be a string of 1..128 characters'],
    ['text empty', () => text('secret', ''), 'secret must be a non-empty string'],
    ['ws url of http', () => wsUrl('url', 'http://a.test'), `url must be a ws:// or wss:// URL, got 'http://a.test'`],
    ['ws url without host', () => wsUrl('url', 'ws:///x'), 'url must be a ws:// or wss:// URL'],
    ['http url of ws', () => httpUrls('doh', ['https://a.test/', 'ws://b.test/']), `doh[1] must be an http:// or https:// URL, got 'ws://b.test/'`],
    ['no http url', () => httpUrls('doh', []), 'doh must name at least one URL'],
    ['dns name', () => dnsName('zone', 'a..b'), `zone must be a DNS name like 'cloud.example.com' (labels of a-z 0-9 - _), got 'a..b'`],
    ['node label', () => nodeLabel('ids', '_a'), `ids '_a' must be a DNS label (1-63 of a-z 0-9 - _, not starting with _) when cloud is set`],
    ['heartbeat order', () => heartbeat('heartbeat', { intervalMs: 500, timeoutMs: 400 }, { intervalMs: 1, timeoutMs: 2 }, 100), 'heartbeat.timeoutMs must be greater than heartbeat.intervalMs (500)'],
    ['heartbeat past a timer', () => heartbeat('heartbeat', { timeoutMs: MAX_TIMER_MS + 1 }, { intervalMs: 1000, timeoutMs: 2000 }, 100), `heartbeat.timeoutMs must be a finite number >= 100 and <= ${MAX_TIMER_MS}`],
  ])('%s', (_what, run, expected) => {
    expect(message(run)).toBe(expected);
  });

  it('returns what it accepted, normalized where the option says so', () => {
    expect(number('a', undefined, 7, 0)).toBe(7);
    expect(number('a', Number.POSITIVE_INFINITY, 7, 0, Number.MAX_SAFE_INTEGER, true)).toBe(Number.POSITIVE_INFINITY);
    expect(wsUrl('url', 'WSS://A.test').href).toBe('wss://a.test/');
    expect(httpUrls('doh', 'https://a.test/dns-query')).toEqual(['https://a.test/dns-query']);
    expect(dnsName('cloud', 'Cloud.Test.')).toBe('cloud.test');
    expect(heartbeat('hb', undefined, { intervalMs: 1, timeoutMs: 2 }, 1)).toEqual({ intervalMs: 1, timeoutMs: 2 });
  });
});
