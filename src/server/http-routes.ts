/**
 * The node's plain HTTP endpoints, beside the WebSocket upgrades:
 *   GET /healthz             {"id","status":"ok"|"draining","load":{"links","sessions"},"dns"?}
 *   GET /host?session=<id>   {"host":{"id","url"}}: where this node would place the session now
 * Both are for operators and tools (`gridlink probe`), not for clients' hot path.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAX_ID_LENGTH } from '../protocol/codec.js';
import type { NodeInfo } from '../protocol/frames.js';
import type { NodeLoad } from './dns/view.js';

export interface RouteHost {
  readonly id: string;
  running(): boolean;
  load(): NodeLoad;
  hostOf(session: string): NodeInfo;
  /** `host:port` of this node's DNS server, when it runs one. */
  dnsAddress(): string | undefined;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
}

export function handleRequest(req: IncomingMessage, res: ServerResponse, host: RouteHost): void {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://node');
  } catch {
    res.writeHead(400, { 'content-type': 'text/plain' }).end('bad request\n');
    return;
  }
  if (req.method === 'GET' && url.pathname === '/healthz') {
    const dns = host.dnsAddress();
    json(res, 200, { id: host.id, status: host.running() ? 'ok' : 'draining', load: host.load(), ...(dns === undefined ? {} : { dns }) });
    return;
  }
  if (req.method === 'GET' && url.pathname === '/host') {
    const session = url.searchParams.get('session');
    if (session === null || session.length === 0 || session.length > MAX_ID_LENGTH) {
      json(res, 400, { error: `query parameter 'session' must be 1..${MAX_ID_LENGTH} characters` });
      return;
    }
    const node = host.hostOf(session);
    json(res, 200, { host: { id: node.id, url: node.url } });
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
}
