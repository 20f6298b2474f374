/**
 * Suspicion of one client link: when the node has been quiet for a little more than one heartbeat
 * interval, ask the cloud (another node) whether the host is gone, instead of waiting out the whole
 * heartbeat timeout alone. A client cannot tell a dead host from a bad path; the host's peers can,
 * and they watch it every 500 ms.
 *
 * Only a verdict of `dead` acts (the link dies and the session migrates at once). `alive` means
 * the trouble is our own path and `unknown` means nobody can say: both leave the link to the
 * heartbeat timeout and the partition rules, as before, and no second question is asked until a
 * frame has arrived again. So a migration needs the cloud's own confirmation; nothing this side
 * sees (a hidden tab, a GC pause, a loaded loop) can cause one the timeout rule would not.
 *
 * The silence is watched by the link's own heartbeat timer (core/liveness.ts `onSilent`, which
 * also refuses to report a silence measured by a stalled loop), so an idle link pays for no third
 * timer; the link holds the question while it is asked:
 *
 *   listening --silent >= suspectMs (timer on time)------> asking (askCloud)
 *   asking    --a frame arrived (question aborted)--------> listening
 *   asking    --verdict alive | unknown (or it failed)----> trusting (no question until a frame)
 *   asking    --verdict dead------------------------------> the link dies (heartbeat timeout)
 *   trusting  --a frame arrived---------------------------> listening
 */
import type { Verdict } from '../dial/status.js';
import type { HeartbeatSettings } from '../protocol/frames.js';

export type { Verdict };

/**
 * The silence that makes a client suspect its host: a little more than the longest gap an idle
 * link shows (each end pings after one interval of its own silence, so frames come at least every
 * max(ours, the node's) interval), or undefined when that is not clearly below the timeout (the
 * question would come too late to help).
 */
export function suspectAfter(client: HeartbeatSettings, node?: HeartbeatSettings): number | undefined {
  const gap = Math.max(client.intervalMs, node?.intervalMs ?? 0);
  const suspectMs = Math.round(gap * 1.3);
  return suspectMs + gap / 2 <= client.timeoutMs ? suspectMs : undefined;
}

/**
 * Asks the cloud once (`ask` must not reject with meaning: a failure counts as `unknown`). Calls
 * `onConfirmedDead` only for a `dead` verdict that arrives before the returned controller is
 * aborted — by a frame arriving, or the link ending.
 */
export function askCloud(ask: (signal: AbortSignal) => Promise<Verdict>, onConfirmedDead: () => void): AbortController {
  const question = new AbortController();
  ask(question.signal).then(
    (verdict) => verdict === 'dead' && !question.signal.aborted && onConfirmedDead(),
    () => {},
  );
  return question;
}
