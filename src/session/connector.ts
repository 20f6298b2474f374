/**
 * Getting a session onto a node: one *round* tries the ranked candidates, starting the next one
 * whenever the current one fails or has not answered within `staggerMs` (as happy eyeballs does),
 * follows redirects (bounded, only inside the cloud), and keeps the first link that is welcomed.
 * Rounds repeat with jittered exponential backoff (core/retry) until one succeeds, a failure is
 * final, or the signal aborts.
 */
import { abortError, linkedController } from '../core/abort.js';
import { ClosedError, ConnectError, GridlinkError, OptionsError, isGridlinkError } from '../core/errors.js';
import type { Cooldown } from '../core/cooldown.js';
import type { Logger } from '../core/logger.js';
import { retryRounds, type RetrySettings } from '../core/retry.js';
import { patientTimeout, setUnrefTimeout, type PatientTimer } from '../core/timers.js';
import type { Policy } from '../choose/policy.js';
import { askCloud, type Verdict } from '../dial/status.js';
import { dial } from '../dial/transport.js';
import { Link, type LinkSettings, type WitnessQuestion } from '../link/link.js';
import type { Platform } from '../platform/types.js';
import { MAX_TOKEN_LENGTH } from '../protocol/codec.js';
import { CloseCode, type HeartbeatSettings, type HelloFrame, type NodeInfo, type WelcomeFrame } from '../protocol/frames.js';
import { nodeKey, normalizeUrl, type NodeList } from '../resolve/node-list.js';
import type { ResolvedNode, Resolver } from '../resolve/resolver.js';

export interface ConnectorSettings {
  readonly session: string;
  readonly connectTimeoutMs: number;
  readonly staggerMs: number;
  readonly maxRedirects: number;
  readonly heartbeat: HeartbeatSettings;
  readonly maxFrameBytes: number;
  readonly retry: RetrySettings;
}

/** Where a hello's `token` comes from: the `token` option, or the caller's `getToken`. */
export interface TokenSource {
  /** Asked once per hello (every attempt, every redirect hop), bounded by the attempt's timeout. */
  get(): string | Promise<string>;
  /**
   * True for `getToken`: a token the node refused may be replaced by the next call, so
   * `GRIDLINK_UNAUTHORIZED` is worth another round. A fixed `token` refused once is refused for good.
   */
  readonly refreshes: boolean;
}

export interface ConnectorDeps {
  readonly platform: Platform;
  readonly settings: ConnectorSettings;
  readonly resolver: Resolver;
  readonly nodes: NodeList;
  readonly policy: Policy;
  readonly cooldown: Cooldown;
  readonly logger: Logger;
  /** Builds the hello for an attempt; `failed` lists the nodes that failed us so far. */
  readonly hello: (failed: readonly string[]) => HelloFrame;
  /** The credential added to every hello, if the caller gave one. */
  readonly token?: TokenSource | undefined;
  /** Non-fatal trouble worth telling the user about (a refused redirect, a resolver failure). */
  readonly warn: (error: GridlinkError) => void;
}

export interface Joined {
  readonly link: Link;
  readonly welcome: WelcomeFrame;
  /** The node as dialled (its URL is the one we trust, whatever the welcome says). */
  readonly node: NodeInfo;
}

export interface JoinRequest {
  /** Nodes already known to have failed (e.g. the one we are migrating away from). */
  readonly failed: readonly string[];
  /** A node to try first (the target of a redirect on an open link); checked against the cloud. */
  readonly prefer?: ResolvedNode;
  readonly signal: AbortSignal;
}

/** Joins the session on some node of the cloud, retrying rounds until success or a final error. */
export function join(deps: ConnectorDeps, request: JoinRequest): Promise<Joined> {
  const failed = new Set(request.failed);
  return retryRounds(() => joinRound(deps, failed, request.prefer, request.signal), {
    ...deps.settings.retry,
    signal: request.signal,
    onFailedRound: (error, round) =>
      deps.logger.debug('connection round failed', { round, code: isGridlinkError(error) ? error.code : 'unknown', message: (error as Error).message }),
  });
}

async function refreshNodes(deps: ConnectorDeps, signal: AbortSignal): Promise<void> {
  try {
    const { refused } = deps.nodes.setResolved(await deps.resolver.resolve(signal));
    for (const error of refused) deps.warn(error);
  } catch (error) {
    if (signal.aborted) throw error;
    // Keep going with what we know (advertised nodes, an earlier answer); say so.
    deps.warn(isGridlinkError(error) ? error : new ConnectError('GRIDLINK_NO_NODES', 'resolver failed', { cause: error, retriable: true }));
  }
}

