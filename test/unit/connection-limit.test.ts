/** The node's connection limits (per address, pending, hello deadline), on fake timers. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { normalizeOptions } from '../../src/server/node/options.js';
import { normalizeDnsOptions } from '../../src/server/dns/options.js';
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
    const { open, ended } = opener(limit);
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
    expect(ended.has(viaProxy[4]!)).toBe(false); // refused, not ended: the caller answers 503
    expect(limit.pending).toBe(5);
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

describe('connection limit options', () => {
  it('node: defaults fit 1,000 clients behind one address; the hello deadline follows the heartbeat', () => {
    expect(normalizeOptions({ id: 'a' }).connections).toEqual({ perAddress: 2048, pending: 2048, pendingPerAddress: 1024, helloTimeoutMs: 5000 });
    expect(normalizeOptions({ id: 'a', heartbeat: { intervalMs: 100, timeoutMs: 300 } }).connections.helloTimeoutMs).toBe(300);
    expect(normalizeOptions({ id: 'a', helloTimeoutMs: 1500, maxPendingConnections: 10 }).connections).toMatchObject({ pending: 10, helloTimeoutMs: 1500 });
  });

  it.each([
    [{ maxConnectionsPerAddress: 0 }, /^maxConnectionsPerAddress must be an integer >= 1/],
    [{ maxPendingConnections: 1.5 }, /^maxPendingConnections must be/],
    [{ maxPendingConnectionsPerAddress: -1 }, /^maxPendingConnectionsPerAddress must be/],
    [{ helloTimeoutMs: 10 }, /^helloTimeoutMs must be/],
  ])('node: rejects %j, naming the option', (extra, message) => {
    expect(() => normalizeOptions({ id: 'a', ...extra })).toThrow(message);
  });

  it('a storm of 1,000 clients from one NAT, all pending at once, fits the defaults: none displaced or refused', () => {
    const limit = new ConnectionLimit(normalizeOptions({ id: 'a' }).connections);
    const { open, ended } = opener(limit);
    const storm = Array.from({ length: 1000 }, () => open('203.0.113.9'));
    expect(storm.every((c) => c?.phase === 'pending')).toBe(true);
    for (const c of storm) c!.established();
    expect(ended.size).toBe(0);
    expect(limit.countOf('203.0.113.9')).toEqual({ open: 1000, pending: 0 });
  });

  it('DNS: a per-address TCP cap and a first-query deadline, checked', () => {
    const view = { snapshot: () => ({ nodes: [] }) };
    expect(normalizeDnsOptions({ zone: 'cloud.test', view })).toMatchObject({ maxTcpConnectionsPerAddress: 32, tcpFirstQueryTimeoutMs: 3000 });
    expect(normalizeDnsOptions({ zone: 'cloud.test', view, tcpIdleTimeoutMs: 1000 }).tcpFirstQueryTimeoutMs).toBe(1000);
    expect(() => normalizeDnsOptions({ zone: 'cloud.test', view, maxTcpConnectionsPerAddress: 0 })).toThrow(/^maxTcpConnectionsPerAddress must be/);
    expect(() => normalizeDnsOptions({ zone: 'cloud.test', view, tcpFirstQueryTimeoutMs: 5 })).toThrow(/^tcpFirstQueryTimeoutMs must be/);
  });
});
