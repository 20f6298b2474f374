import { describe, expect, it } from 'vitest';
import { redact, safeLogger, silentLogger, type Logger } from '../../src/core/logger.js';

describe('redact', () => {
  it('replaces secret keys, whatever their case, and keeps the rest', () => {
    const fields = {
      token: 'a',
      Resume: 'b',
      SECRET: 'c',
      Authorization: 'Bearer x',
      cookie: 'sid=1',
      PassWord: 'hunter2',
      client: 'c1',
      count: 3,
    };
    expect(redact(fields)).toEqual({
      token: '[redacted]',
      Resume: '[redacted]',
      SECRET: '[redacted]',
      Authorization: '[redacted]',
      cookie: '[redacted]',
      PassWord: '[redacted]',
      client: 'c1',
      count: 3,
    });
    expect(fields.token).toBe('a'); // a copy, not a mutation
  });

  it('passes undefined through', () => {
    expect(redact(undefined)).toBeUndefined();
  });

  it('redacts secret keys inside nested objects and arrays, and keeps errors as they are', () => {
    const error = new Error('boom');
    const out = redact({ hello: { t: 'hello', token: 'T', resume: 'R', client: 'c' }, list: [{ token: 'T2' }], error });
    expect(out).toEqual({ hello: { t: 'hello', token: '[redacted]', resume: '[redacted]', client: 'c' }, list: [{ token: '[redacted]' }], error });
  });
});

describe('safeLogger', () => {
  function recording(): Logger & { lines: [string, string, unknown][] } {
    const lines: [string, string, unknown][] = [];
    const at = (level: string) => (message: string, fields?: Record<string, unknown>) => void lines.push([level, message, fields]);
    return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  }

  it('is silent when no logger is given', () => {
    expect(safeLogger(undefined)).toBe(silentLogger);
    expect(() => silentLogger.error('x', { token: 't' })).not.toThrow();
  });

  it('forwards each level with redacted fields', () => {
    const log = recording();
    const safe = safeLogger(log);
    safe.debug('d', { resume: 'r' });
    safe.info('i');
    safe.warn('w', { password: 'p', n: 1 });
    safe.error('e', { token: 't' });
    expect(log.lines).toEqual([
      ['debug', 'd', { resume: '[redacted]' }],
      ['info', 'i', undefined],
      ['warn', 'w', { password: '[redacted]', n: 1 }],
      ['error', 'e', { token: '[redacted]' }],
    ]);
  });

  it('swallows a throwing logger', () => {
    const boom = () => {
      throw new Error('logger down');
    };
    const safe = safeLogger({ debug: boom, info: boom, warn: boom, error: boom });
    expect(() => {
      safe.debug('x');
      safe.info('x');
      safe.warn('x');
      safe.error('x', { token: 't' });
    }).not.toThrow();
  });
});
