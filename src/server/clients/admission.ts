/**
 * Admission: what a node does with a client's hello. The join rate limit for the client's address,
 * the version check, authentication (the caller's hook), then placement (which may probe a node the
 * client reports failed), then join here or redirect to the host, or refuse. The
 * node server owns sockets and lifecycle; this owns the decision and the order of its steps.
 */
import type { Logger } from '../../core/logger.js';
import { exceedsBytes } from '../../protocol/codec.js';
import { CloseCode, PROTOCOL_VERSION, type HelloFrame, type JsonValue, type WelcomeFrame } from '../../protocol/frames.js';
import type { ClientLink } from './client-link.js';
import type { JoinLimit } from './join-limit.js';
import type { NodeServerOptions } from '../node/options.js';
import type { Placement } from '../placement/placement.js';
import type { SessionHost, WelcomeParts } from '../sessions/session-host.js';
import type { NodeTally, RefusalCode } from '../metrics/tally.js';

export interface AdmissionDeps {
  readonly placement: Placement;
  readonly sessions: SessionHost;
  readonly logger: Logger;
  /** Builds this node's welcome for a hello, from the session's parts. */
  readonly welcome: (hello: HelloFrame, parts: WelcomeParts) => WelcomeFrame;
  readonly joinLimit: JoinLimit;
  readonly authenticate: NodeServerOptions['authenticate'];
  /** How long the hook may take (the client is waiting on it, and its link's liveness too). */
  readonly authTimeoutMs: number;
  /** The bound of a member's meta, the hook's `{ meta }` included. */
  readonly maxMetaBytes: number;
  /** Whether a resume token is valid for this session and client (the hook's `resumed`). */
  readonly verifyResume: (token: string | undefined, session: string, client: string) => boolean;
  /** Where joins, redirects and refusals are counted for the node's metrics. */
  readonly tally?: NodeTally;
}

/** What the client hears, whatever the hook said or threw: never an echo of the token. */
const UNAUTHORIZED = 'authentication failed';

/** `identity`: the hook admitted the client and named its meta (overriding the client's). */
type AuthVerdict = 'allow' | 'deny' | 'timeout' | { readonly meta: JsonValue };

export async function admit(link: ClientLink, deps: AdmissionDeps): Promise<void> {
  const hello = link.hello;
  const tally = deps.tally;
  const refuse = (code: RefusalCode, message: string, closeCode: CloseCode): void => {
    if (tally !== undefined) tally.refusals[code]++;
    link.refuse(code, message, closeCode);
  };
  try {
    // A member back with a token this cloud signed is a failover, and has its own, larger bucket
    // (join-limit.ts). The check is one HMAC, so it may come before the limit.
    const resumed = hello.resume !== undefined && deps.verifyResume(hello.resume, hello.session, hello.client);
    // First and cheapest: an address over its rate gets nothing else from this node.
    if (!deps.joinLimit.take(link.origin.address, resumed)) {
      deps.logger.debug('join rate limit', { client: hello.client, address: link.origin.address, resumed });
      refuse('busy', 'too many joins from this address; try again later', CloseCode.tryAgainLater);
      return;
    }
    if (hello.v !== PROTOCOL_VERSION) {
      refuse('version', `unsupported protocol version ${hello.v} (this node speaks ${PROTOCOL_VERSION})`, CloseCode.rejected);
      return;
    }
    // '@server' is who the backend's publishes come from: no member may be it, or look like it.
    if (hello.client.startsWith('@')) {
      refuse('rejected', "client ids starting with '@' are reserved", CloseCode.rejected);
      return;
    }
    // Before placement: a client that may not join must not learn where the session is hosted.
    const verdict = await authenticate(link, deps, resumed);
    if (!link.open) return;
    if (verdict === 'timeout') {
      refuse('busy', 'authentication took too long; try again later', CloseCode.tryAgainLater);
      return;
    }
    if (verdict === 'deny') {
      refuse('unauthorized', UNAUTHORIZED, CloseCode.rejected);
      return;
    }
    const identity = typeof verdict === 'object' ? verdict : undefined;
    if (identity !== undefined && exceedsBytes(JSON.stringify(identity.meta), deps.maxMetaBytes)) {
      deps.logger.error('authenticate returned a meta over maxMetaBytes; client refused', { client: hello.client, maxMetaBytes: deps.maxMetaBytes });
      refuse('rejected', `the meta authenticate gave is over maxMetaBytes (${deps.maxMetaBytes})`, CloseCode.rejected);
      return;
    }
    // The only step that waits; the decision after it is synchronous, so nothing changes the view
    // (or starts a drain) between deciding and acting.
    await deps.placement.probe(hello);
    if (!link.open) return;
    const decision = deps.placement.decide(hello);
    if (decision.kind === 'redirect') {
      if (tally !== undefined) tally.redirects[decision.reason]++;
      link.send({ t: 'redirect', node: decision.node, reason: decision.reason });
      link.close(CloseCode.redirect, 'redirect');
      return;
    }
    if (decision.kind === 'refuse') {
      refuse(decision.code, decision.message, CloseCode.drained);
      return;
    }
    // What the server says of the member is its meta, whatever its hello claimed.
    const joining = identity === undefined ? hello : { ...hello, meta: identity.meta };
    const result = deps.sessions.join(link, joining, (parts) => deps.welcome(hello, parts), identity !== undefined);
    if (result.kind === 'rejected') {
      refuse('rejected', result.message, CloseCode.rejected);
      return;
    }
    if (tally !== undefined) tally.joins++;
    link.attach();
  } catch (error) {
    deps.logger.error('unexpected error admitting a client', { client: hello.client, error });
    link.close(CloseCode.internalError, 'internal error');
  }
}

/** Runs the hook, bounded by `authTimeoutMs`; a throw is a refusal (logged without the token). */
async function authenticate(link: ClientLink, deps: AdmissionDeps, resumed: boolean): Promise<AuthVerdict> {
  const hook = deps.authenticate;
  if (hook === undefined) return 'allow';
  const { hello } = link;
  const request = {
    token: hello.token,
    session: hello.session,
    client: hello.client,
    address: link.origin.address,
    resumed,
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<AuthVerdict>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), deps.authTimeoutMs);
    timer.unref();
  });
  const verdict = new Promise<unknown>((resolve) => resolve(hook(request))).then(
    (ok): AuthVerdict => (ok === true ? 'allow' : identityOf(ok) ?? 'deny'),
    (error: unknown): AuthVerdict => {
      deps.logger.warn('authenticate threw; client refused', { client: hello.client, error: scrub(error, hello.token) });
      return 'deny';
    },
  );
  try {
    return await Promise.race([verdict, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The hook's `{ meta }` as plain JSON (a copy: the hook's object may change later); undefined if it is none. */
function identityOf(answer: unknown): { meta: JsonValue } | undefined {
  if (typeof answer !== 'object' || answer === null || !('meta' in answer)) return undefined;
  const text = JSON.stringify((answer as { meta: unknown }).meta);
  return { meta: text === undefined ? null : (JSON.parse(text) as JsonValue) };
}

/** The hook's error for the log, with the token cut out in case the hook's message quoted it. */
function scrub(error: unknown, token: string | undefined): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return (token === undefined ? text : text.split(token).join('[redacted]')).slice(0, 500);
}
