/**
 * The only file that assembles the layers: options -> resolver -> node list -> policy (with
 * cooldown) -> connector -> session -> client. Platform entries call `createClient(platform, …)`.
 */
import { Cooldown } from '../core/cooldown.js';
import { randomId } from '../core/ids.js';
import { onAbort } from '../core/abort.js';
import { createPolicy } from '../choose/policy.js';
import { withCooldown } from '../choose/with-cooldown.js';
import type { Platform } from '../platform/types.js';
import { hostOf, NodeList } from '../resolve/node-list.js';
import { staticResolver, type Resolver } from '../resolve/resolver.js';
import { Session } from '../session/session.js';
import { Client } from './client.js';
import { normalizeOptions, type ConnectOptions, type NormalizedOptions } from './options.js';

/** The configured resolver first; the static list after it, and alone when the resolver fails. */
function resolverFor(options: NormalizedOptions): Resolver {
  const fixed = staticResolver(options.nodes);
  const custom = options.resolver;
  if (custom === undefined) return fixed;
  if (options.nodes.length === 0) return custom;
  return {
    async resolve(signal) {
      try {
        return [...(await custom.resolve(signal)), ...options.nodes];
      } catch (error) {
        if (signal.aborted) throw error;
        return options.nodes;
      }
    },
  };
}

export function createClient(platform: Platform, input: ConnectOptions): Client {
  const options = normalizeOptions(input);
  const clientId = options.clientId ?? randomId();
  const nodes = new NodeList(
    { hosts: new Set([...options.nodes.map((n) => hostOf(n.url)), ...options.allowHosts]), zones: options.allowHosts },
    options.maxNodes,
  );
  const cooldown = new Cooldown(options.cooldown, platform.now);
  const client = new Client(options.session, clientId, (helper) => {
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
        resolver: resolverFor(options),
        nodes,
        policy: withCooldown(createPolicy(options.policy), cooldown),
        cooldown,
        logger: options.logger,
        warn: (error) => helper.onError(error),
      },
      helper,
    );
  });
  if (options.signal !== undefined) {
    const signal = options.signal;
    const unsubscribe = onAbort(signal, () => void client.close());
    client.on('state', (state) => {
      if (state === 'closed' || state === 'failed') unsubscribe();
    });
  }
  return client;
}
