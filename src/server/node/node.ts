/**
 * A running gridlink node: the HTTP listener (health check + WebSocket upgrades), the first-frame
 * switch between client links and peer links, and the node's lifecycle (running -> draining ->
 * closed). Each concern it wires together lives in its own file: client-link (one connection),
 * session-host (membership and delivery), placement (who hosts what), pins (placement's
 * exceptions), rebalance (moving sessions when placement changes), peers (who is alive), tokens
 * (resume). node-server.ts starts one.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { OptionsError } from '../../core/errors.js';
import { CloseCode, type NodeInfo } from '../../protocol/frames.js';
import { admit, type AdmissionDeps } from '../clients/admission.js';
import { ClientLink, type ClientLinkHost, type SessionFrame } from '../clients/client-link.js';
import { createLinkServer, type LinkFirstFrame } from './handshake.js';
import { upgrade, type UpgradeDeps } from './upgrade.js';
import { acceptPeer, type InboundPeer, type InboundPeerHost } from '../peers/inbound-peer.js';
import type { NodeConfig } from './options.js';
import { PeerMonitor } from '../peers/monitor.js';
import type { PeerSource } from '../peers/peer-source.js';
import { Placement } from '../placement/placement.js';
import { PinTable } from '../placement/pins.js';
import { Rebalancer } from '../placement/rebalance.js';
import { SessionHost } from '../sessions/session-host.js';
import { createTokenSigner, type TokenSigner } from '../clients/tokens.js';
import { welcomeBuilder } from '../clients/welcome.js';
import { createPeerAuth, type PeerAuth } from '../peers/auth.js';
import { createJoinLimit, type JoinLimit } from '../clients/join-limit.js';
import { LoadReporter, NodeCloudView } from '../peers/cloud-view.js';
import type { DnsServer } from '../dns/server.js';
import type { NodeLoad } from '../dns/view.js';
import { handleRequest } from '../http/routes.js';
import { discoveryDocument } from '../http/discovery.js';
import { handleWhoami, logLink, type RequestOrigin, type WhoamiHost } from '../http/whoami.js';
import { publicPeer, publicSelf } from './proxy-view.js';
import { guardConnections, waitForSockets, type ConnectionGuard } from './listen.js';
import { ConnectionLimit } from '../clients/connection-limit.js';
import type { NodeServer, NodeStats } from './node-api.js';
import { NodeTally } from '../metrics/tally.js';
import { metricsEndpoint, type MetricsEndpoint } from '../metrics/serve.js';
import { Emitter } from '../../core/emitter.js';
import { nodeEventObserver, type NodeEvents } from './node-events.js';
import { nodePublisher } from './node-publish.js';
import type { Publisher } from '../publish/publisher.js';
import type { PublishOptions, PublishResult } from '../publish/publish-api.js';
import { handlePublish } from '../http/publish-route.js';

/** The node's lifecycle: running -> draining -> closed (close() from either). */
type NodeState =
  | { kind: 'running' }
  | { kind: 'draining'; done: Promise<void>; allLeft: () => void }
  | { kind: 'closed'; done: Promise<void> };

/** How long close() lets clients answer the close handshake before cutting their sockets. */
const CLOSE_WAIT_MS = 250;