/**
 * While the platform says there is no network, a round would only fail and use up backoff; wait
 * for the network instead (or for the signal).
 */
function untilOnline(platform: Platform, signal: AbortSignal): Promise<void> {
  if (platform.isOffline?.() !== true || platform.watchLifecycle === undefined) return Promise.resolve();
  const watch = platform.watchLifecycle;
  return new Promise<void>((resolve, reject) => {
    const done = (): void => {
      unwatch();
      signal.removeEventListener('abort', aborted);
    };
    const aborted = (): void => {
      done();
      reject(abortError(signal, 'waiting for the network'));
    };
    const unwatch = watch({ wake: () => {}, offline: () => {}, online: () => (done(), resolve()) });
    if (signal.aborted) aborted();
    else signal.addEventListener('abort', aborted, { once: true });
  });
}

/** Ends the attempts still running when a round is decided (a welcome won, or all failed). */
const ROUND_OVER = new ClosedError('GRIDLINK_ABORTED', 'the connection round is over');

async function joinRound(deps: ConnectorDeps, failed: Set<string>, prefer: ResolvedNode | undefined, signal: AbortSignal): Promise<Joined> {
  await untilOnline(deps.platform, signal);
  await refreshNodes(deps, signal);
  // A policy may measure (latency): it gets the round's signal, and an abort ends the round.
  const ranked = await deps.policy.rank(deps.nodes.all(), { session: deps.settings.session, failed, signal });
  if (signal.aborted) throw abortError(signal, 'joining the session');
  // A preferred node that failed us in this migration is not tried first again.
  const first = prefer === undefined || failed.has(prefer.id) ? undefined : prefer;
  const candidates = first === undefined ? ranked : [first, ...ranked.filter((n) => nodeKey(n) !== nodeKey(first) && n.id !== first.id)];
  if (candidates.length === 0) {
    throw new ConnectError('GRIDLINK_NO_NODES', 'no nodes known for this cloud', { retriable: true });
  }
  const { controller, dispose } = linkedController(signal);
  try {
    return await race(deps, candidates, failed, controller);
  } finally {
    dispose();
  }
}

/** Staggered attempts over `candidates`; resolves with the first welcome, and ends the attempts still running. */
function race(deps: ConnectorDeps, candidates: ResolvedNode[], failed: Set<string>, controller: AbortController): Promise<Joined> {
  const { signal } = controller;
  return new Promise<Joined>((resolve, reject) => {
    let next = 0;
    let active = 0;
    let done = false;
    let stagger: PatientTimer | undefined;
    const errors: GridlinkError[] = [];
    const dialling = new Set<string>();

    const finish = (result: Joined | undefined): void => {
      if (done) return;
      done = true;
      stagger?.cancel();
      // Only when some are: an abort is an event dispatch, and in a crowd most rounds are won by
      // their only attempt. A fixed reason, or each abort would build a DOMException and its stack.
      if (active > 0) controller.abort(ROUND_OVER);
      if (result !== undefined) {
        resolve(result);
        return;
      }
      // A final refusal (e.g. a rejected resume token) wins over transient failures, and a refused
      // credential says more than "no node accepted" (it is what the caller must fix).
      const final = errors.find((e) => !e.retriable) ?? errors.find((e) => e.code === 'GRIDLINK_UNAUTHORIZED');
      reject(
        final ??
          new ConnectError('GRIDLINK_NO_NODES', `no node accepted the session (${errors.map((e) => e.message).join('; ').slice(0, 500)})`, {
            cause: errors[errors.length - 1],
            retriable: true,
          }),
      );
    };

    const startNext = (): void => {
      stagger?.cancel();
      if (done) return;
      const node = candidates[next++];
      if (node === undefined) {
        if (active === 0) finish(undefined);
        return;
      }
      active++;
      // Happy eyeballs staggers connects, not handshakes: once this candidate's connection is up
      // (Node: its TCP connect, unless a proxy accepts it; a page: the socket's open), the node is
      // there and will answer, and a second attempt would only add load. In a crowd re-homing at
      // once, the upgrade's answer waits behind the other joins on the session's new host; a
      // stagger then dialled another node, which redirected back to the host: one more socket and
      // join on each end, for nothing (110 of 200 clients did). Its failure still moves on, and
      // `connectTimeoutMs` bounds a node whose host accepts but never answers.
      const opened = (): void => stagger?.cancel();
      attempt(deps, node, failed, signal, opened, dialling).then(
        (joined) => {
          active--;
          if (done) joined.link.close(CloseCode.normal, 'another node answered first');
          else finish(joined);
        },
        (error: unknown) => {
          active--;
          const err = isGridlinkError(error) ? error : new ConnectError('GRIDLINK_CONNECT_FAILED', String(error), { cause: error, retriable: true });
          if (!done) errors.push(err);
          startNext();
        },
      );
      if (next < candidates.length) armStagger(deps.settings.staggerMs);
    };
    // The stagger is `staggerMs` of the node's silence, not of ours (see patientTimeout): in a
    // crowd migrating at once, a plain timer would give up on nodes whose answers are waiting and
    // double the crowd's dials.
    const armStagger = (ms: number): void => {
      stagger = patientTimeout(startNext, ms, deps.platform.now);
    };
    signal.addEventListener('abort', () => finish(undefined), { once: true });
    startNext();
  });
}

