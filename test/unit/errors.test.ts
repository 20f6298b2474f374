import { describe, expect, it } from 'vitest';
import {
  ClosedError,
  ConnectError,
  GridlinkError,
  hasCode,
  isGridlinkError,
  LinkError,
  OptionsError,
  SessionError,
  toGridlinkError,
} from '../../src/core/errors.js';

describe('GridlinkError hierarchy', () => {
  it('subclasses are GridlinkErrors and Errors, with their own name', () => {
    for (const Cls of [OptionsError, ConnectError, LinkError, SessionError, ClosedError]) {
      const e = new Cls('GRIDLINK_PROTOCOL', 'm');
      expect(e).toBeInstanceOf(GridlinkError);
      expect(e).toBeInstanceOf(Error);
      expect(e).toBeInstanceOf(Cls);
      expect(e.name).toBe(Cls.name);
      expect(e.code).toBe('GRIDLINK_PROTOCOL');
      expect(e.message).toBe('m');
      expect(isGridlinkError(e)).toBe(true);
    }
  });

  it('subclass instanceof stays strict', () => {
    const link = new LinkError('GRIDLINK_LINK_LOST', 'x');
    expect(link instanceof SessionError).toBe(false);
    expect(link instanceof OptionsError).toBe(false);
    expect(new GridlinkError('GRIDLINK_CLOSED', 'x') instanceof ClosedError).toBe(false);
  });

  it('instanceof GridlinkError accepts a branded error from another copy of the package', () => {
    const other = Object.assign(new Error('from the CJS copy'), { code: 'GRIDLINK_TIMEOUT', retriable: true });
    Object.defineProperty(other, Symbol.for('gridlink.error'), { value: true });
    expect(other instanceof GridlinkError).toBe(true);
    expect(isGridlinkError(other)).toBe(true);
    expect(hasCode(other, 'GRIDLINK_TIMEOUT')).toBe(true);
    expect(other instanceof LinkError).toBe(false);
  });

  it('rejects look-alikes without the brand', () => {
    for (const v of [new Error('x'), { code: 'GRIDLINK_TIMEOUT' }, { [Symbol.for('gridlink.error')]: 'yes' }, null, undefined, 'GRIDLINK_TIMEOUT', 0]) {
      expect(v instanceof GridlinkError).toBe(false);
      expect(isGridlinkError(v)).toBe(false);
      expect(hasCode(v, 'GRIDLINK_TIMEOUT')).toBe(false);
    }
  });

  it('keeps the cause, and has none when none was given', () => {
    const cause = new Error('ECONNREFUSED');
    expect(new ConnectError('GRIDLINK_CONNECT_FAILED', 'x', { cause }).cause).toBe(cause);
    expect('cause' in new ConnectError('GRIDLINK_CONNECT_FAILED', 'x')).toBe(false);
  });

  it('retriable defaults to false', () => {
    expect(new ConnectError('GRIDLINK_CONNECT_FAILED', 'x').retriable).toBe(false);
    expect(new ConnectError('GRIDLINK_CONNECT_FAILED', 'x', { retriable: true }).retriable).toBe(true);
  });

  it('hasCode checks the code', () => {
    const e = new SessionError('GRIDLINK_BUFFER_FULL', 'x');
    expect(hasCode(e, 'GRIDLINK_BUFFER_FULL')).toBe(true);
    expect(hasCode(e, 'GRIDLINK_CLOSED')).toBe(false);
  });

  it('toGridlinkError passes GridlinkErrors through and wraps anything else with its cause', () => {
    const g = new LinkError('GRIDLINK_PROTOCOL', 'x');
    expect(toGridlinkError(g, 'GRIDLINK_CONNECT_FAILED', 'y')).toBe(g);
    const raw = new TypeError('fetch failed');
    const wrapped = toGridlinkError(raw, 'GRIDLINK_CONNECT_FAILED', 'dial failed');
    expect(wrapped).toBeInstanceOf(GridlinkError);
    expect(wrapped.code).toBe('GRIDLINK_CONNECT_FAILED');
    expect(wrapped.message).toBe('dial failed');
    expect(wrapped.cause).toBe(raw);
    expect(toGridlinkError('a string', 'GRIDLINK_CONNECT_FAILED', 'm').cause).toBe('a string');
  });
});
