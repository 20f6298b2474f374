/**
 * The embedded default cloud: nodes as child processes on loopback, each behind its own fault
 * proxy. Every URL anyone sees — clients, and the nodes' peer links — is a proxy's, so a black hole
 * or a reset on a node's proxy cuts its peers off from it exactly as its clients. (One-way only: a
 * node's own links to its peers go through *their* proxies, so a black-holed node still hears them.
 * Its view does not matter while nobody can reach it, and peers judge it by their own links.)
 *
 * Proxies start first (port 0), so every node's URL and peer list are known before any node runs;
 * each child then reports the port it listens on and its proxy is pointed there. A restarted node
 * gets a new port but keeps its proxy, hence its URL.
 */
import { Resolver } from 'node:dns/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { abortError, linkedController, onAbort } from '../core/abort.js';
import { ClosedError, ConnectError, GridlinkError, OptionsError } from '../core/errors.js';
import { SRV_SERVICE } from '../protocol/frames.js';
import { rendezvousOwner } from '../protocol/rendezvous.js';
import { tuningArgs } from '../process/node-flags.js';
import { spawnChildNode, type ChildNode } from './child-node.js';
import { startFaultProxy, type FaultProxy } from './fault-proxy.js';
import { meshFormed } from './mesh.js';
import { normalizeCloudOptions, wsUrl, type CloudConfig, type LocalCloudOptions } from './local-cloud-options.js';

export type { LocalCloudOptions } from './local-cloud-options.js';

export type LocalNodeState = 'running' | 'killed' | 'drained' | 'stopped';

export interface LocalNodeView {
  id: string;
  /** The proxy's URL: stable across restarts. */
  url: string;
  pid: number | undefined;
  state: LocalNodeState;
  blackholed: boolean;
  /** `127.0.0.1:port` of its DNS server (option `cloud`); a stopped node's last one. */
  dns: string | undefined;
}

/** A node of the local cloud: its id, or anything carrying it (what `nodes` and `hostOf()` return). */
export type LocalNodeRef = string | { readonly id: string };

export interface LocalCloud {
  /** Proxy URLs, in id order. */
  readonly nodes: ReadonlyArray<{ id: string; url: string }>;
  readonly urls: string[];
  /** The DNS zone the nodes serve (option `cloud`), canonical; undefined without DNS. */
  readonly zone: string | undefined;
  /**
   * `127.0.0.1:port` of every node's DNS server, in id order (empty without `cloud`). A node
   * restarted with ephemeral DNS ports gets a new one; a killed node's entry answers nothing.
   */
  readonly dns: string[];
  node(id: LocalNodeRef): LocalNodeView;
  /** Host of a session as the cloud should see it: rendezvous owner over nodes running and not black-holed. */
  hostOf(session: string): { id: string; url: string } | undefined;
  /** SIGKILL the node; resolves when it has exited. */
  kill(id: LocalNodeRef): Promise<void>;
  /** Start a killed or drained node again (same id, same URL); resolves when it listens. */
  restart(id: LocalNodeRef): Promise<void>;
  /** Ask the node to drain (its clients migrate away); resolves when it has exited. */
  drain(id: LocalNodeRef, options?: { deadlineMs?: number }): Promise<void>;
  blackhole(id: LocalNodeRef): void;
  heal(id: LocalNodeRef): void;
  setLatency(id: LocalNodeRef, ms: number): void;
  /** Reset every current connection to the node (TCP RST), both ways. */
  reset(id: LocalNodeRef): void;
  /** Kill every node and close every proxy; idempotent. */
  stop(): Promise<void>;
}

/**
 * A node's lifecycle as the cloud drives it. `exiting`: the cloud itself is ending the child (kill,
 * drain, stop), so its exit is not a crash; the public view still says `running` until it is gone.
 */
type MemberState = LocalNodeState | 'exiting';

/** The one guarded transition of a member's state: refused (false) from a state not listed. */
function move(member: Member, allowedFrom: readonly MemberState[], to: MemberState): boolean {
  if (!allowedFrom.includes(member.state)) return false;
  member.state = to;
  return true;
}

const ANY: readonly MemberState[] = ['stopped', 'running', 'exiting', 'killed', 'drained'];

interface Member {
  readonly id: string;
  readonly url: string;
  readonly proxy: FaultProxy;
  child: ChildNode | undefined;
  /** Changed only by `move()`. */
  state: MemberState;
  // A fault of the proxy in front, not a lifecycle state: a node is black-holed whatever it does.
  blackholed: boolean;
  // Operations on one node run one at a time, so kill/restart/drain cannot interleave.
  queue: Promise<void>;
  dns: string | undefined;
}

// A drain past its deadline gets this much more before the child is SIGKILLed.
const DRAIN_GRACE_MS = 5000;
const DEFAULT_DRAIN_MS = 5000;

