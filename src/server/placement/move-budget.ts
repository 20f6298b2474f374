/**
 * Move budget: how often a session may be moved by `failed` reports.
 *
 * A report that a live host cannot be reached is the one thing a node cannot check: its own link
 * to that host is fine (that is what makes the partition one-sided), and the reporter's first
 * hello — a newcomer behind the broken route — carries nothing yet to show. So what such reports
 * can do is bounded instead: at most MAX_REPORTED_MOVES claims on one session per MOVE_WINDOW_MS,
 * counting every claim the node knows of, its own and those its peers announce. A client that
 * says "failed" at every node in turn therefore spends one budget the whole cloud shares (up to
 * claims made at the same instant on two nodes, before either heard the other), and a session
 * moves at most twice in any 30 s however often it is asked to.
 *
 * Two, because a real one-sided partition may need two moves to settle: off the host one member
 * cannot reach, then off the node a second member cannot reach (pins.ts, `avoid`). A third
 * within the window waits for the window: its member is sent back to the host meanwhile and
 * retries with backoff, as it would on any refused join.
 */

/** Claims (moves) one session may take within MOVE_WINDOW_MS. */
export const MAX_REPORTED_MOVES = 2;
/** The window over which MAX_REPORTED_MOVES counts. */
export const MOVE_WINDOW_MS = 30_000;
/** Bound on the sessions remembered; the least recently moved go first (then they may move again). */
export const MAX_BUDGET_SESSIONS = 100_000;

/** Moves kept per session: enough to count the window and to know a re-announced claim. */
const KEPT_PER_SESSION = 8;

interface Move {
  /** `claimant@epoch`: the same claim heard again (a peer link reopened) is not a new move. */
  readonly key: string;
  readonly at: number;
}

export class MoveBudget {
  /**
   * session -> its last moves, oldest first; a session is dropped once its last move is out of the
   * window. Insertion-ordered by last move, so the least recently moved come first.
   */
  private readonly moves = new Map<string, Move[]>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Whether one more claim on `session` is within its budget now. */
  allows(session: string): boolean {
    return this.recent(session, this.now()).length < MAX_REPORTED_MOVES;
  }

  /** Counts the claim `claimant` made on `session` at `epoch`, once however often it is heard. */
  spend(session: string, claimant: string, epoch: number): void {
    const now = this.now();
    const key = `${claimant}@${epoch}`;
    const known = this.moves.get(session) ?? [];
    if (known.some((move) => move.key === key)) return;
    this.moves.delete(session);
    this.moves.set(session, [...known, { key, at: now }].slice(-KEPT_PER_SESSION));
    this.trim(now);
  }

  private recent(session: string, now: number): Move[] {
    return (this.moves.get(session) ?? []).filter((move) => now - move.at < MOVE_WINDOW_MS);
  }

  private trim(now: number): void {
    for (const [session, moves] of this.moves) {
      const last = moves[moves.length - 1];
      if (this.moves.size <= MAX_BUDGET_SESSIONS && last !== undefined && now - last.at < MOVE_WINDOW_MS) return;
      this.moves.delete(session);
    }
  }
}
