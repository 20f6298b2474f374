/**
 * Waiting for a local cloud's nodes to see one another. A node places sessions on the peers it has
 * heard from, and until its first view is settled it holds hellos back, up to a peer timeout. A
 * node killed before a peer had heard from it leaves that peer waiting the whole timeout, and a
 * test or demo that starts acting the moment the cloud is up would meet that (a first failover of
 * 1.4 s instead of 20 ms); a restarted node its peers have not heard from yet is left out of
 * their placement. A started cloud is ready for what it advertises, so startLocalCloud and restart
 * wait until every node's discovery document lists every node healthy.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { request } from 'undici';
import { abortError } from '../core/abort.js';
import { ConnectError } from '../core/errors.js';

/** Resolves once the node at each of `urls` (ws:// as clients dial them) lists all of them healthy. */
export async function meshFormed(urls: readonly string[], timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const views = await Promise.all(urls.map((url) => healthyCount(url)));
    if (views.every((count) => count >= urls.length)) return;
    if (signal?.aborted === true) throw abortError(signal, 'waiting for the local cloud to form');
    if (Date.now() > deadline) throw new ConnectError('GRIDLINK_TIMEOUT', `the local cloud's nodes did not all see one another within ${timeoutMs} ms (healthy as each sees it: ${views.join(', ')})`);
    await delay(20);
  }
}

/** How many nodes the node at `url` lists healthy in its discovery document; 0 when it does not answer. */
async function healthyCount(url: string): Promise<number> {
  try {
    const res = await request(`${url.replace(/^ws/, 'http').replace(/\/$/, '')}/.well-known/gridlink`, { signal: AbortSignal.timeout(1000) });
    if (res.statusCode !== 200) {
      await res.body.dump();
      return 0;
    }
    const doc = (await res.body.json()) as { nodes?: Array<{ healthy?: unknown }> };
    return Array.isArray(doc.nodes) ? doc.nodes.filter((node) => node.healthy === true).length : 0;
  } catch {
    return 0;
  }
}
