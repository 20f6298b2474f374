/**
 * What a node will take: a message that no node would accept is refused at `send()`, with a typed
 * error and nothing queued, instead of being accepted and then looping through reconnects (the node
 * would refuse it on every link, forever). The limit is the node's `maxFrameBytes` from its welcome,
 * less the room it keeps for relaying (protocol/frames.ts); before any welcome, the client's own.
 */
import { SessionError } from '../core/errors.js';
import { exceedsBytes } from '../protocol/codec.js';
import { maxMessageFrameBytes, type WelcomeFrame } from '../protocol/frames.js';

export class MessageLimit {
  #nodeFrameBytes: number;

  readonly #ownFrameBytes: number;

  constructor(ownFrameBytes: number) {
    this.#ownFrameBytes = ownFrameBytes;
    this.#nodeFrameBytes = ownFrameBytes;
  }

  /** The largest `msg` frame the current node takes, in UTF-8 bytes. */
  get maxMessageFrameBytes(): number {
    return maxMessageFrameBytes(this.#nodeFrameBytes);
  }

  /** Adopts the node's limit from its welcome (an older node says nothing: ours stays). */
  learn(welcome: WelcomeFrame): void {
    this.#nodeFrameBytes = welcome.maxFrameBytes ?? this.#ownFrameBytes;
  }

  /** Throws `GRIDLINK_MESSAGE_TOO_LARGE` when `frameText` (one encoded `msg` frame) is over the limit. */
  check(frameText: string): void {
    const limit = this.maxMessageFrameBytes;
    if (!exceedsBytes(frameText, limit)) return;
    throw new SessionError(
      'GRIDLINK_MESSAGE_TOO_LARGE',
      `message too large: its frame is over ${limit} bytes (the node's maxFrameBytes ${this.#nodeFrameBytes} less 1024 for relaying; binary data counts as base64)`,
      { retriable: false },
    );
  }
}
