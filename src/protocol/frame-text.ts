/**
 * A frame's text before its fields are read (codec.ts): its size in UTF-8, and the JSON object it
 * must be.
 */
import { LinkError } from '../core/errors.js';

/** A frame's text as a JSON object with a string `t`, within `maxFrameBytes`; throws `LinkError` otherwise. */
export function parseObject(raw: string | Uint8Array, limits: { readonly maxFrameBytes: number }): Record<string, unknown> {
  if (typeof raw !== 'string') {
    throw new LinkError('GRIDLINK_PROTOCOL', 'binary WebSocket messages are not part of the protocol');
  }
  // UTF-16 length is a lower bound of the UTF-8 size and free to read; check the exact size only
  // when it could matter.
  if (exceedsBytes(raw, limits.maxFrameBytes)) {
    throw new LinkError('GRIDLINK_FRAME_TOO_LARGE', `frame exceeds maxFrameBytes (${limits.maxFrameBytes})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (cause) {
    throw new LinkError('GRIDLINK_PROTOCOL', 'frame is not valid JSON', { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new LinkError('GRIDLINK_PROTOCOL', 'frame must be a JSON object');
  }
  const obj = value as Record<string, unknown>;
  if (typeof obj.t !== 'string') throw new LinkError('GRIDLINK_PROTOCOL', "frame has no type 't'");
  return obj;
}

let encoder: TextEncoder | undefined;
function byteLength(text: string): number {
  encoder ??= new TextEncoder();
  return encoder.encode(text).byteLength;
}

/** Whether `text` is more than `limit` bytes of UTF-8 (the exact count only when it could matter). */
export function exceedsBytes(text: string, limit: number): boolean {
  return text.length > limit || (text.length * 3 > limit && byteLength(text) > limit);
}
