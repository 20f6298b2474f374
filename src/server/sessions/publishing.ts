/**
 * Delivering a backend's publish in a session this node hosts (docs/protocol.md, "Publish"): one
 * `pub` frame, encoded once, to every attached member whose client takes them (its hello said
 * `pub: 1`), answered once each of those confirmed it with `got`; kept for the members away for
 * their grace period and sent when they come back (publishes.ts).
 */
import { bytesToBase64 } from '../../core/base64.js';
import { ClosedError } from '../../core/errors.js';
import { encodeFrame } from '../../protocol/codec.js';
import type { PubFrame } from '../../protocol/frames.js';
import { PendingPublishes, type Delivery } from './publishes.js';
import type { Member, Session } from './records.js';

/** Resolves with the members present that confirmed `id` and the members away it is kept for; both 0 when nobody here takes publishes. */
export function deliverPublish(session: Session | undefined, id: string, data: string | Uint8Array, signal: AbortSignal): Promise<Delivery> {
  const present: string[] = [];
  const away: string[] = [];
  for (const member of session?.members.values() ?? []) {
    if (member.attachment.kind === 'attached') {
      if (member.pubs) present.push(member.id);
    } else if (keptFor(member)) away.push(member.id);
  }
  if (session === undefined || present.length + away.length === 0) return Promise.resolve(NOBODY);
  const frame: PubFrame = typeof data === 'string' ? { t: 'pub', id, d: data } : { t: 'pub', id, d: bytesToBase64(data), b: 1 };
  const text = encodeFrame(frame);
  const table = (session.publishes ??= new PendingPublishes());
  const done = table.wait(frame, text, present, away, () => {
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

const NOBODY: Delivery = { members: 0, away: 0 };

/**
 * Whether a publish is kept for `member`, away: one that holds senders back (within its grace
 * period, confirming) and takes publishes — known from its hello, or, for a placeholder a proven
 * member vouched for, learnt when it arrives. A stranger's hello can name members, but never ones
 * that hold anything back (membership.ts), so it cannot make a node keep publishes for them.
 */
function keptFor(member: Member): boolean {
  return member.holds && (member.pubs || member.placeholder);
}