export class Node extends Emitter<NodeEvents> implements NodeServer {
  readonly id: string;
  private state: NodeState = { kind: 'running' };
  private readonly wss: WebSocketServer;
  private readonly tokens: TokenSigner;
  private readonly peerAuth: PeerAuth;
  private readonly joinLimit: JoinLimit;
  private readonly sessions: SessionHost;
  private readonly peers: PeerMonitor;
  private readonly placement: Placement;
  private readonly pins: PinTable;
  private readonly rebalancer: Rebalancer;
  private readonly links = new Set<ClientLink>();
  private readonly inbound = new Set<InboundPeer>();
  /** What this node's DNS server answers from; kept up to date even without one (cheap). */
  readonly view: NodeCloudView;
  private readonly loadReporter: LoadReporter;
  private dnsServer: DnsServer | undefined;
  /** This node and its peers as clients reach them (through the proxy, with cookies, if any). */
  private readonly publicInfo: NodeInfo;
  private readonly publicNodes: NodeInfo[];
  private readonly whoami: WhoamiHost;
  /** Each kind of connection reports to its own host, so each callback knows what it was given. */
  private readonly clientHost: ClientLinkHost;
  private readonly peerHost: InboundPeerHost;
  private readonly welcome: ReturnType<typeof welcomeBuilder>;
  private readonly admission: AdmissionDeps;
  /** Every accepted socket, counted against the connection limits until it says hello. */
  private readonly guard: ConnectionGuard;
  /** Counted always (plain fields); served at `/metrics` only when the option asks. */
  private readonly tally = new NodeTally();
  private readonly metrics: MetricsEndpoint | undefined;
  private readonly publisher: Publisher;
  /** The peers as this node dials them (peers from DNS replace them). */
  private peerList: readonly NodeInfo[];

