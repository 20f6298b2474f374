import { describe, expect, it } from 'vitest';
import { classifyClose, classifyDialFailure as classify } from '../../src/dial/classify.js';
import { describeNodeError } from '../../src/platform/node/network-errors.js';

// As the Node platform classifies (its own codes first); a browser has no describer.
const classifyDialFailure = (url: string, event: unknown) => classify(url, event, describeNodeError);

const coded = (code: string, message: string): Error => Object.assign(new Error(message), { code });
const url = 'ws://n1.test:7000/';

describe('classifyDialFailure', () => {
  it.each([
    ['ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:7000', /connection refused/],
    ['ECONNRESET', 'socket hang up', /connection reset .*ws:\/\//],
    ['ETIMEDOUT', 'connect ETIMEDOUT', /TCP connect timed out/],
    ['ENOTFOUND', 'getaddrinfo ENOTFOUND n1.test', /DNS: no such name \(ENOTFOUND\)/],
    ['EAI_AGAIN', 'getaddrinfo EAI_AGAIN n1.test', /DNS: temporary failure/],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate', /TLS certificate rejected: DEPTH_ZERO_SELF_SIGNED_CERT \(self-signed certificate\)/],
    ['ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames", /TLS certificate rejected: ERR_TLS_CERT_ALTNAME_INVALID/],
    ['CERT_HAS_EXPIRED', 'certificate has expired', /TLS certificate rejected: CERT_HAS_EXPIRED/],
    ['EPROTO', 'write EPROTO 80CC:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../ssl3_record.c:350:', /TLS handshake failed: wrong version number \(a plain ws:\/\/ port dialled with wss:\/\/\?\)$/],
  ])('%s becomes a message a person can act on, the raw error kept as cause', (code, message, expected) => {
    const raw = coded(code, message);
    const error = classifyDialFailure(url, { error: raw });
    expect(error.code).toBe('GRIDLINK_CONNECT_FAILED');
    expect(error.retriable).toBe(true);
    expect(error.message.startsWith(`could not connect to ${url}: `)).toBe(true);
    expect(error.message).toMatch(expected);
    expect(error.cause).toBe(raw);
  });

  it('an answer that was not an upgrade names its HTTP status', () => {
    const raw = Object.assign(new Error('answered HTTP 503 Service Unavailable instead of a WebSocket upgrade'), { statusCode: 503 });
    expect(classifyDialFailure(url, { error: raw }).message).toMatch(/HTTP 503 Service Unavailable .*not a gridlink node, or a proxy in front refused/);
  });

  it('a WebSocket server that does not speak gridlink is a protocol error, not a connect failure', () => {
    const error = classifyDialFailure(url, { error: new Error('Server sent no subprotocol') });
    expect(error.code).toBe('GRIDLINK_PROTOCOL');
    expect(error.message).toMatch(/not a gridlink node/);
  });

  it('an error without detail (an empty TypeError, a browser event) says that the platform gave none', () => {
    for (const event of [{ error: new TypeError('') }, { type: 'error' }, undefined]) {
      expect(classifyDialFailure(url, event).message).toMatch(/the platform gives no reason: refused, TLS or not a WebSocket server/);
    }
  });

  it('an unknown coded error keeps its code and message', () => {
    expect(classifyDialFailure(url, { error: coded('EWEIRD', 'strange') }).message).toMatch(/EWEIRD: strange$/);
  });
});

describe('classifyClose', () => {
  it('names the close code and reason', () => {
    const error = classifyClose(url, 4003, 'drained');
    expect(error.code).toBe('GRIDLINK_LINK_LOST');
    expect(error.message).toBe(`link to ${url} closed (code 4003, drained)`);
  });
});
