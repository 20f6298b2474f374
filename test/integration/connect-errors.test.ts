/**
 * A failed connection says why, in the message and in `cause`, for each way a first connection
 * really fails: nothing listening, an HTTP server that is not a WebSocket server, wss:// against a
 * plain node, a certificate the client does not trust, a name that does not resolve. Real sockets:
 * a real node, a real HTTP server, a real TLS server with an openssl certificate.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, isGridlinkError, type GridlinkError } from '../../dist/node.js';
import { startNode } from '../../dist/server.js';
import { makeCertificate } from '../helpers/haproxy.js';
import { requireTool } from '../helpers/tools.js';

/** The error `ready` rejects with when the only node fails as given; retries bounded to be quick. */
async function failure(url: string, extra: Record<string, unknown> = {}): Promise<GridlinkError> {
  const client = connect({ session: 'causes', nodes: [url], retry: { maxElapsedMs: 200 }, ...extra });
  try {
    await client.ready;
  } catch (error) {
    expect(isGridlinkError(error)).toBe(true);
    return error as GridlinkError;
  } finally {
    await client.close();
  }
  throw new Error(`connected to ${url}, which should have failed`);
}

/** The connection error under the client's GRIDLINK_NO_NODES, and its raw platform cause. */
function causes(error: GridlinkError): { dial: GridlinkError; raw: { code?: string; statusCode?: number } } {
  expect(error.code).toBe('GRIDLINK_NO_NODES');
  const dial = error.cause as GridlinkError;
  expect(isGridlinkError(dial)).toBe(true);
  return { dial, raw: dial.cause as { code?: string; statusCode?: number } };
}

const listen = (server: http.Server): Promise<number> =>
  new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));

describe('connection errors carry a cause a person can act on', () => {
  requireTool('openssl');
  const dir = mkdtempSync(join(tmpdir(), 'gridlink-causes-'));
  const plain = http.createServer((_request, response) => response.writeHead(404).end('not here'));
  let tls: https.Server;
  let plainPort = 0;
  let tlsPort = 0;
  let node: Awaited<ReturnType<typeof startNode>>;

  beforeAll(async () => {
    const certificate = makeCertificate(dir);
    const pem = readFileSync(certificate.pem, 'utf8');
    tls = https.createServer({ cert: certificate.ca, key: pem }, (_request, response) => response.end('tls'));
    plainPort = await listen(plain);
    tlsPort = await listen(tls);
    node = await startNode({ id: 'a', port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await node?.close();
    plain.close();
    tls?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('nothing listening: refused, with ECONNREFUSED as the cause', async () => {
    const server = http.createServer();
    const port = await listen(server);
    await new Promise((resolve) => server.close(resolve));
    const error = await failure(`ws://127.0.0.1:${port}/`);
    const { dial, raw } = causes(error);
    expect(dial.code).toBe('GRIDLINK_CONNECT_FAILED');
    expect(raw.code).toBe('ECONNREFUSED');
    expect(error.message).toMatch(/connection refused/);
  });

  it('a plain HTTP server: the HTTP status of its answer', async () => {
    const { dial, raw } = causes(await failure(`ws://127.0.0.1:${plainPort}/`));
    expect(raw.statusCode).toBe(404);
    expect(dial.message).toMatch(/HTTP 404/);
  });

  it('wss:// against a plain node: the TLS failure, with a hint about the scheme', async () => {
    const { dial, raw } = causes(await failure(node.url.replace('ws:', 'wss:')));
    expect(raw.code).toBe('EPROTO');
    expect(dial.message).toMatch(/TLS handshake failed: wrong version number \(a plain ws:\/\/ port dialled with wss:\/\/\?\)/);
  });

  it('an untrusted certificate: the certificate reason', async () => {
    const { dial, raw } = causes(await failure(`wss://localhost:${tlsPort}/`));
    expect(raw.code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(dial.message).toMatch(/TLS certificate rejected: DEPTH_ZERO_SELF_SIGNED_CERT/);
  });

  it('a trusted certificate on a server that is not a gridlink node: its HTTP status', async () => {
    const ca = readFileSync(join(dir, 'cert.pem'), 'utf8');
    const { raw, dial } = causes(await failure(`wss://localhost:${tlsPort}/`, { tls: { ca } }));
    expect(raw.statusCode).toBe(200);
    expect(dial.message).toMatch(/HTTP 200/);
  });

  it('a name that does not resolve: the DNS code', async () => {
    const { raw, dial } = causes(await failure('ws://no-such-host.invalid:9/'));
    expect(raw.code).toBe('ENOTFOUND');
    expect(dial.message).toMatch(/DNS: no such name/);
  });
});
