/**
 * Delivering a backend's publish in a session this node hosts (docs/protocol.md, "Publish"): one
 * `pub` frame, encoded once, to every attached member whose client takes them (its hello said
 * `pub: 1`); done when every member that holds senders back confirmed it with `got` — the ones
 * away for their grace period get it when they come back (publishes.ts keeps the count).
 */
import { bytesToBase64 } from '../../core/base64.js';
import { ClosedError } from '../../core/errors.js';
import { encodeFrame } from '../../protocol/codec.js';
import type { PubFrame } from '../../protocol/frames.js';
import { PendingPublishes } from './publishes.js';
import type { Member, Session } from './records.js';

/** Resolves with how many members confirmed `id`; 0 when no member here takes publishes. */
export function deliverPublish(session: Session | undefined, id: string, data: string | Uint8Array, signal: AbortSignal): Promise<number> {
  const awaited = session === undefined ? [] : [...session.members.values()].filter(awaitsPublishes).map((member) => member.id);
  if (session === undefined || awaited.length === 0) return Promise.resolve(0);
  const frame: PubFrame = typeof data === 'string' ? { t: 'pub', id, d: data } : { t: 'pub', id, d: bytesToBase64(data), b: 1 };
  const text = encodeFrame(frame);
  const table = (session.publishes ??= new PendingPublishes());
  const done = table.wait(frame, text, awaited, () => {
    for (const member of session.members.values()) if (member.pubs && member.attachment.kind === 'attached') member.attachment.link.send(frame, text);
  });
  const abandon = (): void => table.abandon(id, new ClosedError('GRIDLINK_ABORTED', 'publish abandoned (timeout or abort)'));
  if (signal.aborted) abandon();
  else {
    signal.addEventListener('abort', abandon, { once: true });
    // Settled either way: the listener must not outlive the publish.
    done.then(() => signal.removeEventListener('abort', abandon), () => signal.removeEventListener('abort', abandon));
  }
  return done;
}

/**
 * Whether a publish waits for `member`: one that holds senders back (attached, or away within its
 * grace period) and takes publishes — known from its hello, or, for a placeholder a proven member
 * vouched for, learnt when it arrives. A stranger's hello can name members, but never ones that
 * hold anything back (membership.ts), so it cannot make publishes wait.
 */
function awaitsPublishes(member: Member): boolean {
  return member.holds && (member.pubs || member.placeholder);
}
