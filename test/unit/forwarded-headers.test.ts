import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { clientFromForwardedFor, clientOrigin } from '../../src/server/http/forwarded.js';
import { requestOrigin } from '../../src/server/http/whoami.js';

function req(peer: string, headers: Record<string, string>): IncomingMessage {
  return { socket: { remoteAddress: peer }, headers } as unknown as IncomingMessage;
}

const TRUSTED = ['10.0.0.1', '192.168.0.0/16'];

describe('X-Forwarded-For: the rightmost hop that is not a trusted proxy', () => {
  it('skips trusted hops from the right, ignores what the client wrote further left', () => {
    expect(clientFromForwardedFor('203.0.113.9, 198.51.100.7', '10.0.0.1', TRUSTED)).toBe('198.51.100.7');
    expect(clientFromForwardedFor('203.0.113.9, 198.51.100.7, 192.168.4.4', '10.0.0.1', TRUSTED)).toBe('198.51.100.7');
    expect(clientFromForwardedFor('192.168.1.1, 10.0.0.1', '10.0.0.1', TRUSTED)).toBe('192.168.1.1'); // all trusted: the leftmost
  });

  it('stops at garbage, keeping the last believable hop', () => {
    expect(clientFromForwardedFor('198.51.100.7, unknown, 192.168.4.4', '10.0.0.1', TRUSTED)).toBe('192.168.4.4');
    expect(clientFromForwardedFor('not-an-ip', '10.0.0.1', TRUSTED)).toBe('10.0.0.1');
    expect(clientFromForwardedFor('::ffff:198.51.100.7', '10.0.0.1', TRUSTED)).toBe('198.51.100.7');
  });
});

describe('clientOrigin', () => {
  const spoof = { host: 'cloud.test', 'x-forwarded-for': '203.0.113.9', 'x-forwarded-host': 'evil.test' };

  it('believes forwarded headers from a trusted proxy', () => {
    expect(clientOrigin(req('::ffff:10.0.0.1', spoof), TRUSTED)).toEqual({ address: '203.0.113.9', host: 'evil.test', forwarded: true });
  });

  it('ignores them from anyone else, and when no proxy is trusted', () => {
    expect(clientOrigin(req('198.51.100.7', spoof), TRUSTED)).toEqual({ address: '198.51.100.7', host: 'cloud.test', forwarded: false });
    expect(clientOrigin(req('10.0.0.1', spoof), [])).toEqual({ address: '10.0.0.1', host: 'cloud.test', forwarded: false });
  });

  it('refuses a malformed host and keeps the request Host', () => {
    expect(clientOrigin(req('10.0.0.1', { host: 'cloud.test', 'x-forwarded-host': 'bad host/<x>' }), TRUSTED).host).toBe('cloud.test');
    expect(clientOrigin(req('10.0.0.1', { host: 'a b' }), TRUSTED).host).toBeUndefined();
  });

  it('notes whether the request carried the node’s own sticky cookie', () => {
    const host = { id: 'a', trustedProxies: [], cookie: 'SRVNAME=S1' };
    expect(requestOrigin(req('10.0.0.1', { cookie: 'x=1; SRVNAME=S1' }), host).sticky).toBe(true);
    expect(requestOrigin(req('10.0.0.1', { cookie: 'SRVNAME=S2' }), host).sticky).toBe(false);
    expect(requestOrigin(req('10.0.0.1', {}), { ...host, cookie: undefined }).sticky).toBeUndefined();
  });
});
