/**
 * The shared public surface: types, errors and `createClient(platform, options)`. Platform entries
 * (`src/node.ts`, `src/browser.ts`) add `connect()` bound to their platform.
 */
export { Client } from './client/client.js';
export type { ClientEvents, ClientState, MessageMeta, MigrationInfo, NodesEvent, RequestInfo, RequestOptions, SendOptions } from './client/client.js';
export type { RequestError } from './session/requests.js';
export type { JsonValue } from './protocol/frames.js';
export { createClient } from './client/create-client.js';
export type { CloudResolverOptions, ConnectOptions } from './client/options.js';
export type { Policy, PolicyContext, PolicyFunction, PolicyName } from './choose/policy.js';
export { rendezvousOwner, rendezvousRank } from './protocol/rendezvous.js';
export type { ResolvedNode, Resolver } from './resolve/resolver.js';
export type { CachedResolver } from './resolve/with-cache.js';
export { staticResolver } from './resolve/resolver.js';
export type { NodeInfo, HeartbeatSettings } from './protocol/frames.js';
export { PROTOCOL_VERSION, SUBPROTOCOL } from './protocol/frames.js';
export type { MigrationCode, Reason, ReasonCode, StateChange, TransitionCode } from './core/state.js';
export type { Logger } from './core/logger.js';
export type { RetrySettings } from './core/retry.js';
export type { CooldownSettings } from './core/cooldown.js';
export type { ErrorCode, GridlinkErrorOptions } from './core/errors.js';
export {
  GridlinkError,
  OptionsError,
  ConnectError,
  LinkError,
  SessionError,
  ClosedError,
  isGridlinkError,
  hasCode,
} from './core/errors.js';
export type { DnsAddress, DnsLookup, DnsSrv, Platform } from './platform/types.js';
