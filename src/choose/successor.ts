/**
 * Where a session goes when its host dies: the cloud's nodes place a session on the rendezvous
 * owner of its id among the live nodes (server/placement), so when the host is gone every node —
 * and every member that knows the cloud's node ids — names the same successor: the owner among the
 * others. A migrating member dials it first instead of whichever node its policy lists first, and
 * a crowd of members skips the redirect hop (one more dial, hello and answer each) that a
 * non-host would answer with. It is a first guess: a pinned session or a second dead node makes
 * the node dialled redirect, as before.
 */
import { rendezvousOwner } from '../protocol/rendezvous.js';
import type { NodeInfo } from '../protocol/frames.js';

/** The node the cloud would host `session` on once `host` is gone, among the welcome's `nodes`. */
export function successorOf(session: string, nodes: readonly NodeInfo[], host: string): NodeInfo | undefined {
  return rendezvousOwner(
    session,
    nodes.filter((node) => node.id !== host),
    (node) => node.id,
  );
}
