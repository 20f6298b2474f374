/**
 * Admission: what a node does with a client's hello. Version check, then placement (which may
 * probe a node the client reports failed), then join here or redirect to the host, or refuse. The
 * node server owns sockets and lifecycle; this owns the decision and the order of its steps.
 */
import type { Logger } from '../core/logger.js';
import { CloseCode, PROTOCOL_VERSION, type HelloFrame, type WelcomeFrame } from '../protocol/frames.js';
import type { ClientLink } from './client-link.js';
import type { Placement } from './placement.js';
import type { SessionHost, WelcomeParts } from './session-host.js';

export interface AdmissionDeps {
  readonly placement: Placement;
  readonly sessions: SessionHost;
  readonly logger: Logger;
  /** Builds this node's welcome for a hello, from the session's parts. */
  readonly welcome: (hello: HelloFrame, parts: WelcomeParts) => WelcomeFrame;
}

export async function admit(link: ClientLink, deps: AdmissionDeps): Promise<void> {
  const hello = link.hello;
  try {
    if (hello.v !== PROTOCOL_VERSION) {
      link.refuse('version', `unsupported protocol version ${hello.v} (this node speaks ${PROTOCOL_VERSION})`, CloseCode.rejected);
      return;
    }
    // The only step that waits; the decision after it is synchronous, so nothing changes the view
    // (or starts a drain) between deciding and acting.
    await deps.placement.probe(hello);
    if (!link.open) return;
    const decision = deps.placement.decide(hello.session);
    if (decision.kind === 'redirect') {
      link.send({ t: 'redirect', node: decision.node, reason: decision.reason });
      link.close(CloseCode.redirect, 'redirect');
      return;
    }
    if (decision.kind === 'refuse') {
      link.refuse(decision.code, decision.message, CloseCode.drained);
      return;
    }
    const result = deps.sessions.join(link, hello, (parts) => deps.welcome(hello, parts));
    if (result.kind === 'rejected') {
      link.refuse('rejected', result.message, CloseCode.rejected);
      return;
    }
    link.attach();
  } catch (error) {
    deps.logger.error('unexpected error admitting a client', { client: hello.client, error });
    link.close(1011, 'internal error');
  }
}
