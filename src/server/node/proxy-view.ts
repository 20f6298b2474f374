/**
 * How a node names itself and its peers to clients. Without a proxy, a node is its URL. Behind a
 * reverse proxy with sticky cookies (the seeds' HAProxy: `cookie SRVNAME insert`, `server s1 …
 * cookie S1`), every node is reached at the proxy's one URL, and what tells them apart is the cookie
 * that makes the proxy route to it. So welcome, redirect and drain name `{ id, url: proxy.url,
 * cookie }`: a client redirected to the session's host reconnects through the proxy with the host's
 * cookie. Peers keep dialling each other directly at their own URLs; this is for clients only.
 */
import type { NodeInfo } from '../../protocol/frames.js';

export interface ProxySettings {
  /** The proxy's public URL (`wss://cloud.example.com`). */
  readonly url: string;
  /** This node's sticky cookie there (`SRVNAME=S1`). */
  readonly cookie: string;
}

/** This node as clients should reach it. */
export function publicSelf(self: NodeInfo, proxy: ProxySettings | undefined): NodeInfo {
  return proxy === undefined ? { id: self.id, url: self.url } : { id: self.id, url: proxy.url, cookie: proxy.cookie };
}

/** A peer as clients should reach it: through the proxy when it has a cookie there, else directly. */
export function publicPeer(peer: NodeInfo, proxy: ProxySettings | undefined): NodeInfo {
  if (proxy === undefined || peer.cookie === undefined) return { id: peer.id, url: peer.url };
  return { id: peer.id, url: proxy.url, cookie: peer.cookie };
}