/**
 * One chain: dial a node, say hello, follow its redirects. `opened` fires when a socket opens.
 * `dialling` holds the nodes the round's attempts are joining through: one socket per node per
 * round. In a crowd a staggered attempt often reaches the other nodes, which redirect it to the
 * host the first attempt is already waiting on, and a second join there only adds to its load.
 */
async function attempt(deps: ConnectorDeps, first: ResolvedNode, failed: Set<string>, signal: AbortSignal, opened: () => void, dialling: Set<string>): Promise<Joined> {
  const { settings } = deps;
  let node = first;
  for (let hops = 0; ; hops++) {
    // The credential first: a getToken() that fails or hangs is the caller's trouble, not the
    // node's, so it must not put the node in cooldown (and no socket waits on it meanwhile).
    const hello = await helloFor(deps, failed, signal);
    const key = nodeKey(node);
    // Not the node's failure: no cooldown, and the round moves on to its next candidate.
    if (dialling.has(key)) throw new ConnectError('GRIDLINK_CONNECT_FAILED', `already joining via ${node.id}`, { retriable: true });
    dialling.add(key);
    let link: Link | undefined;
    try {
      const dialOptions = {
        timeoutMs: settings.connectTimeoutMs,
        signal,
        ...(node.address === undefined ? {} : { address: node.address }),
        // Behind a proxy, the node's sticky cookie is what routes this attempt to it; and there the
        // proxy accepts the connection whether that node is alive or not, so only the open counts.
        ...(node.cookie === undefined ? { onConnected: opened } : { cookie: node.cookie }),
      };
      const transport = await dial(deps.platform, node.url, dialOptions);
      opened();
      link = new Link(transport, node, linkSettings(deps));
      const answer = await link.join(hello, { timeoutMs: settings.connectTimeoutMs, signal });
      if (answer.kind === 'welcome') {
        if (answer.welcome.session !== settings.session) {
          link.close(CloseCode.protocolError, 'welcome for another session');
          throw new ConnectError('GRIDLINK_PROTOCOL', `node ${node.id} welcomed us to session '${answer.welcome.session.slice(0, 64)}'`, { retriable: true });
        }
        deps.cooldown.succeed(nodeKey(node));
        return { link, welcome: answer.welcome, node: landedOn(node, answer.welcome.node) };
      }
      if (hops >= settings.maxRedirects) {
        throw new ConnectError('GRIDLINK_REDIRECT_LIMIT', `gave up after ${hops + 1} redirects (last to ${answer.node.id})`, { retriable: true });
      }
      const target = deps.nodes.check(answer.node, `node ${node.id}'s redirect`);
      deps.logger.debug('redirected', { from: node.id, to: target.id, reason: answer.reason });
      node = target;
    } catch (error) {
      link?.close();
      if (signal.aborted) throw error;
      // A node that refused our credential is healthy: no cooldown, and not reported as failed. A
      // busy one (its join rate limit) is alive too: it cools down (the next candidates first, then
      // the round's backoff), but naming it in `failed` would have the cloud move its sessions away.
      const code = isGridlinkError(error) ? error.code : undefined;
      if (code !== undefined && code !== 'GRIDLINK_REJECTED' && code !== 'GRIDLINK_FOREIGN_NODE' && code !== 'GRIDLINK_UNAUTHORIZED') {
        deps.cooldown.fail(nodeKey(node));
        if (code !== 'GRIDLINK_BUSY') failed.add(node.id);
      }
      if (code === 'GRIDLINK_FOREIGN_NODE') deps.warn(error as GridlinkError);
      if (code === 'GRIDLINK_UNAUTHORIZED' && deps.token?.refreshes === true) {
        // getToken() may have a fresh token for the next round; see TokenSource.refreshes.
        throw new ConnectError('GRIDLINK_UNAUTHORIZED', (error as GridlinkError).message, { cause: error, retriable: true });
      }
      throw error;
    } finally {
      dialling.delete(key);
    }
  }
}