  constructor(
    private readonly config: NodeConfig,
    private readonly http: Server,
    readonly info: NodeInfo,
    readonly port: number,
    private readonly peerSource?: PeerSource,
  ) {
    super();
    this.id = config.id;
    this.peerList = config.peers;
    this.publicInfo = publicSelf(info, config.proxy);
    this.publicNodes = [this.publicInfo, ...config.peers.map((peer) => publicPeer(peer, config.proxy))];
    this.whoami = { id: config.id, trustedProxies: config.trustedProxies, cookie: config.proxy?.cookie };
    this.tokens = createTokenSigner(config.secret, config.tokenTtlMs, Date.now, config.acceptedSecrets);
    this.peerAuth = createPeerAuth(config.sharedSecret, config.acceptedSecrets);
    this.welcome = welcomeBuilder({ node: this.publicInfo, nodes: this.publicNodes, heartbeat: config.heartbeat, tokens: this.tokens, maxFrameBytes: config.maxFrameBytes, maxMetaBytes: config.maxMetaBytes });
    this.clientHost = { frame: (link, frame, payloadJson) => this.clientFrame(link, frame, payloadJson), closed: (link, code) => this.clientClosed(link, code), tally: this.tally };
    this.peerHost = {
      opened: (peerId) => this.peers.peerDialled(peerId),
      drained: (peerId) => this.peers.noteDrain(peerId),
      loadReported: (peerId, load) => this.view.noteLoad(peerId, load),
      closed: (link, code) => this.peerClosed(link, code),
    };
    // Bursts of twice the rate: a cloud's worth of clients behind one NAT reconnecting after a
    // failure should mostly fit; a loop of hellos from one address should not.
    this.joinLimit = createJoinLimit(config.maxJoinsPerSecond, Math.max(1, 2 * config.maxJoinsPerSecond));
    this.sessions = new SessionHost({
      settleMs: config.settleMs,
      memberGraceMs: config.memberGraceMs,
      logger: config.logger,
      verifyResume: (token, session, client) => this.tokens.verify(token, session, client),
      // Without a shared secret each node signs with its own random key: another node's token
      // cannot be checked here, so a member announced by a co-member is claimed without one.
      verifiesForeignTokens: config.sharedSecret !== undefined,
      maxMembers: config.maxMembersPerSession,
      maxClaimedMembers: config.maxClaimedMembers,
      maxSharedKeys: config.maxSharedKeys,
      maxSharedBytes: config.maxSharedBytes,
      onSessionEnded: (session) => this.pins.release(session),
      observer: nodeEventObserver(this, config.logger),
    });
    // This node's claims go out on the links its peers dialled: those are the links each peer
    // judges this node alive by, so a claim is heard exactly as long as it can count.
    this.pins = new PinTable(config.id, {
      announce: (frame) => {
        for (const peer of this.inbound) peer.send(frame);
      },
      changed: () => this.rebalancer.schedule(),
      logger: config.logger,
    });
    this.view = new NodeCloudView({
      self: info,
      peers: config.peers,
      place: config,
      load: () => this.load(),
      running: () => this.state.kind === 'running',
      alivePeers: () => this.peers.alive(),
      settled: () => this.peers.isSettled(),
    });
    this.peers = new PeerMonitor({
      self: config.id,
      auth: this.peerAuth,
      peers: config.peers,
      heartbeat: config.peerHeartbeat,
      logger: config.logger,
      onChange: () => this.rebalancer.schedule(),
      onLoad: (peerId, frame) => this.view.noteLoad(peerId, frame),
      currentLoad: () => this.view.ownLoad(),
      onPin: (peerId, frame) => this.pins.note(peerId, frame),
      onLinkDown: (peerId) => this.pins.forget(peerId),
      onState: (change) => {
        if (change.machine === 'link' && change.reason.code === 'silent') this.tally.peerHeartbeatTimeouts++;
      },
    });
    this.loadReporter = new LoadReporter(this.view, (frame) => this.peers.broadcast(frame), config.peerHeartbeat.intervalMs);
    // Placement's answers go to clients (redirect, drain.to), so it names nodes as clients reach them.
    this.placement = new Placement({
      self: this.publicInfo,
      peers: this.publicNodes.slice(1),
      view: this.peers,
      pins: this.pins,
      draining: () => this.state.kind !== 'running',
      logger: config.logger,
    });
    this.rebalancer = new Rebalancer({
      self: config.id,
      sessions: this.sessions,
      placement: this.placement,
      pins: this.pins,
      delayMs: config.peerHeartbeat.intervalMs,
      running: () => this.state.kind === 'running',
      logger: config.logger,
    });
    // Built once for every hello, not per client link.
    this.admission = {
      placement: this.placement,
      sessions: this.sessions,
      logger: config.logger,
      joinLimit: this.joinLimit,
      authenticate: config.authenticate,
      // Half the handshake timeout: a link says nothing before its welcome, so its liveness
      // deadline (the same length) must not cut it before we can answer `busy`.
      authTimeoutMs: config.handshakeTimeoutMs / 2,
      maxMetaBytes: config.maxMetaBytes,
      verifyResume: (token, session, client) => this.tokens.verify(token, session, client),
      welcome: this.welcome,
      tally: this.tally,
    };
    this.wss = createLinkServer(config.maxFrameBytes, config.logger);
    // Registered before the request and upgrade handlers below, so those always find the socket counted.
    this.guard = guardConnections(http, new ConnectionLimit(config.connections), config.trustedProxies, config.logger);
    http.on('request', (req: IncomingMessage, res: ServerResponse) => this.request(req, res));
    const upgrades: UpgradeDeps = { guard: this.guard, wss: this.wss, whoami: this.whoami, limits: config, logger: config.logger, closed: () => this.state.kind === 'closed', accept: (ws, first, origin, socket) => this.accept(ws, first, origin, socket) };
    http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => upgrade(req, socket, head, upgrades));
    http.on('error', (error) => config.logger.error('http server error', { error: error.message }));
    this.metrics = metricsEndpoint(config.metrics, {
      id: config.id, tally: this.tally, links: () => this.links.size, sessions: () => this.sessions.stats(), counters: () => this.sessions.counters(),
      peers: () => this.peers.states(), dns: () => this.dnsServer?.counts(), draining: () => this.state.kind !== 'running',
    });
    this.publisher = nodePublisher({ config, self: info, peers: () => this.peerList, running: () => this.state.kind === 'running', hostOf: (session) => this.placement.hostOf(session), settled: () => this.peers.settled(), sessions: this.sessions });
    this.peers.start();
    config.logger.info('node listening', { node: config.id, url: info.url });
  }

  /** The peer set changed (peers from DNS): every part that names peers follows it. */
  setPeers(peers: readonly NodeInfo[]): void {
    if (this.state.kind === 'closed') return;
    const publicPeers = peers.map((peer) => publicPeer(peer, this.config.proxy));
    // In place: the welcome builder and discovery read this very array.
    this.publicNodes.splice(1, this.publicNodes.length - 1, ...publicPeers);
    this.peerList = peers;
    this.view.setPeers(peers);
    this.placement.setPeers(publicPeers);
    this.peers.setPeers(peers);
    this.rebalancer.schedule();
  }

  get url(): string {
    return this.info.url;
  }

  get dns(): NodeServer['dns'] {
    const server = this.dnsServer;
    return server === undefined ? undefined : { address: server.address, host: server.host, port: server.port };
  }

  attachDns(server: DnsServer): void {
    this.dnsServer = server;
  }

  load(): NodeLoad {
    return { links: this.links.size, sessions: this.sessions.stats().sessions };
  }

  stats(): NodeStats {
    return { id: this.id, links: this.links.size, ...this.sessions.stats(), alivePeers: this.peers.alive() };
  }

  hostOf(session: string): NodeInfo {
    return this.placement.hostOf(session);
  }

  publish(session: string, data: string | Uint8Array, options?: PublishOptions): Promise<PublishResult> {
    return this.publisher.publish(session, data, options);
  }

  drain(options: { deadlineMs?: number } = {}): Promise<void> {
    // Checked before the drain's wait starts: a refused drain must not start one.
    if (this.state.kind !== 'running') return this.state.done;
    const deadlineMs = options.deadlineMs ?? this.config.drainDeadlineMs;
    if (typeof deadlineMs !== 'number' || !Number.isFinite(deadlineMs) || deadlineMs < 0) {
      throw new OptionsError('GRIDLINK_INVALID_OPTION', 'deadlineMs must be a finite number >= 0');
    }
    let allLeft!: () => void;
    const left = new Promise<void>((resolve) => (allLeft = resolve));
    const done = (async () => {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs)));
      await Promise.race([left, deadline]);
      clearTimeout(timer);
      for (const link of [...this.links]) link.close(CloseCode.drained, 'drained');
      await this.shutdown();
    })();
    this.transition(['running'], { kind: 'draining', done, allLeft });
    this.config.logger.info('node draining', { node: this.id, deadlineMs, links: this.links.size });
    // Leave placement first, so peers stop sending clients here before the clients start moving.
    this.peers.announceDrain();
    for (const peer of this.inbound) peer.send({ t: 'peer-drain' });
    // Tell each client where its session goes next, so it need not search for it.
    for (const link of this.links) {
      if (!link.attached) continue;
      const next = this.placement.decide(link.hello);
      link.send(next.kind === 'redirect' ? { t: 'drain', deadlineMs, to: next.node } : { t: 'drain', deadlineMs });
    }
    if (this.links.size === 0) allLeft();
    return done;
  }

  close(): Promise<void> {
    if (this.state.kind === 'closed') return this.state.done;
    return this.shutdown();
  }

  // ---- connections' hosts --------------------------------------------------------------------

  private clientFrame(link: ClientLink, frame: SessionFrame, payloadJson?: string): void {
    switch (frame.t) {
      case 'msg':
        this.sessions.relay(link, frame, payloadJson);
        break;
      case 'ack':
        this.sessions.ack(link, frame);
        break;
      case 'gap':
        this.sessions.gap(link, frame.upTo);
        break;
      case 'meta':
        this.sessions.meta(link, frame.meta);
        break;
      case 'got':
        this.sessions.got(link, frame.id);
        break;
      case 'bye':
        this.sessions.bye(link);
        link.close(CloseCode.normal, 'bye');
        break;
    }
  }

  private clientClosed(link: ClientLink, code: number): void {
    this.links.delete(link);
    this.config.logger.debug('client link closed', { client: link.hello.client, code });
    // Not a removal: a link that dies (or a drain's bye-less `normal` close) leaves the member expected back.
    this.sessions.detach(link);
    if (this.state.kind === 'draining' && this.links.size === 0) this.state.allLeft();
  }

  private peerClosed(link: InboundPeer, code: number): void {
    this.inbound.delete(link);
    this.config.logger.debug('inbound peer link closed', { peer: link.peerId, code });
  }

  // ---- connections ---------------------------------------------------------------------------

  private request(req: IncomingMessage, res: ServerResponse): void {
    // Refused on accept (answered 503 already): nothing more for it.
    if (this.guard.of(req.socket) === undefined) return void res.destroy();
    if (handleWhoami(req, res, this.whoami)) return;
    if (handlePublish(req, res, { config: this.config.publish, publisher: this.publisher, tally: this.tally })) return;
    handleRequest(req, res, {
      id: this.id,
      running: () => this.state.kind === 'running',
      load: () => this.load(),
      hostOf: (session) => this.placement.hostOf(session),
      peerStatus: (id, signal) => this.peers.status(id, signal),
      authenticate: this.config.authenticate,
      dnsAddress: () => this.dnsServer?.address,
      dnsQuery: (query, source) => this.dnsServer?.query(query, source),
      metrics: this.metrics && ((req, res) => this.metrics?.serve(req, res)),
      discovery: (source) =>
        discoveryDocument(this.view.snapshot(), { nodes: this.publicNodes, heartbeat: this.config.heartbeat, cloud: this.config.dns?.zone, ttlSec: this.config.dns?.ttlSec, source }),
    });
  }

  /** The first frame decided what the connection is. */
  private accept(ws: WebSocket, first: LinkFirstFrame, origin: RequestOrigin, socket: Duplex): void {
    if (this.state.kind === 'closed') {
      ws.terminate();
      return;
    }
    if (first.kind === 'peer') {
      const link = acceptPeer(ws, first, { self: this.id, auth: this.peerAuth, timeoutMs: this.config.peerHeartbeat.timeoutMs * 2, logger: this.config.logger, host: this.peerHost });
      if (link === undefined) return;
      this.inbound.add(link);
      if (this.state.kind === 'draining') link.send({ t: 'peer-drain' });
      for (const frame of this.pins.frames()) link.send(frame);
      return;
    }
    const link = new ClientLink(ws, first.hello, this.config, this.clientHost, origin, socket);
    this.links.add(link);
    logLink(this.config.logger, first.hello, origin);
    void admit(link, this.admission);
  }

  private shutdown(): Promise<void> {
    // Checked before the shutdown starts: closing twice must not run it twice.
    if (this.state.kind === 'closed') return this.state.done;
    // close() during a drain ends the drain's wait too.
    const drain = this.state.kind === 'draining' ? this.state : undefined;
    const done = (async () => {
      drain?.allLeft();
      this.rebalancer.stop();
      this.peerSource?.stop();
      this.loadReporter.stop();
      const dnsClosed = this.dnsServer?.close();
      for (const link of [...this.links]) link.close(CloseCode.goingAway, 'node closing');
      for (const peer of [...this.inbound]) peer.close(CloseCode.goingAway, 'node closing');
      this.peers.stop();
      this.sessions.stop();
      const httpClosed = new Promise<void>((resolve) => this.http.close(() => resolve()));
      this.http.closeIdleConnections();
      await waitForSockets(this.wss, CLOSE_WAIT_MS);
      for (const ws of this.wss.clients) ws.terminate();
      this.http.closeAllConnections();
      await new Promise<void>((resolve) => this.wss.close(() => resolve()));
      await httpClosed;
      await dnsClosed;
      this.config.logger.info('node closed', { node: this.id });
    })();
    this.transition(['running', 'draining'], { kind: 'closed', done });
    return done;
  }

  /**
   * The one way the node's state changes, refused unless the current state is in `allowedFrom`:
   * a closed node never drains or reopens. The work of entering each state (the drain's notices,
   * the shutdown) is started by its caller, which builds the variant's `done` from it.
   */
  private transition(allowedFrom: readonly NodeState['kind'][], next: NodeState): boolean {
    if (!allowedFrom.includes(this.state.kind)) return false;
    this.state = next;
    return true;
  }
}
