/**
 * The node's plain HTTP endpoints, beside the WebSocket upgrades:
 *   GET /healthz               {"id","status":"ok"|"draining","load":{"links","sessions"},"dns"?}
 *   GET /host?session=<id>     {"host":{"id","url"}}: where a hello for the session would be sent now;
 *                              with an `authenticate` hook, only for `Authorization: Bearer <token>`
 *                              that the hook accepts for that session (else 401), as a hello would
 *   GET /status?node=<id>      {"node","status":"alive"|"dead"|"unknown"}: whether this node counts a peer gone,
 *                              asked by a client whose host went quiet; may wait for news (`status.ts`)
 *   GET /.well-known/gridlink  the discovery document (`discovery.ts`): the cloud's nodes, best first
 *   GET|POST /dns-query        DNS-over-HTTPS (`dns/doh.ts`), when the node runs the cloud's DNS
 *   GET /metrics               Prometheus text format (`metrics/serve.ts`), when the `metrics` option is set;
 *                              without CORS: it is for the operator's scraper, not for pages
 * The first two are for operators and tools (`gridlink probe`, the latency policy); the last two
 * are how browser pages find the cloud.
 *
 * CORS: every answer carries `Access-Control-Allow-Origin: *` — pages on any origin may read them,
 * none of them depends on who asks beyond a bearer token the page holds itself, and without credentials (never allowed with `*`) a page cannot
 * make a node act on a user's cookies. Preflights (a DoH POST's `content-type` needs one) are
 * answered for the two discovery routes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isProtocolId, MAX_ID_LENGTH, MAX_TOKEN_LENGTH } from '../../protocol/codec.js';
import type { NodeInfo } from '../../protocol/frames.js';
import { WELL_KNOWN_PATH, type DiscoveryDocument } from './discovery.js';
import { DOH_PATH, serveDoh, type DnsAnswerer } from '../dns/doh.js';
import type { NodeLoad } from '../dns/view.js';
import type { AuthenticateRequest, NodeServerOptions } from '../node/options.js';
import { METRICS_PATH } from '../metrics/serve.js';
import { serveStatus, STATUS_PATH, type PeerStatus } from './status.js';

export interface RouteHost {
  readonly id: string;
  running(): boolean;
  load(): NodeLoad;
  hostOf(session: string): NodeInfo;
  /**
   * The node's `authenticate` hook, when it has one: `/host` then answers only a caller the hook
   * accepts for that session, since a hello would not learn the host either before the hook ran.
   */
  readonly authenticate?: NodeServerOptions['authenticate'];
  /** `host:port` of this node's DNS server, when it runs one. */
  dnsAddress(): string | undefined;
  /** Answers a DNS query given as bytes; undefined when the node runs no DNS server (DoH is then 404). */
  dnsQuery?(query: Uint8Array, source: string): Uint8Array | undefined;
  /** The discovery document, as this node sees the cloud, for an asker at `source`. */
  discovery?(source: string): DiscoveryDocument;
  /** Answers `/status`: whether the peer monitor counts a node gone (see `status.ts`). */
  peerStatus?: PeerStatus;
  /** Answers `/metrics`; undefined when the node does not serve metrics (404). */
  metrics?(req: IncomingMessage, res: ServerResponse): void;
}

const CORS = { 'access-control-allow-origin': '*' };
const PREFLIGHT = {
  ...CORS,
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'content-type, accept',
  'access-control-max-age': '86400',
};

function json(res: ServerResponse, status: number, body: unknown, cache = 'no-store'): void {
  res.writeHead(status, { ...CORS, 'content-type': 'application/json', 'cache-control': cache }).end(JSON.stringify(body));
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { ...CORS, 'content-type': 'text/plain' }).end('not found\n');
}

/** The asker's IP without the IPv4-mapped prefix (as the DNS server sees UDP askers). */
function sourceOf(req: IncomingMessage): string {
  return (req.socket.remoteAddress ?? '').replace(/^::ffff:(?=\d+\.)/, '');
}

