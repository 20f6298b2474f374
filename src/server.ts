/**
 * `gridlink/server` (Node only): the kit a cloud node needs to speak the gridlink protocol, and the
 * local cloud that the demo, the examples and the tests run on.
 */
import { installSuggestions } from './core/suggest.js';

// A misspelt option gets its "did you mean …?" (validate.ts).
installSuggestions();

export { startNode } from './server/node/node-server.js';
export type { NodeServer, NodeServerOptions, NodeStats } from './server/node/node-server.js';
export type { NodeEvents, NodeJoinEvent, NodeLeaveEvent, NodeMessageEvent, NodeMigratedInEvent } from './server/node/node-events.js';
export type { AuthenticateRequest, AuthenticateResult } from './server/node/options.js';
export { jwtAuthenticator, MAX_META_BYTES } from './server/auth/jwt.js';
export { publishKey } from './server/publish/publish-options.js';
export type { PublishRouteOptions } from './server/publish/publish-options.js';
export type { PublishOptions, PublishResult } from './server/publish/publisher.js';
export type { JwtAuthenticator, JwtAuthOptions, JwtRejection, JwtRejectReason, JwtVerdict } from './server/auth/jwt.js';
export { startDnsServer } from './server/dns/server.js';
export type { DnsServer, DnsServerOptions } from './server/dns/server.js';
export type { CloudView, CloudSnapshot, CloudNode, NodeLoad } from './server/dns/view.js';
export { startLocalCloud } from './cloud/local-cloud.js';
export type { LocalCloud, LocalCloudOptions, LocalNodeRef, LocalNodeView } from './cloud/local-cloud.js';
export { startFaultProxy } from './cloud/fault-proxy.js';
export type { FaultProxy, FaultProxyOptions } from './cloud/fault-proxy.js';
export { rendezvousOwner, rendezvousRank } from './protocol/rendezvous.js';
export type { NodeInfo } from './protocol/frames.js';
export * from './core/errors.js';
export type { Logger } from './core/logger.js';
