/**
 * The node options that name other nodes — `peers`, `peersFrom` / `peersDnsServers` and `proxy` —
 * normalized for options.ts: each mistake fails naming the option, as everywhere in the node's options.
 */
import { MAX_ID_LENGTH, isCookiePair } from '../../protocol/codec.js';
import type { NodeInfo } from '../../protocol/frames.js';
import { fail, group, list, optionKeys, text, wsUrl } from '../../core/validate.js';
import { parseDnsServer, parsePeerSource, type PeerSourceSpec } from '../peers/peer-source.js';
import type { ProxySettings } from './proxy-view.js';

/** Peers read from DNS: what to ask, and which servers (undefined: the system's resolver). */
export interface PeerSourceConfig {
  readonly spec: PeerSourceSpec;
  readonly servers: readonly string[] | undefined;
}

const PEER_KEYS = optionKeys<NodeInfo>({ id: true, url: true, cookie: true });
const PROXY_KEYS = optionKeys<ProxySettings>({ url: true, cookie: true });

export function peers(value: unknown, self: string): NodeInfo[] {
  if (value === undefined) return [];
  const out: NodeInfo[] = [];
  const seen = new Set<string>();
  list('peers', value, '{ id, url }').forEach((entry: unknown, i) => {
    const peer = group(`peers[${i}]`, entry, PEER_KEYS);
    if (peer === undefined) return fail(`peers[${i}]`, 'must be an object { id, url }');
    const peerId = text(`peers[${i}].id`, peer.id, MAX_ID_LENGTH);
    const url = checkedUrl(`peers[${i}].url`, peer.url);
    if (seen.has(peerId)) fail(`peers[${i}].id`, `'${peerId}' is listed twice`);
    seen.add(peerId);
    const cookie = peer.cookie;
    if (cookie !== undefined && !isCookiePair(cookie)) fail(`peers[${i}].cookie`, `must be one name=value cookie pair like 'SRVNAME=S2'`);
    // A local cloud may hand every node the full list; a node is not its own peer.
    if (peerId !== self) out.push(cookie === undefined ? { id: peerId, url } : { id: peerId, url, cookie });
  });
  return out;
}

export function peerSource(options: Record<string, unknown>): PeerSourceConfig | undefined {
  if (options.peersFrom === undefined) {
    if (options.peersDnsServers !== undefined) fail('peersDnsServers', 'is set but peersFrom is not');
    return undefined;
  }
  if (Array.isArray(options.peers) ? options.peers.length > 0 : options.peers !== undefined) fail('peersFrom', 'cannot be combined with peers: list the peers, or read them from DNS');
  const source = text('peersFrom', options.peersFrom);
  let spec: PeerSourceSpec;
  try {
    spec = parsePeerSource(source);
  } catch (error) {
    return fail('peersFrom', (error as Error).message);
  }
  if (options.peersDnsServers === undefined) return { spec, servers: undefined };
  const servers = list('peersDnsServers', options.peersDnsServers, `DNS servers like '127.0.0.1:5353'`, 8).map((entry: unknown, i) => {
    try {
      return parseDnsServer(text(`peersDnsServers[${i}]`, entry));
    } catch (error) {
      return fail(`peersDnsServers[${i}]`, (error as Error).message);
    }
  });
  return { spec, servers };
}

/** The URL as given (it is advertised as the caller wrote it), once it checks out as ws(s). */
export function checkedUrl(name: string, value: unknown): string {
  wsUrl(name, value);
  return value as string;
}

export function proxySettings(value: unknown, peerList: readonly NodeInfo[]): ProxySettings | undefined {
  const proxy = group('proxy', value, PROXY_KEYS);
  if (proxy === undefined) {
    if (peerList.some((peer) => peer.cookie !== undefined)) fail('peers[].cookie', 'is set but proxy is not: peer cookies name nodes behind the proxy');
    return undefined;
  }
  const url = checkedUrl('proxy.url', proxy.url);
  const cookie = proxy.cookie;
  if (!isCookiePair(cookie)) fail('proxy.cookie', `must be one name=value cookie pair like 'SRVNAME=S1'`);
  const name = cookie.slice(0, cookie.indexOf('=') + 1);
  peerList.forEach((peer, i) => {
    if (peer.cookie !== undefined && !peer.cookie.startsWith(name)) fail(`peers[${i}].cookie`, `must use the proxy's cookie name (${name.slice(0, -1)})`);
  });
  return { url, cookie };
}
