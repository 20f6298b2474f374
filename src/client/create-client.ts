/**
 * The only file that assembles the layers: options -> resolvers (the cloud's DNS and discovery
 * documents when the `cloudDiscovery` piece is given; the caller's; the static list) -> node list
 * -> policy (with cooldown) -> connector -> session -> client. Platform entries call
 * `createClient(platform, options, pieces)`; nothing here imports an opt-in piece (pieces.ts).
 */
import { Cooldown } from '../core/cooldown.js';
import { randomId } from '../core/ids.js';
import { silentLogger } from '../core/logger.js';
import { assignedPolicy, customPolicy, type Policy } from '../choose/policy.js';
import { withCooldown } from '../choose/with-cooldown.js';
import type { Platform } from '../platform/types.js';
import { combineResolvers } from '../resolve/combine.js';
import { hostOf, NodeList } from '../resolve/node-list.js';
import { Session } from '../session/session.js';
import { Client } from './client.js';
import { normalizeCoreOptions, type ConnectOptions, type NormalizedOptions } from './options.js';
import { missingPiece, pieceOf, type Piece, type PieceOf } from './pieces.js';

/** Hosts a discovery document named: it vouches for them, as the cloud's DNS does for its IPs. */
const MAX_VOUCHED_HOSTS = 256;

function policyFor(platform: Platform, options: NormalizedOptions, pieces: readonly Piece[]): Policy {
  const { policy } = options;
  if (typeof policy === 'function') return customPolicy(policy);
  if (policy === 'assigned') return assignedPolicy;
  const piece = pieceOf(pieces, 'policy', policy);
  if (piece === undefined) missingPiece(`policy '${policy}'`, policy === 'round-robin' ? 'roundRobinPolicy' : `${policy}Policy`);
  return piece.build(platform);
}

/**
 * The cloud piece, when the options name a cloud or discovery documents. That the piece was given
 * is already checked: without it, normalizing the options refuses every cloud option.
 */
function cloudPiece(options: NormalizedOptions, pieces: readonly Piece[]): PieceOf<'cloud'> | undefined {
  return options.cloud !== undefined || options.discovery.length > 0 ? pieceOf(pieces, 'cloud') : undefined;
}

/**
 * A client of `platform` with the entry's own `builtIn` pieces plus those in the options' `use`
 * (the Node entry passes every piece; the browser core none).
 */
export function createClient(platform: Platform, input: ConnectOptions, builtIn: readonly Piece[] = []): Client {
  // `use` is read before the other options are checked: the cloud piece checks the cloud's options.
  const given = typeof input === 'object' && input !== null && Array.isArray(input.use) ? input.use.filter((p) => typeof p === 'object' && p !== null) : [];
  const options = normalizeCoreOptions(input, pieceOf([...builtIn, ...given], 'cloud')?.options);
  const pieces = [...builtIn, ...options.use];
  const clientId = options.clientId ?? randomId();
  const cloud = cloudPiece(options, pieces);
  // The DNS for `cloud` (DoH or the platform's), built once per client; refused where there is none.
  const lookup = cloud !== undefined && options.cloud !== undefined ? cloud.lookup(platform, options) : undefined;
  const policy = policyFor(platform, options, pieces);
  const lifecycle = pieceOf(pieces, 'lifecycle');
  const runtime = lifecycle === undefined || platform.watchLifecycle !== undefined ? platform : { ...platform, watchLifecycle: lifecycle.watch, isOffline: lifecycle.isOffline };
  const log = pieceOf(pieces, 'logger');
  if (options.logger !== undefined && log === undefined) missingPiece('logger', 'logging');
  const logger = options.logger === undefined || log === undefined ? silentLogger : log.wrap(options.logger);
  const cooldown = new Cooldown(options.cooldown, platform.now);
  // A `cloud` admits its own zone; the IPs its DNS answers are admitted by the node list itself.
  const zones = options.cloud === undefined ? options.allowHosts : [options.cloud, ...options.allowHosts];
  const hosts = new Set([...options.nodes.map((n) => hostOf(n.url)), ...options.allowHosts]);
  const allow = { hosts, zones };
  const configured = hosts.size;
  const vouch = (host: string): void => {
    if (hosts.size < configured + MAX_VOUCHED_HOSTS) hosts.add(host);
  };
  const client = new Client(options.session, clientId, (helper) => {
    const nodes = new NodeList(allow, options.maxNodes, helper);
    return new Session(
      {
        session: options.session,
        clientId,
        maxBufferedBytes: options.maxBufferedBytes,
        maxHeldMessages: options.maxHeldMessages,
        ackDelayMs: options.ackDelayMs,
        meta: options.meta,
        extras: pieceOf(pieces, 'extras')?.build,
      },
      {
        platform: runtime,
        settings: options,
        resolver: combineResolvers(
          [...(cloud?.sources({ platform, options, nodes, warn: (error) => helper.onError(error), onNodes: (event) => helper.onNodes(event), vouch }, lookup) ?? []), ...(options.resolver === undefined ? [] : [options.resolver])],
          options.nodes,
          (error) => helper.onError(error),
        ),
        nodes,
        policy: withCooldown(policy, cooldown),
        cooldown,
        logger,
        token: options.token,
      },
      helper,
    );
  }, options.signal);
  return client;
}