export function handleRequest(req: IncomingMessage, res: ServerResponse, host: RouteHost): void {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://node');
  } catch {
    res.writeHead(400, { 'content-type': 'text/plain' }).end('bad request\n');
    return;
  }
  const path = url.pathname;
  if (req.method === 'OPTIONS' && (path === DOH_PATH || path === WELL_KNOWN_PATH)) {
    res.writeHead(204, PREFLIGHT).end();
    return;
  }
  if (path === DOH_PATH) {
    if (host.dnsQuery === undefined || host.dnsAddress() === undefined) return notFound(res);
    const answer: DnsAnswerer = (query, source) => host.dnsQuery?.(query, source);
    void serveDoh(req, res, url, answer, sourceOf(req), CORS);
    return;
  }
  if (req.method === 'GET' && path === WELL_KNOWN_PATH && host.discovery !== undefined) {
    const document = host.discovery(sourceOf(req));
    json(res, 200, document, `max-age=${document.ttl}`);
    return;
  }
  if (req.method === 'GET' && path === '/healthz') {
    const dns = host.dnsAddress();
    json(res, 200, { id: host.id, status: host.running() ? 'ok' : 'draining', load: host.load(), ...(dns === undefined ? {} : { dns }) });
    return;
  }
  if (req.method === 'GET' && path === '/host') {
    const session = url.searchParams.get('session');
    if (!isProtocolId(session)) {
      json(res, 400, { error: `query parameter 'session' must be a session id (1..${MAX_ID_LENGTH} characters, no control characters)` });
      return;
    }
    void answerHost(req, res, host, session);
    return;
  }
  if (req.method === 'GET' && path === STATUS_PATH) return serveStatus(req, res, url, host.peerStatus);
  if (path === METRICS_PATH && host.metrics !== undefined) return host.metrics(req, res);
  notFound(res);
}

/** How long `/host` waits for the hook (a hello's own wait is the node's handshake timeout / 2). */
export const HOST_AUTH_TIMEOUT_MS = 5_000;

/** The same answer for a missing, refused or slow credential: nothing about the session leaks. */
function unauthorized(res: ServerResponse): void {
  res
    .writeHead(401, { ...CORS, 'content-type': 'application/json', 'cache-control': 'no-store', 'www-authenticate': 'Bearer' })
    .end(JSON.stringify({ error: 'authentication required: send Authorization: Bearer <token> accepted for this session' }));
}

async function answerHost(req: IncomingMessage, res: ServerResponse, host: RouteHost, session: string): Promise<void> {
  if (host.authenticate !== undefined && !(await allowed(host.authenticate, req, session))) return unauthorized(res);
  if (res.destroyed) return;
  const node = host.hostOf(session);
  json(res, 200, { host: { id: node.id, url: node.url } });
}

/** Asks the hook about a bearer token, as a hello would be asked about; a throw or timeout is a no. */
async function allowed(hook: NonNullable<RouteHost['authenticate']>, req: IncomingMessage, session: string): Promise<boolean> {
  const token = bearer(req.headers.authorization);
  if (token === undefined) return false;
  // No client asks here: `client` is empty and `resumed` false, so a hook that needs either says no.
  const request: AuthenticateRequest = { token, session, client: '', address: sourceOf(req), resumed: false };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), HOST_AUTH_TIMEOUT_MS);
    timer.unref();
  });
  try {
    const verdict = new Promise<unknown>((resolve) => resolve(hook(request))).then(
      // An identity (`{ meta }`) admits, like true.
      (ok) => ok === true || (typeof ok === 'object' && ok !== null),
      () => false,
    );
    return await Promise.race([verdict, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The token of `Authorization: Bearer <token>`, within the length a hello's token may have. */
function bearer(header: string | undefined): string | undefined {
  const match = /^Bearer +(\S+) *$/i.exec(header ?? '');
  const token = match?.[1];
  return token === undefined || token.length > MAX_TOKEN_LENGTH ? undefined : token;
}
