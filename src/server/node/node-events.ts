/**
 * The node's events for the process that embeds it (`node.on('join' | 'leave' | 'message' |
 * 'migrated-in', …)`): for persistence, bots and audit. Observe-only and best effort: a listener
 * cannot change delivery, a listener that throws is logged and skipped, and events of a node that
 * dies die with it. Each node reports what happens while it hosts a session, so across a migration
 * a backend listening on every node sees a member's join once and its leave once; a message may be
 * seen again after a migration (its sender replays what was unconfirmed), with the same `from` and
 * `seq`: dedupe on (session, from, seq) when persisting.
 */
import { base64ToBytes } from '../../core/base64.js';
import type { Emitter } from '../../core/emitter.js';
import type { Logger } from '../../core/logger.js';
import type { JsonValue } from '../../protocol/frames.js';
import type { SessionObserver } from '../sessions/observer.js';

export interface NodeJoinEvent {
  readonly session: string;
  readonly clientId: string;
  readonly meta: JsonValue | undefined;
}

export interface NodeLeaveEvent {
  readonly session: string;
  readonly clientId: string;
  /** `bye`: the client closed; `timeout`: away longer than `memberGraceMs`. */
  readonly reason: 'bye' | 'timeout';
}

export interface NodeMessageEvent {
  readonly session: string;
  readonly from: string;
  /** The sender's sequence number; undefined for a volatile message. */
  readonly seq: number | undefined;
  /** Set when the message is for one member only (`send(data, { to })`). */
  readonly to: string | undefined;
  readonly data: string | Uint8Array;
}

export interface NodeMigratedInEvent {
  readonly session: string;
  /** The node the first member arrived from, when it said. */
  readonly from: string | undefined;
}

export interface NodeEvents {
  join: (event: NodeJoinEvent) => void;
  leave: (event: NodeLeaveEvent) => void;
  message: (event: NodeMessageEvent) => void;
  'migrated-in': (event: NodeMigratedInEvent) => void;
}

/** The session host's observer, reporting to `events`. */
export function nodeEventObserver(events: Emitter<NodeEvents>, logger: Logger): SessionObserver {
  const emit = <E extends keyof NodeEvents>(event: E, value: Parameters<NodeEvents[E]>[0]): void => {
    if (events.listenerCount(event) === 0) return;
    try {
      (events.emit as (event: E, value: Parameters<NodeEvents[E]>[0]) => boolean)(event, value);
    } catch (error) {
      logger.error('a node event listener threw', { event, error: error instanceof Error ? error.message : String(error) });
    }
  };
  return {
    watchingMessages: () => events.listenerCount('message') > 0,
    joined: (session, clientId, meta) => emit('join', { session, clientId, meta }),
    left: (session, clientId, reason) => emit('leave', { session, clientId, reason }),
    migratedIn: (session, from) => emit('migrated-in', { session, from }),
    message(session, from, frame, payloadJson) {
      // Requests, replies and shared writes are the `extras` piece's traffic, not messages.
      if (frame.q !== undefined || frame.r !== undefined || frame.k !== undefined) return;
      const text = payloadJson === undefined ? frame.d : (JSON.parse(payloadJson) as string);
      emit('message', { session, from, seq: frame.seq, to: frame.to, data: frame.b === 1 ? base64ToBytes(text) : text });
    },
  };
}
