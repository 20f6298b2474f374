/**
 * What a node's frames mean once a link is open (after the welcome): relayed messages, our own
 * messages confirmed, members joining and leaving, replay requests, holes a sender cannot fill, and
 * planned moves (drain, redirect). The session keeps the state machine; this only decides what a
 * frame asks for and asks the session through `NodeFrameHost`, so every change of state still goes
 * through the session's guarded transitions and a frame from a stale link cannot move it.
 */
import type { Cooldown } from '../core/cooldown.js';
import { LinkError, type GridlinkError } from '../core/errors.js';
import type { Reason } from '../core/state.js';
import type { Link } from '../link/link.js';
import { CloseCode, type MsgFrame, type NodeFrame, type NodeInfo } from '../protocol/frames.js';
import { nodeKey, type NodeList } from '../resolve/node-list.js';
import type { Extras } from './extras.js';
import type { Flushes } from './flush.js';
import type { Members } from './members.js';
import type { Outbox } from './outbox.js';
import type { Receiver } from './receiver.js';
import type { ServerMessages } from './server-messages.js';

/** The session as frames see it. Called synchronously from a link's `onFrame`. */
export interface NodeFrameHost {
  /** The link the session talks on now (while migrating: the old one, as long as it delivers). */
  currentLink(): Link | undefined;
  /** Connected, not migrating: a migration's join replays anyway, so a resend then would be a second copy. */
  isConnected(): boolean;
  /** Re-sends the outbox on `link` from `from` (a `gap` notice first if we no longer hold that far back). */
  replay(link: Link, from: number): void;
  /** Leaves `link` for another node, make-before-break; ignored unless connected (one migration at a time). */
  move(link: Link, reason: Reason<'drain' | 'redirect'>, prefer: NodeInfo | undefined): void;
  /** `link` broke the protocol: report `error` and migrate. The link is closed right after. */
  linkDead(link: Link, error: GridlinkError): void;
  onError(error: GridlinkError): void;
}

export interface NodeFrameDeps {
  /** Our own client id: never in our member list, and our own messages are not news to us. */
  readonly self: string;
  /** The session's member list, shared: a welcome replaces its contents, these frames change them. */
  readonly members: Pick<Members, 'joined' | 'left' | 'meta'>;
  readonly receiver: Pick<Receiver, 'receive' | 'skipTo' | 'setBase'>;
  readonly outbox: Pick<Outbox, 'confirmUpTo' | 'floor'>;
  /** Told the confirmed watermark after every `acked`. */
  readonly flushes: Pick<Flushes, 'confirmed'>;
  /** Checks a node's hint against our own cloud. */
  readonly nodes: Pick<NodeList, 'check'>;
  readonly cooldown: Pick<Cooldown, 'fail'>;
  readonly extras: Pick<Extras, 'frame' | 'left'> | undefined;
  /** What the backend published (`pub`). */
  readonly server: Pick<ServerMessages, 'receive'>;
}

export class NodeFrames {
  readonly #deps: NodeFrameDeps;
  readonly #host: NodeFrameHost;

  constructor(
    deps: NodeFrameDeps,
    host: NodeFrameHost,
  ) {
    this.#deps = deps;
    this.#host = host;
  }

  handle(link: Link, frame: NodeFrame): void {
    const deps = this.#deps;
    const host = this.#host;
    switch (frame.t) {
      case 'msg':
        this.#onMsg(link, frame);
        return;
      case 'pub':
        deps.server.receive(link, frame);
        return;
      case 'acked':
        deps.outbox.confirmUpTo(frame.upTo);
        deps.flushes.confirmed(deps.outbox.floor - 1);
        return;
      case 'resend':
        if (link === host.currentLink() && host.isConnected()) host.replay(link, frame.from);
        return;
      case 'gap':
        if (frame.from !== undefined) deps.receiver.skipTo(frame.from, frame.upTo);
        return;
      case 'joined':
        // Where the newcomer stands as a sender: we start after it, and say so after a migration.
        if (frame.base !== undefined && frame.client !== deps.self) deps.receiver.setBase({ [frame.client]: frame.base });
        deps.members.joined(frame.client, frame.meta);
        return;
      case 'left':
        deps.members.left(frame.client);
        deps.extras?.left(frame.client, frame.had);
        return;

      case 'meta':
        deps.members.meta(frame.client, frame.meta);
        return;
      case 'drain':
        // Send the draining node to the back of the line so the next round does not ask it first.
        deps.cooldown.fail(nodeKey(link.node));
        if (link === host.currentLink()) host.move(link, { code: 'drain', message: `node ${link.node.id} is draining` }, this.#hint(link, frame.to));
        return;
      case 'redirect': {
        // The cloud moved the session's host (e.g. its rendezvous owner came back): move there,
        // make-before-break, like a drain — but only to a node of our own cloud.
        if (link !== host.currentLink()) return;
        const target = this.#hint(link, frame.node);
        if (target !== undefined) host.move(link, { code: 'redirect', message: `node ${link.node.id} moved the session to ${target.id}` }, target);
        return;
      }
      default:
        if (deps.extras?.frame(frame)) return;
        // welcome/error after the handshake: the node broke the protocol; leave it.
        host.linkDead(link, new LinkError('GRIDLINK_PROTOCOL', `node ${link.node.id} sent '${frame.t}' on an open link`, { retriable: true }));
        link.close(CloseCode.protocolError, 'protocol error');
    }
  }

  /** A node's hint of where to go, if it names a node of our cloud (else reported and ignored). */
  #hint(link: Link, node: NodeInfo | undefined): NodeInfo | undefined {
    if (node === undefined) return undefined;
    try {
      return this.#deps.nodes.check(node, `node ${link.node.id}'s hint`);
    } catch (error) {
      this.#host.onError(error as GridlinkError);
      return undefined;
    }
  }

  #onMsg(link: Link, frame: MsgFrame): void {
    const error = this.#deps.receiver.receive(frame);
    if (error === undefined) return;
    this.#host.linkDead(link, new LinkError(error.code, `node ${link.node.id}: ${error.message}`, { cause: error.cause, retriable: true }));
    link.close(CloseCode.protocolError, 'protocol error');
  }
}
