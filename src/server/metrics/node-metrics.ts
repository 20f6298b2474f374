/**
 * A node's Prometheus series (docs/operations.md, "Metrics", lists them with what to alert on).
 *
 * Every node has its own `Registry`, never prom-client's global one: several nodes may run in one
 * process (the local cloud, tests), and each must report only itself. Nothing here runs on the hot
 * path: the counts are plain fields (`tally.ts`, `SessionHost.counters()`, `DnsServer.counts()`)
 * and gauges are read from the node's own structures, all in `collect` callbacks at scrape time.
 * Labels are bounded enums (states, reasons, codes, transports); no session, client or peer id is
 * ever a label.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { DnsCounts, Transport } from '../dns/server.js';
import type { PeerLinkKind } from '../peers/outbound-peer.js';
import type { StandingKind } from '../peers/monitor.js';
import { PUBLISH_STATUSES, type NodeTally, type RedirectReason, type RefusalCode } from './tally.js';

/** What the registry reads from a running node, at scrape time only. */
export interface MetricsSource {
  readonly id: string;
  readonly tally: NodeTally;
  links(): number;
  sessions(): { sessions: number; members: number };
  counters(): { relayed: number; migratedIn: number; migratedOut: number };
  peers(): readonly { link: PeerLinkKind; standing: StandingKind }[];
  /** Undefined when the node runs no DNS server. */
  dns(): DnsCounts | undefined;
  draining(): boolean;
}

export const PEER_LINK_STATES: readonly PeerLinkKind[] = ['waiting', 'dialing', 'proving', 'open', 'heard', 'stopped'];
export const PEER_STANDINGS: readonly StandingKind[] = ['unheard', 'alive', 'probing', 'unanswered', 'draining', 'stopped'];
const REDIRECT_REASONS: readonly RedirectReason[] = ['not-host', 'draining'];
const REFUSAL_CODES: readonly RefusalCode[] = ['busy', 'version', 'unauthorized', 'rejected', 'draining'];
const TRANSPORTS: readonly Transport[] = ['udp', 'tcp', 'https'];
/** RFC 1035/2136 names of the codes a DNS header carries; the rest by number. */
const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE'];

export const PREFIX = 'gridlink_';

/** A counter whose value is read from `read` at scrape time (set, never counted here). */
function counterOf(registry: Registry, name: string, help: string, read: () => number): void {
  const counter: Counter = new Counter({
    name: PREFIX + name,
    help,
    registers: [registry],
    collect: () => {
      counter.reset();
      counter.inc(read());
    },
  });
}

function gaugeOf(registry: Registry, name: string, help: string, read: () => number): void {
  const gauge: Gauge = new Gauge({ name: PREFIX + name, help, registers: [registry], collect: () => gauge.set(read()) });
}

/**
 * The node's registry. `processMetrics` adds prom-client's default process and Node.js series
 * (`process_*`, `nodejs_*`, under their usual names so stock dashboards work): once per registry,
 * and a registry is made once per node.
 */
export function createRegistry(source: MetricsSource, processMetrics: boolean): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ node: source.id });
  gaugeOf(registry, 'client_links', 'Open client links (WebSocket connections from clients).', () => source.links());
  gaugeOf(registry, 'sessions', 'Sessions this node hosts.', () => source.sessions().sessions);
  gaugeOf(registry, 'members', 'Members of the sessions this node hosts, attached or away.', () => source.sessions().members);
  gaugeOf(registry, 'draining', '1 while the node drains (or has closed), else 0.', () => (source.draining() ? 1 : 0));
  counterOf(registry, 'joins_total', 'Hellos that joined a session on this node.', () => source.tally.joins);
  counterOf(registry, 'migrations_in_total', 'Sessions that arrived on this node by migration (their first hello came from another host).', () => source.counters().migratedIn);
  counterOf(registry, 'migrations_out_total', 'Sessions this node handed over to a new host (rebalancing).', () => source.counters().migratedOut);
  counterOf(registry, 'relayed_messages_total', 'Messages relayed (one per message a member sent, whatever the fan-out).', () => source.counters().relayed);
  counterOf(registry, 'relayed_bytes_total', 'Wire bytes of the msg frames members sent for relay, as received.', () => source.tally.relayedBytes);

  const redirects: Counter<'reason'> = new Counter({
    name: `${PREFIX}redirects_total`,
    help: 'Hellos answered with a redirect to another node, by reason.',
    labelNames: ['reason'],
    registers: [registry],
    collect: () => {
      redirects.reset();
      for (const reason of REDIRECT_REASONS) redirects.inc({ reason }, source.tally.redirects[reason]);
    },
  });
  const refusals: Counter<'code'> = new Counter({
    name: `${PREFIX}refusals_total`,
    help: 'Hellos refused with an error frame, by its code.',
    labelNames: ['code'],
    registers: [registry],
    collect: () => {
      refusals.reset();
      for (const code of REFUSAL_CODES) refusals.inc({ code }, source.tally.refusals[code]);
    },
  });
  const publishes: Counter<'status'> = new Counter({
    name: `${PREFIX}publish_requests_total`,
    help: 'HTTP publish requests (POST /sessions/{id}/messages) answered, by HTTP status; forwarded ones count on both nodes.',
    labelNames: ['status'],
    registers: [registry],
    collect: () => {
      publishes.reset();
      for (const status of PUBLISH_STATUSES) publishes.inc({ status }, source.tally.publishRequests[status]);
    },
  });
  const timeouts: Counter<'link'> = new Counter({
    name: `${PREFIX}heartbeat_timeouts_total`,
    help: 'Links closed because the other end fell silent for the heartbeat timeout, by kind of link.',
    labelNames: ['link'],
    registers: [registry],
    collect: () => {
      timeouts.reset();
      timeouts.inc({ link: 'client' }, source.tally.clientHeartbeatTimeouts);
      timeouts.inc({ link: 'peer' }, source.tally.peerHeartbeatTimeouts);
    },
  });
  const peerLinks: Gauge<'state'> = new Gauge({
    name: `${PREFIX}peer_links`,
    help: "This node's links to its peers, by state (heard: the peer answers).",
    labelNames: ['state'],
    registers: [registry],
    collect: () => {
      const states = source.peers();
      for (const state of PEER_LINK_STATES) peerLinks.set({ state }, states.filter((peer) => peer.link === state).length);
    },
  });
  const peers: Gauge<'standing'> = new Gauge({
    name: `${PREFIX}peers`,
    help: 'Peers by standing in placement (alive and probing ones take sessions).',
    labelNames: ['standing'],
    registers: [registry],
    collect: () => {
      const states = source.peers();
      for (const standing of PEER_STANDINGS) peers.set({ standing }, states.filter((peer) => peer.standing === standing).length);
    },
  });
  const dns: Counter<'transport' | 'rcode'> = new Counter({
    name: `${PREFIX}dns_queries_total`,
    help: "Queries to the node's DNS server, by transport and response code (rcode 'dropped': not answered).",
    labelNames: ['transport', 'rcode'],
    registers: [registry],
    collect: () => {
      dns.reset();
      const counts = source.dns();
      if (counts === undefined) return;
      for (const transport of TRANSPORTS) {
        const { answered, dropped } = counts[transport];
        answered.forEach((count, code) => {
          // Codes never seen stay out, except the usual ones, so rates over them start at zero.
          if (count > 0 || code <= 5) dns.inc({ transport, rcode: RCODES[code] ?? String(code) }, count);
        });
        dns.inc({ transport, rcode: 'dropped' }, dropped);
      }
    },
  });
  if (processMetrics) collectDefaultMetrics({ register: registry });
  return registry;
}