/**
 * A link's settings with a witness: how it asks the cloud about a quiet host (docs/protocol.md,
 * "Asking the cloud"), over HTTP to the session's successor, bounded by the heartbeat timeout,
 * after which the link is dead anyway. It keeps only what lives as long as the session: a link
 * outlives its join, and a closure over the join's deps kept the join's hello, its controller and
 * its signal alive for as long as the link (about a kilobyte per idle client).
 */
class WitnessedLink implements LinkSettings {
  // `declare`d and assigned in the constructor: fields per instance without a second definition
  // of each in the browser bundle (its size is budgeted, scripts/size-check.mjs).
  declare readonly heartbeat: HeartbeatSettings;
  declare readonly maxFrameBytes: number;
  declare readonly now: () => number;
  declare readonly platform: Platform;
  declare readonly nodes: NodeList;
  declare readonly logger: Logger;

  constructor(platform: Platform, nodes: NodeList, logger: Logger, { heartbeat, maxFrameBytes }: ConnectorSettings) {
    Object.assign(this, { platform, nodes, logger, heartbeat, maxFrameBytes, now: platform.now });
  }

  async witness(welcome: WitnessQuestion, signal: AbortSignal): Promise<Verdict> {
    const verdict = await askCloud(this.platform, this.nodes, { welcome, signal, timeoutMs: this.heartbeat.timeoutMs });
    if (!signal.aborted) this.logger.debug('asked the cloud about a quiet node', { node: welcome.node.id, verdict });
    return verdict;
  }
}

/** A platform without HTTP has no witness: the heartbeat timeout alone decides there. */
function linkSettings(deps: ConnectorDeps): LinkSettings {
  const { platform, settings } = deps;
  return platform.fetch === undefined ? { heartbeat: settings.heartbeat, maxFrameBytes: settings.maxFrameBytes, now: platform.now } : new WitnessedLink(platform, deps.nodes, deps.logger, settings);
}

/** The attempt's hello, with a token from `deps.token` (bounded by the attempt's timeout and signal). */
async function helloFor(deps: ConnectorDeps, failed: ReadonlySet<string>, signal: AbortSignal): Promise<HelloFrame> {
  const frame = deps.hello([...failed]);
  if (deps.token !== undefined) frame.token = await fetchToken(deps.token, deps.settings.connectTimeoutMs, signal);
  return frame;
}

/**
 * Asks the token source, never longer than `timeoutMs` or past `signal`: a getToken() that hangs
 * fails this attempt (retriable) instead of the client. Error messages never include the token.
 */
function fetchToken(source: TokenSource, timeoutMs: number, signal: AbortSignal): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', aborted);
      fn();
    };
    const aborted = (): void => settle(() => reject(abortError(signal, 'getToken()')));
    const timer = setUnrefTimeout(
      () => settle(() => reject(new ConnectError('GRIDLINK_TIMEOUT', `getToken() did not resolve within ${timeoutMs} ms`, { retriable: true }))),
      timeoutMs,
    );
    if (signal.aborted) return aborted();
    signal.addEventListener('abort', aborted, { once: true });
    new Promise<string>((inner) => inner(source.get())).then(
      (token: unknown) =>
        settle(() => {
          if (typeof token === 'string' && token.length > 0 && token.length <= MAX_TOKEN_LENGTH) resolve(token);
          // The caller's bug, not a network hiccup: retrying would return the same thing.
          else reject(new OptionsError('GRIDLINK_INVALID_ARGUMENT', `getToken() must resolve to a string of 1..${MAX_TOKEN_LENGTH} characters`));
        }),
      (cause: unknown) => settle(() => reject(new ConnectError('GRIDLINK_CONNECT_FAILED', 'getToken() failed', { cause, retriable: true }))),
    );
  });
}

/**
 * The node as dialled (its URL is the one we trust), named as it named itself. Dialled through a
 * proxy without a cookie, the welcome's cookie (same URL) says which backend we landed on.
 */
function landedOn(dialled: ResolvedNode, self: NodeInfo): NodeInfo {
  const cookie = dialled.cookie ?? (self.cookie !== undefined && sameUrl(self.url, dialled.url) ? self.cookie : undefined);
  return cookie === undefined ? { id: self.id, url: dialled.url } : { id: self.id, url: dialled.url, cookie };
}

function sameUrl(a: string, b: string): boolean {
  try {
    return normalizeUrl(a) === normalizeUrl(b);
  } catch {
    return false;
  }
}
