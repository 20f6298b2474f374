/**
 * Starting a gridlink node (node.ts is the node itself): options checked, the HTTP listener bound,
 * the first answer of a peers-from-DNS source awaited, and the cloud's DNS server attached.
 */
import { createServer } from 'node:http';
import type { NodeInfo } from '../../protocol/frames.js';
import { startPeerSource } from '../peers/peer-source.js';
import { startDnsServer } from '../dns/server.js';
import { normalizeOptions, type NodeServerOptions } from './options.js';
import { listen, nodeServerOptions } from './listen.js';
import type { NodeServer } from './node-api.js';
import { Node } from './node.js';

export type { NodeServerOptions } from './options.js';
export type { NodeServer, NodeStats } from './node-api.js';

/** Starts a node listening on `host:port`; resolves once it accepts connections. */
export async function startNode(options: NodeServerOptions): Promise<NodeServer> {
  const config = normalizeOptions(options);
  const http = createServer(nodeServerOptions(config.connections.helloTimeoutMs));
  await listen(http, config.port, config.host);
  const address = http.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const hostPart = config.host.includes(':') ? `[${config.host}]` : config.host;
  const info: NodeInfo = { id: config.id, url: config.url ?? `ws://${hostPart}:${port}` };
  // Peers from DNS: the first answer is awaited, so the node starts with the cloud it will place on.
  let node: Node | undefined;
  const source = config.peerSource === undefined ? undefined : await startPeerSource(config, info, (peers) => node?.setPeers(peers));
  node = new Node(source === undefined ? config : { ...config, peers: source.peers }, http, info, port, source);
  if (config.dns !== undefined) {
    try {
      const { zone, port: dnsPort, host, ttlSec } = config.dns;
      node.attachDns(await startDnsServer({ zone, port: dnsPort, host, ttlSec, view: node.view, logger: config.logger }));
    } catch (error) {
      await node.close();
      throw error;
    }
  }
  return node;
}
