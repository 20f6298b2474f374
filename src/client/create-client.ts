/**
 * The only file that assembles the layers: options -> resolvers (the cloud's DNS — over the
 * platform's DNS or DNS-over-HTTPS — and discovery documents, each with cache and last-known-good;
 * the caller's; the static list) -> node list -> policy (with cooldown) -> connector -> session ->
 * client. Platform entries call `createClient(platform, …)`.
 */
import { Cooldown } from '../core/cooldown.js';
import { randomId } from '../core/ids.js';
import { OptionsError, type GridlinkError } from '../core/errors.js';
import { latencyPolicy } from '../choose/latency.js';
import { createPolicy, type Policy } from '../choose/policy.js';
import { withCooldown } from '../choose/with-cooldown.js';
import { probeHealth } from '../dial/health.js';
import type { DnsLookup, Platform } from '../platform/types.js';
import { combineResolvers } from '../resolve/combine.js';
import { discoverySource } from '../resolve/discovery.js';
import { dnsResolver } from '../resolve/dns.js';
import { hostOf, NodeList } from '../resolve/node-list.js';
import type { AnswerSource, Resolver } from '../resolve/resolver.js';
import { withCache } from '../resolve/with-cache.js';
import { withLastKnownGood } from '../resolve/with-last-known-good.js';
import { Session } from '../session/session.js';
import { Client, type ClientHelper } from './client.js';
import { cloudLookup } from './cloud-resolver.js';
import { normalizeOptions, type ConnectOptions, type NormalizedOptions } from './options.js';

/** The DNS for `cloud` (DoH or the platform's), built once per client; refused where there is none. */
function dnsFor(platform: Platform, options: NormalizedOptions): DnsLookup | undefined {
  if (options.cloud === undefined) return undefined;
  return cloudLookup(platform, { dns: options.dns, doh: options.doh, timeoutMs: options.connectTimeoutMs });
}

/** Hosts a discovery document named: it vouches for them, as the cloud's DNS does for its IPs. */
const MAX_VOUCHED_HOSTS = 256;

function resolverFor(platform: Platform, options: NormalizedOptions, lookup: DnsLookup | undefined, helper: ClientHelper, nodes: NodeList, vouch: (host: string) => void): Resolver {
  const warn = (error: GridlinkError): void => helper.onError(error);
  // The cloud's own answers are cached for their lifetime and kept when their source fails.
  const cached = (source: AnswerSource): Resolver => withLastKnownGood(withCache(source, platform.now), (error) => helper.onNodes({ nodes: nodes.all(), source: 'stale', error }));
  const sources: Resolver[] = [];
  if (lookup !== undefined && options.cloud !== undefined) {
    sources.push(cached(dnsResolver(lookup, { cloud: options.cloud, scheme: options.scheme, port: options.port, maxNodes: options.maxNodes, onProblem: warn })));
  }
  if (options.discovery.length > 0) {
    const get = platform.fetch;
    if (get === undefined) throw new OptionsError('GRIDLINK_INVALID_OPTION', `discovery needs HTTP, which the ${platform.name} platform lacks`);
    const documents = discoverySource({ urls: options.discovery, get, timeoutMs: options.connectTimeoutMs, maxNodes: options.maxNodes, onProblem: warn });
    sources.push(
      cached({
        async lookup(signal) {
          const answer = await documents.lookup(signal);
          for (const node of answer.nodes) vouch(hostOf(node.url));
          return answer;
        },
      }),
    );
  }
  if (options.resolver !== undefined) sources.push(options.resolver);
  return combineResolvers(sources, options.nodes, warn);
}

function policyFor(platform: Platform, options: NormalizedOptions): Policy {
  if (options.policy !== 'latency') return createPolicy(options.policy);
  if (platform.fetch === undefined) throw new OptionsError('GRIDLINK_INVALID_OPTION', `policy 'latency' needs HTTP, which the ${platform.name} platform lacks`);
  return latencyPolicy({
    // The policy bounds each measurement with its own timeout, through `signal`.
    measure: async (node, signal) => (await probeHealth(platform, node, { signal })).rttMs,
    now: platform.now,
  });
}

export function createClient(platform: Platform, input: ConnectOptions): Client {
  const options = normalizeOptions(input);
  const clientId = options.clientId ?? randomId();
  const lookup = dnsFor(platform, options);
  const policy = policyFor(platform, options);
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
    const nodes = new NodeList(allow, options.maxNodes, (list, source) => helper.onNodes({ nodes: list, source }));
    return new Session(
      {
        session: options.session,
        clientId,
        maxBufferedBytes: options.maxBufferedBytes,
        maxHeldMessages: options.maxHeldMessages,
        ackDelayMs: options.ackDelayMs,
      },
      {
        platform,
        settings: options,
        resolver: resolverFor(platform, options, lookup, helper, nodes, vouch),
        nodes,
        policy: withCooldown(policy, cooldown),
        cooldown,
        logger: options.logger,
        token: options.token,
        warn: (error) => helper.onError(error),
      },
      helper,
    );
  }, options.signal);
  return client;
}
