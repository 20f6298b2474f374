/**
 * The cloud behind a real HAProxy (the seeds' configuration and the recommended one, adapted only
 * in addresses and ports), real node processes: sessions stay on one node, members converge
 * through the proxy's sticky cookies, and a SIGKILLed host is a migration with nothing lost.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { allDelivered, closeAll, commonNode, deliveryViolations, sendNext, type Member } from '../helpers/members.js';
import { joinThroughProxy, linksOf, startProxiedCloud, type ConfigName, type ProxiedCloud } from '../helpers/haproxy.js';
import { needing, requireTool } from '../helpers/tools.js';
import { sleep, waitFor } from '../helpers/wait.js';

const haveHaproxy = requireTool('haproxy') && requireTool('openssl');

let cloud: ProxiedCloud | undefined;
let members: Member[] = [];

afterEach(async () => {
  await closeAll(members);
  members = [];
  await cloud?.stop();
  cloud = undefined;
});



async function pumpAround(ms: Member[], failure: () => Promise<void>, victim: string): Promise<void> {
  const pump = setInterval(() => ms.forEach(sendNext), 5);
  try {
    await sleep(250);
    await failure();
    await waitFor(`members to converge away from ${victim}`, () => {
      const node = commonNode(ms);
      return node !== undefined && node !== victim;
    }, 40_000);
    await sleep(250);
  } finally {
    clearInterval(pump);
  }
  await waitFor('every message to be delivered', () => allDelivered(ms), 30_000);
  await sleep(100); // room for a late duplicate to show itself
}

describe.skipIf(!haveHaproxy)(needing('haproxy', 'behind HAProxy: placement and failover'), () => {
  it('two members converge on one backend, even when round robin sends them to different ones', async () => {
    cloud = await startProxiedCloud({ config: 'seed' });
    const ms = joinThroughProxy(cloud, members, 'converge', ['ann', 'bob', 'cy']);
    await Promise.all(ms.map((m) => m.client.ready));
    const host = commonNode(ms);
    expect(host).toBeDefined();
    const c = cloud;
    await waitFor('the nodes to log the final links', () => ms.every((m) => linksOf(c, m.name).at(-1)?.node === host));
    // Round robin spread the first requests over the backends; non-hosts redirected with the host's cookie.
    const first = ms.map((m) => linksOf(c, m.name)[0]?.node);
    expect(new Set(first).size).toBeGreaterThan(1);
    for (const m of ms) {
      expect(m.client.node).toMatchObject({ id: host, url: `${cloud.url}/`, cookie: cloud.node(host as string).cookie });
      const links = linksOf(cloud, m.name);
      // Sent on by a redirect: the last attempt carried the host's cookie, which is what routed it.
      expect(links.at(-1)).toEqual({ node: host, sticky: links.length > 1 });
    }
  });

  for (const config of ['seed', 'recommended'] as ConfigName[]) {
    it(`SIGKILL of the hosting backend (${config} config): members converge on a live backend, exactly once`, async () => {
      cloud = await startProxiedCloud({ config });
      const ms = joinThroughProxy(cloud, members, `crash-${config}`, ['ann', 'bob', 'cy'], { connectTimeoutMs: 5000 });
      await Promise.all(ms.map((m) => m.client.ready));
      const victim = commonNode(ms) as string;
      const c = cloud;
      await pumpAround(ms, () => c.kill(victim), victim);
      expect(deliveryViolations(ms)).toEqual([]);
      for (const m of ms) {
        expect(m.migrations[0]).toMatchObject({ from: victim });
        expect(m.client.state).toBe('connected');
      }
    });
  }
});
