/**
 * Who is on the other end of a request, when a reverse proxy sits in between: the seeds' "allowed IP
 * addresses for frontends" plus "use X-Forwarded-For / X-Forwarded-Host". The forwarded headers are
 * believed only when the TCP peer is one of `trustedProxies`; from anyone else they are ignored
 * (anybody can send them). In `X-Forwarded-For`, each proxy appends the address it saw, so the
 * client is the rightmost hop that is not itself a trusted proxy: whatever a client wrote further
 * left is its own claim, never believed.
 */
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { inSubnets, plainAddress } from '../dns/subnets.js';

export interface ClientOrigin {
  /** The client's IP address as this node believes it. */
  readonly address: string;
  /** The host name the client asked for (`Host`, or `X-Forwarded-Host` from a trusted proxy). */
  readonly host: string | undefined;
  /** True when the forwarded headers were believed (the peer is a trusted proxy). */
  readonly forwarded: boolean;
}

const MAX_HOPS = 32;
// host, host:port, [v6]:port — letters, digits and the few punctuation marks a host can have.
const HOST = /^[A-Za-z0-9.\-_:[\]]{1,255}$/;

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function validHost(value: string | undefined): string | undefined {
  const host = value?.trim();
  return host !== undefined && HOST.test(host) ? host : undefined;
}

/** The client address from an `X-Forwarded-For` value; `peer` (trusted) when nothing better is there. */
export function clientFromForwardedFor(value: string, peer: string, trusted: readonly string[]): string {
  const hops = value.split(',').map((hop) => hop.trim()).slice(-MAX_HOPS);
  let client = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = plainAddress(hops[i] as string);
    // Garbage (or a port, or "unknown") ends the walk: nothing left of it can be believed either.
    if (isIP(hop) === 0) break;
    client = hop;
    if (!inSubnets(hop, trusted)) break;
  }
  return client;
}

/** The request's client, with forwarded headers believed only from a trusted proxy. */
export function clientOrigin(req: IncomingMessage, trusted: readonly string[]): ClientOrigin {
  const peer = plainAddress(req.socket.remoteAddress ?? '');
  const host = validHost(req.headers.host);
  if (trusted.length === 0 || !inSubnets(peer, trusted)) return { address: peer, host, forwarded: false };
  const forwardedFor = header(req, 'x-forwarded-for');
  const address = forwardedFor === undefined ? peer : clientFromForwardedFor(forwardedFor, peer, trusted);
  // A proxy that sets X-Forwarded-Host replaces any the client sent; the last value is the proxy's.
  const forwardedHost = header(req, 'x-forwarded-host')?.split(',').pop();
  return { address, host: validHost(forwardedHost) ?? host, forwarded: true };
}
