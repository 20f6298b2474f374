/**
 * Why a link moves (link.ts) and what follows from it: what a join still waiting is answered, and
 * how the transport is closed. Pure functions of the cause, apart from the link's state machine.
 */
import { ConnectError, LinkError, type GridlinkError } from '../core/errors.js';
import { CloseCode, type NodeInfo, type WelcomeFrame } from '../protocol/frames.js';

/** How a node answered our hello (a refusal rejects the join instead). */
export type HandshakeResult =
  | { readonly kind: 'welcome'; readonly welcome: WelcomeFrame }
  | { readonly kind: 'redirect'; readonly node: NodeInfo; readonly reason: string };

/** Why the link moves: decides what the join is answered, how the transport closes, what the host hears. */
export type Cause<Host = unknown> =
  | { readonly kind: 'hello' }
  | { readonly kind: 'welcome'; readonly welcome: WelcomeFrame }
  | { readonly kind: 'redirect'; readonly node: NodeInfo; readonly reason: string }
  /** Ended without its owner asking: lost, refused, silent, a broken protocol, a deadline, an abort. */
  | { readonly kind: 'death'; readonly error: GridlinkError; readonly closeCode: CloseCode }
  /** The owner called close(). */
  | { readonly kind: 'close'; readonly closeCode: number; readonly reason: string }
  /** The session attached to a link that had already died. */
  | { readonly kind: 'attach'; readonly host: Host };

/**
 * Maps a node's `error` frame to our codes: a refused join is final, a draining or busy node is
 * not. `unauthorized` is final here; the connector makes it retriable when `getToken` can fetch a
 * fresh token for the next attempt.
 */
export function nodeRefusal(node: NodeInfo, code: string, message: string): GridlinkError {
  const text = `node ${node.id} refused the join (${code}: ${message.slice(0, 200)})`;
  if (code === 'rejected') return new ConnectError('GRIDLINK_REJECTED', text, { retriable: false });
  if (code === 'unauthorized') return new ConnectError('GRIDLINK_UNAUTHORIZED', text, { retriable: false });
  if (code === 'version') return new ConnectError('GRIDLINK_PROTOCOL', text, { retriable: false });
  // Over the node's bound: no node of the cloud would take this hello, so trying again is a loop.
  if (code === 'meta-too-large') return new ConnectError('GRIDLINK_META_TOO_LARGE', text, { retriable: false });
  // Alive and well, only over its join rate (or slow to authenticate): not a node that failed.
  if (code === 'busy') return new ConnectError('GRIDLINK_BUSY', text, { retriable: true });
  return new ConnectError('GRIDLINK_CONNECT_FAILED', text, { retriable: true });
}

/** What a join still waiting is answered when the handshake ends for `cause`. */
export function answerFor(cause: Cause): HandshakeResult | GridlinkError {
  switch (cause.kind) {
    case 'welcome':
      return { kind: 'welcome', welcome: cause.welcome };
    case 'redirect':
      return { kind: 'redirect', node: cause.node, reason: cause.reason };
    case 'death':
      return cause.error;
    case 'close':
    default: // 'hello' and 'attach' never leave a handshake
      return new LinkError('GRIDLINK_LINK_LOST', 'link closed during handshake', { retriable: true });
  }
}

/** The close code and reason the transport is closed with when the link ends for `cause`. */
export function closeFor(cause: Cause): { code: number; reason: string } {
  switch (cause.kind) {
    case 'death':
      return { code: cause.closeCode, reason: cause.error.code };
    case 'close':
      return { code: cause.closeCode, reason: cause.reason };
    case 'redirect':
      return { code: CloseCode.normal, reason: 'following redirect' };
    default: // 'hello', 'welcome' and 'attach' never close the transport
      return { code: CloseCode.normal, reason: cause.kind };
  }
}