/** Asks `member`'s DNS server for the cloud's SRV records until it answers (bounded by `timeoutMs`). */
async function dnsReady(member: Member, zone: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
  if (member.dns === undefined) return;
  const resolver = new Resolver({ timeout: 200, tries: 1 });
  resolver.setServers([member.dns]);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await resolver.resolveSrv(`${SRV_SERVICE}.${zone}`);
      return;
    } catch (error) {
      if (signal?.aborted === true) throw abortError(signal, 'starting the local cloud');
      if (Date.now() > deadline) {
        throw new ConnectError('GRIDLINK_TIMEOUT', `node ${member.id}'s DNS server did not answer within ${timeoutMs} ms (${(error as { code?: string }).code ?? 'no code'})`);
      }
      await delay(20);
    }
  }
}

export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const config = normalizeCloudOptions(options);
  if (config.signal?.aborted === true) throw abortError(config.signal, 'starting the local cloud');
  const members: Member[] = [];
  const cloud = new Cloud(config, members);
  try {
    for (const id of config.ids) {
      const proxy = await startFaultProxy({ target: { port: 0 }, host: config.host });
      const url = wsUrl(config.host, proxy.port);
      members.push({ id, url, proxy, child: undefined, state: 'stopped', blackholed: false, queue: Promise.resolve(), dns: undefined });
    }
    await Promise.all(members.map((member) => cloud.spawn(member)));
    await meshFormed(members.map((member) => member.url), config.startTimeoutMs, config.signal);
    // A node's DNS answers SERVFAIL until it has heard from its peers (its view would be "just
    // me"); a started cloud is ready for what it advertises, so wait for every DNS server to answer.
    if (config.zone !== undefined) await Promise.all(members.map((member) => dnsReady(member, config.zone!, config.startTimeoutMs, config.signal)));
  } catch (error) {
    await cloud.stop();
    throw error;
  }
  return cloud;
}

class Cloud implements LocalCloud {
  private stopping: Promise<void> | undefined;
  // Aborted by the caller's signal or by stop(); cancels children still starting.
  private readonly lifetime: ReturnType<typeof linkedController>;
  private readonly starting = new Set<Promise<void>>();
  // Children must die with the parent even when nobody calls stop(): 'exit' runs synchronously.
  private readonly killOnExit = (): void => {
    for (const member of this.members) if (member.child?.hasExited === false) member.child.kill('SIGKILL');
  };

  constructor(
    private readonly config: CloudConfig,
    private readonly members: Member[],
  ) {
    this.lifetime = linkedController(config.signal);
    process.on('exit', this.killOnExit);
    onAbort(this.lifetime.controller.signal, () => void this.stop());
  }

  get nodes(): ReadonlyArray<{ id: string; url: string }> {
    return this.members.map((member) => ({ id: member.id, url: member.url }));
  }

  get urls(): string[] {
    return this.members.map((member) => member.url);
  }

  get zone(): string | undefined {
    return this.config.zone;
  }

  get dns(): string[] {
    return this.members.flatMap((member) => (member.dns === undefined ? [] : [member.dns]));
  }

  node(id: LocalNodeRef): LocalNodeView {
    const member = this.member(id);
    return { id: member.id, url: member.url, pid: member.child?.pid, state: member.state === 'exiting' ? 'running' : member.state, blackholed: member.blackholed, dns: member.dns };
  }

  hostOf(session: string): { id: string; url: string } | undefined {
    // A node being drained or killed has already left placement, as the nodes themselves see it.
    const live = this.members.filter((member) => member.state === 'running' && !member.blackholed);
    const owner = rendezvousOwner(session, live, (member) => member.id);
    return owner === undefined ? undefined : { id: owner.id, url: owner.url };
  }

  kill(id: LocalNodeRef): Promise<void> {
    return this.serial(id, async (member) => {
      await this.exit(member, 'SIGKILL');
      move(member, ANY, 'killed');
    });
  }

  restart(id: LocalNodeRef): Promise<void> {
    return this.serial(id, async (member) => {
      if (member.state === 'running' || member.state === 'exiting') {
        throw new OptionsError('GRIDLINK_INVALID_ARGUMENT', `node ${id} is running; kill or drain it before restart`);
      }
      await this.spawn(member);
      // As at start: back once the running nodes (black-holed ones aside: nobody reaches them) see one another.
      const reachable = this.members.filter((other) => other.state === 'running' && !other.blackholed);
      await meshFormed(reachable.map((other) => other.url), this.config.startTimeoutMs, this.lifetime.controller.signal);
    });
  }

