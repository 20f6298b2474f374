/**
 * Protocol "Acknowledge" (docs/protocol.md): for each sender, the minimum watermark over the other
 * members that hold it back (delivery.ts `confirmedUpTo`; any unknown one blocks). Sent only when
 * it rises, only to attached senders, never while the session settles: a session arriving by
 * migration may have members still on their way that nobody here knows of, so it acknowledges
 * nothing until they had time to arrive and report what they have.
 */
import { confirmedUpTo, type Receipts } from './delivery.js';
import type { Session } from './records.js';

export function acknowledge(session: Session, senders?: readonly string[]): void {
  if (session.settle.kind === 'settling') return;
  const ids = senders ?? [...session.members.keys()];
  for (const id of ids) {
    const sender = session.members.get(id);
    if (sender === undefined || sender.attachment.kind !== 'attached') continue;
    const upTo = confirmedUpTo(holding(session), id, session.positions);
    if (upTo !== undefined && upTo > sender.ackedSent) {
      sender.ackedSent = upTo;
      sender.attachment.link.send({ t: 'acked', upTo });
    }
  }
}

function* holding(session: Session): Iterable<Receipts> {
  for (const member of session.members.values()) if (member.holds) yield member;
}

/** A migrating session settles for `settleMs`, then acknowledges what it can. */
export function startSettling(session: Session, settleMs: number): void {
  const timer: NodeJS.Timeout = setTimeout(() => {
    // Only the timer of the current settling may end it.
    if (session.settle.kind !== 'settling' || session.settle.timer !== timer) return;
    settle(session);
    acknowledge(session);
  }, settleMs);
  timer.unref?.();
  session.settle = { kind: 'settling', timer };
}

/**
 * The one way a session stops settling (its time is up, or it ends here), refused unless it is
 * settling: leaving `settling` cancels its timer. A session is never settling again.
 */
export function settle(session: Session): boolean {
  if (session.settle.kind !== 'settling') return false;
  clearTimeout(session.settle.timer);
  session.settle = { kind: 'settled' };
  return true;
}
