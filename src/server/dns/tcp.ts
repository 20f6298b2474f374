/**
 * One DNS-over-TCP connection (RFC 1035 4.2.2, RFC 7766): 2-byte length, message, repeat; queries
 * may be pipelined and are answered in order. Everything a hostile client could hold is bounded:
 * a declared length above `maxQueryBytes` closes the connection (queries are small; a huge one is
 * an attack or garbage), a message still incomplete after `idleMs` closes it (a slow trickle would
 * otherwise pin a connection slot forever), as does an idle connection, and so does a client that
 * stops reading its answers (the server will not buffer without end for it). A connection must
 * complete its first query within `firstQueryMs` (shorter than `idleMs`): a socket that says nothing
 * is what a slot-exhaustion attack is made of, and an honest resolver writes its query at once.
 */
import type { Socket } from 'node:net';
import { setUnrefTimeout, type TimerHandle } from '../../core/timers.js';

export interface TcpQueryHandler {
  /** The answer to one message, or undefined to send nothing (the connection goes on). */
  answer(message: Buffer, source: string): Buffer | undefined;
}

/** Queries larger than this are not queries. */
export const MAX_TCP_QUERY_BYTES = 4096;
/** Unread answers buffered for one client before it is cut off. */
const MAX_UNREAD_BYTES = 256 * 1024;

export interface TcpTimeouts {
  /** Idle, or a message incomplete, this long: cut. */
  readonly idleMs: number;
  /** No complete first query this long after accept: cut. */
  readonly firstQueryMs: number;
}

export function serveTcpConnection(socket: Socket, handler: TcpQueryHandler, timeouts: TcpTimeouts, onClose: () => void): void {
  const { idleMs } = timeouts;
  let pending: Buffer = Buffer.alloc(0);
  let partialSince: TimerHandle | undefined;
  const source = socket.remoteAddress ?? '';
  const cut = (): void => {
    socket.destroy();
  };
  let firstQuery: TimerHandle | undefined = setUnrefTimeout(cut, timeouts.firstQueryMs);
  socket.setNoDelay(true);
  socket.setTimeout(idleMs, cut);
  socket.on('error', cut);
  socket.once('close', () => {
    clearTimeout(partialSince);
    clearTimeout(firstQuery);
    onClose();
  });
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 2) {
      const length = pending.readUInt16BE(0);
      if (length > MAX_TCP_QUERY_BYTES) return cut();
      if (pending.length < 2 + length) break;
      const message = pending.subarray(2, 2 + length);
      pending = pending.subarray(2 + length);
      clearTimeout(firstQuery);
      firstQuery = undefined;
      const answer = handler.answer(message, source);
      if (answer !== undefined) {
        const prefix = Buffer.alloc(2);
        prefix.writeUInt16BE(answer.length);
        socket.write(Buffer.concat([prefix, answer]));
        if (socket.writableLength > MAX_UNREAD_BYTES) return cut();
      }
    }
    // A partial message has idleMs to complete, however slowly its bytes trickle in.
    if (pending.length === 0) {
      clearTimeout(partialSince);
      partialSince = undefined;
    } else if (partialSince === undefined) {
      partialSince = setUnrefTimeout(cut, idleMs);
    }
    if (pending.length === 0 && pending.buffer.byteLength > MAX_TCP_QUERY_BYTES) pending = Buffer.alloc(0);
  });
}
