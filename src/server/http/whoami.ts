/**
 * `GET /whoami`: a diagnostic for operators setting up a reverse proxy. It answers what this node
 * believes about the request — the client's address and host (forwarded headers honoured only from
 * `trustedProxies`), which node answered, and whether the request carried this node's own sticky
 * cookie — so "is the proxy passing X-Forwarded-For, and is stickiness working?" is one curl away.
 * Not for clients' hot path.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../core/logger.js';
import type { HelloFrame } from '../../protocol/frames.js';
import { parseCookieHeader } from '../../protocol/cookie-header.js';
import { clientOrigin, type ClientOrigin } from './forwarded.js';

export interface WhoamiHost {
  readonly id: string;
  readonly trustedProxies: readonly string[];
  /** This node's sticky cookie behind the proxy (`SRVNAME=S1`), if it has one. */
  readonly cookie: string | undefined;
}

/** What a node records about a client's request (kept per client link, and logged). */
export interface RequestOrigin extends ClientOrigin {
  /** The request carried this node's own sticky cookie (undefined when the node has none). */
  readonly sticky: boolean | undefined;
}

export function requestOrigin(req: IncomingMessage, host: WhoamiHost): RequestOrigin {
  return { ...clientOrigin(req, host.trustedProxies), sticky: carriesCookie(req, host.cookie) };
}

function carriesCookie(req: IncomingMessage, cookie: string | undefined): boolean | undefined {
  if (cookie === undefined) return undefined;
  const header = req.headers.cookie;
  if (header === undefined) return false;
  return parseCookieHeader(header).some(([name, value]) => `${name}=${value}` === cookie);
}

/** Answers `GET /whoami`; returns false for any other request (the caller routes it). */
export function handleWhoami(req: IncomingMessage, res: ServerResponse, host: WhoamiHost): boolean {
  if (req.method !== 'GET' || !/^\/whoami(?:\?|$)/.test(req.url ?? '')) return false;
  const origin = requestOrigin(req, host);
  const body = { node: host.id, address: origin.address, host: origin.host ?? null, forwarded: origin.forwarded, ...(origin.sticky === undefined ? {} : { sticky: origin.sticky }) };
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
  return true;
}

/** One debug record per client link: who it is, as far as this node can tell (see docs/proxy.md). */
export function logLink(logger: Logger, hello: HelloFrame, origin: RequestOrigin): void {
  const { address, host, forwarded, sticky } = origin;
  logger.debug('client link', { client: hello.client, session: hello.session, address, host, forwarded, ...(sticky === undefined ? {} : { sticky }) });
}
