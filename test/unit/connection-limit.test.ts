/** The node's connection limits (per address, pending, hello deadline), on fake timers. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConnectionLimit, type EndReason, type TrackedConnection } from '../../src/server/clients/connection-limit.js';

const limits = { perAddress: 4, pending: 5, pendingPerAddress: 3, helloTimeoutMs: 1000 };

/** Opens a connection, recording how the limiter ended it (if it did). */
function opener(limit: ConnectionLimit) {
  const ended = new Map<TrackedConnection, EndReason>();
  const open = (address: string | undefined): TrackedConnection | undefined => {
    let self: TrackedConnection | undefined;
    const admission = limit.open(address, (reason) => ended.set(self as TrackedConnection, reason));
    if (admission.kind === 'refused') return undefined;
    self = admission.connection;
    return self;
  };
  return { open, ended };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('connection limit', () => {
  it('ends a connection that has not said hello by the deadline; a link is not timed', () => {
    const limit = new ConnectionLimit(limits);
    const { open, ended } = opener(limit);
    const idle = open('10.0.0.1')!;
    const link = open('10.0.0.1')!;
    link.established();
    vi.advanceTimersByTime(999);
    expect(ended.size).toBe(0);
    vi.advanceTimersByTime(1);
    expect(ended.get(idle)).toBe('deadline');
    expect(idle.phase).toBe('closed');
    expect(link.phase).toBe('established');
    expect(limit.countOf('10.0.0.1')).toEqual({ open: 1, pending: 0 });
    vi.advanceTimersByTime(60_000);
    expect(ended.has(link)).toBe(false);
  });

  it('a full pending pool of one address displaces its oldest, not the newcomer', () => {
    const limit = new ConnectionLimit(limits);
    const { open, ended } = opener(limit);
    const [a, b, c] = [open('10.0.0.1')!, open('10.0.0.1')!, open('10.0.0.1')!];
    const d = open('10.0.0.1')!;
    expect(ended.get(a)).toBe('evicted');
    expect([b, c, d].map((x) => x.phase)).toEqual(['pending', 'pending', 'pending']);
    expect(limit.countOf('10.0.0.1')).toEqual({ open: 3, pending: 3 });
    // The honest newcomer says hello at once and is safe from later displacement.
    d.established();
    open('10.0.0.1');
    expect(ended.has(b)).toBe(false);
    open('10.0.0.1');
    expect(ended.get(b)).toBe('evicted');
    expect(d.phase).toBe('established');
  });

  it('the node-wide pending cap displaces the oldest pending of any address', () => {
    const limit = new ConnectionLimit(limits);
    const { open, ended } = opener(limit);
    const first = open('10.0.0.1')!;
    for (let i = 0; i < 2; i++) open('10.0.0.1');
    open('10.0.0.2');
    open('10.0.0.2');
    expect(limit.pending).toBe(5);
    const late = open('10.0.0.3')!;
    expect(ended.get(first)).toBe('evicted');
    expect(late.phase).toBe('pending');
    expect(limit.pending).toBe(5);
  });

  it('refuses an address at its open cap once none of its connections is pending', () => {
    const limit = new ConnectionLimit(limits);
    const { open } = opener(limit);
    for (let i = 0; i < 4; i++) open('10.0.0.1')!.established();
    expect(open('10.0.0.1')).toBeUndefined();
    expect(open('10.0.0.2')).toBeDefined();
    // A closed socket frees its slot.
    const again = new ConnectionLimit(limits);
    const other = opener(again);
    const links = Array.from({ length: 4 }, () => other.open('10.0.0.1')!);
    for (const link of links) link.established();
    links[0]!.closed();
    expect(other.open('10.0.0.1')).toBeDefined();
  });

  it('a served (kept-alive) HTTP socket leaves the pending pool; an upgrade on it re-enters with a fresh deadline', () => {
    const limit = new ConnectionLimit(limits);
    const { open, ended } = opener(limit);
    const http = open('10.0.0.1')!;
    http.served();
    expect(limit.countOf('10.0.0.1')).toEqual({ open: 1, pending: 0 });
    vi.advanceTimersByTime(5000);
    expect(http.phase).toBe('served');
    expect(http.upgrading('10.0.0.1')).toBe(true);
    expect(limit.countOf('10.0.0.1')).toEqual({ open: 1, pending: 1 });
    vi.advanceTimersByTime(1000);
    expect(ended.get(http)).toBe('deadline');
  });

  it("a trusted proxy's socket counts node-wide only, until its upgrade names the client", () => {
    const limit = new ConnectionLimit({ ...limits, pending: 100 });
    const { open } = opener(limit);
    const viaProxy = Array.from({ length: 10 }, () => open(undefined)!);
    expect(limit.pending).toBe(10);
    expect(viaProxy[0]!.upgrading('192.0.2.7')).toBe(true);
    expect(viaProxy[0]!.address).toBe('192.0.2.7');
    expect(limit.countOf('192.0.2.7')).toEqual({ open: 1, pending: 1 });
    expect(limit.pending).toBe(10);
    // That client at its open cap: a further upgrade through the proxy is refused.
    for (let i = 1; i < 4; i++) {
      viaProxy[i]!.upgrading('192.0.2.7');
      viaProxy[i]!.established();
    }
    viaProxy[0]!.established();
    expect(viaProxy[4]!.upgrading('192.0.2.7')).toBe(false);
    expect(viaProxy[4]!.phase).toBe('closed');
  });

  it('ends once: a late socket close or deadline after an eviction changes nothing', () => {
    const limit = new ConnectionLimit(limits);
    const calls: EndReason[] = [];
    const admission = limit.open('10.0.0.1', (reason) => calls.push(reason));
    if (admission.kind !== 'admitted') throw new Error('refused');
    const c = admission.connection;
    c.end('evicted');
    c.closed();
    c.established();
    vi.advanceTimersByTime(5000);
    expect(calls).toEqual(['evicted']);
    expect(limit.countOf('10.0.0.1')).toEqual({ open: 0, pending: 0 });
    expect(limit.pending).toBe(0);
  });
});