  drain(id: LocalNodeRef, options: { deadlineMs?: number } = {}): Promise<void> {
    return this.serial(id, async (member) => {
      const child = member.child;
      if (child === undefined || child.hasExited) return;
      const deadlineMs = options.deadlineMs ?? DEFAULT_DRAIN_MS;
      // The control line carries the deadline; SIGTERM (the node's other way in) cannot.
      move(member, ['running'], 'exiting');
      if (options.deadlineMs === undefined || !child.control({ cmd: 'drain', deadlineMs })) child.kill('SIGTERM');
      const guard = new Promise<'late'>((resolve) => setTimeout(resolve, deadlineMs + DRAIN_GRACE_MS, 'late').unref());
      const exit = await Promise.race([child.exited, guard]);
      if (exit === 'late') {
        await this.exit(member, 'SIGKILL');
        move(member, ANY, 'killed');
        throw new ConnectError('GRIDLINK_TIMEOUT', `node ${id} did not exit within ${deadlineMs + DRAIN_GRACE_MS} ms of drain`);
      }
      move(member, ['exiting'], 'drained');
      if (exit.code !== 0) {
        throw new GridlinkError('GRIDLINK_CLOSED', `node ${id} exited with code ${exit.code} (signal ${exit.signal}) after drain`);
      }
    });
  }

  blackhole(id: LocalNodeRef): void {
    const member = this.member(id);
    member.proxy.blackhole();
    member.blackholed = true;
  }

  heal(id: LocalNodeRef): void {
    const member = this.member(id);
    member.proxy.heal();
    member.blackholed = false;
  }

  setLatency(id: LocalNodeRef, ms: number): void {
    this.member(id).proxy.setLatency(ms);
  }

  reset(id: LocalNodeRef): void {
    this.member(id).proxy.resetAll();
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.lifetime.controller.abort(new ClosedError('GRIDLINK_CLOSED', 'the local cloud was stopped'));
      this.lifetime.dispose();
      await Promise.allSettled(this.starting);
      await Promise.all(
        this.members.map(async (member) => {
          await this.exit(member, 'SIGKILL');
          move(member, ANY, 'stopped');
          await member.proxy.close();
        }),
      );
      process.off('exit', this.killOnExit);
    })();
    return this.stopping;
  }

  /** Starts the member's child and points its proxy at it; the member is 'running' after. */
  spawn(member: Member): Promise<void> {
    const start = this.spawnChild(member);
    this.starting.add(start);
    const forget = (): void => {
      this.starting.delete(start);
    };
    start.then(forget, forget);
    return start;
  }

  private async spawnChild(member: Member): Promise<void> {
    const peers = this.members.filter((other) => other !== member);
    const args = ['--id', member.id, '--port', '0', '--host', '127.0.0.1', '--url', member.url];
    for (const peer of peers) args.push('--peer', `${peer.id}=${peer.url}`);
    if (this.config.zone !== undefined) {
      // The advertised URL stays the proxy's, so SRV records carry the proxy ports clients must dial.
      const dnsPort = this.config.dnsPort === 0 ? 0 : this.config.dnsPort + this.members.indexOf(member);
      args.push('--cloud', this.config.zone, '--dns-port', String(dnsPort), '--dns-host', '127.0.0.1');
    }
    args.push(...tuningArgs(this.config));
    if (this.config.publish) args.push('--publish');
    if (this.config.verbose) args.push('--verbose');
    const child = await spawnChildNode({
      id: member.id,
      cliPath: this.config.cliPath,
      args,
      secret: this.config.secret,
      logger: this.config.logger,
      startTimeoutMs: this.config.startTimeoutMs,
      signal: this.lifetime.controller.signal,
    });
    member.child = child;
    member.dns = child.dns;
    member.proxy.setTarget({ host: '127.0.0.1', port: child.port });
    move(member, ['stopped', 'killed', 'drained'], 'running');
    // A child that dies on its own (crash) is as good as killed; placement must stop counting it.
    void child.exited.then((exit) => {
      if (member.child !== child || !move(member, ['running'], 'killed')) return;
      this.config.logger.warn(`node ${member.id} exited unexpectedly`, { node: member.id, ...exit });
    });
  }

  private async exit(member: Member, signal: NodeJS.Signals): Promise<void> {
    const child = member.child;
    if (child === undefined) return;
    move(member, ['running'], 'exiting');
    child.kill(signal);
    await child.exited;
  }

  private serial(id: LocalNodeRef, operation: (member: Member) => Promise<void>): Promise<void> {
    let member: Member;
    try {
      member = this.member(id);
    } catch (error) {
      return Promise.reject(error); // a promise API fails by rejecting, never by throwing
    }
    if (this.stopping !== undefined) return Promise.reject(new ClosedError('GRIDLINK_CLOSED', 'the local cloud was stopped'));
    const run = member.queue.then(() => operation(member));
    member.queue = run.catch(() => {});
    return run;
  }

  private member(ref: LocalNodeRef): Member {
    const id = typeof ref === 'object' && ref !== null ? ref.id : ref;
    const member = typeof id === 'string' ? this.members.find((candidate) => candidate.id === id) : undefined;
    if (member === undefined) {
      const known = this.members.map((candidate) => candidate.id).join(', ');
      const problem = typeof id === 'string' ? `no node '${id}' in this local cloud` : `expected a node id or { id }, got ${ref === null ? 'null' : typeof ref}`;
      throw new OptionsError('GRIDLINK_INVALID_ARGUMENT', `${problem} (its nodes: ${known})`);
    }
    return member;
  }
}
