/**
 * Delivering a backend's publish in a session this node hosts (docs/protocol.md, "Publish"): one
 * `pub` frame, encoded once, to every attached member whose client takes them (its hello said
 * `pub: 1`); done when each of those confirmed it with `got` (publishes.ts keeps the count). Members
 * away at that moment are not waited for: a publish reaches the members present.
 */
import { bytesToBase64 } from '../../core/base64.js';
import { ClosedError } from '../../core/errors.js';
import { encodeFrame } from '../../protocol/codec.js';
import type { PubFrame } from '../../protocol/frames.js';
import { PendingPublishes } from './publishes.js';
import type { Session } from './records.js';

/** Resolves with how many members confirmed `id`; 0 when no member here takes publishes. */
export function deliverPublish(session: Session | undefined, id: string, data: string | Uint8Array, signal: AbortSignal): Promise<number> {
  const receivers = session === undefined ? [] : [...session.members.values()].filter((member) => member.pubs && member.attachment.kind === 'attached');
  if (session === undefined || receivers.length === 0) return Promise.resolve(0);
  const frame: PubFrame = typeof data === 'string' ? { t: 'pub', id, d: data } : { t: 'pub', id, d: bytesToBase64(data), b: 1 };
  const text = encodeFrame(frame);
  const table = (session.publishes ??= new PendingPublishes());
  const done = table.wait(
    id,
    receivers.map((member) => member.id),
    () => {
      for (const member of receivers) if (member.attachment.kind === 'attached') member.attachment.link.send(frame, text);
    },
  );
  const abandon = (): void => table.abandon(id, new ClosedError('GRIDLINK_ABORTED', 'publish abandoned (timeout or abort)'));
  if (signal.aborted) abandon();
  else {
    signal.addEventListener('abort', abandon, { once: true });
    // Settled either way: the listener must not outlive the publish.
    done.then(() => signal.removeEventListener('abort', abandon), () => signal.removeEventListener('abort', abandon));
  }
  return done;
}
