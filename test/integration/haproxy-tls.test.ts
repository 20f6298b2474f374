/**
 * The seeds' TLS frontend (`bind … ssl crt <pem>`, TLS ends at HAProxy) with a certificate made at
 * run time: a `wss://` client that trusts the test CA through `tls.ca` joins, exchanges messages
 * and is steered by cookie like any other; without that CA, verification (always on) refuses.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { allDelivered, closeAll, commonNode, deliveryViolations, member, sendNext, type Member } from '../helpers/members.js';
import { startProxiedCloud, type ProxiedCloud } from '../helpers/haproxy.js';
import { needing, requireTool } from '../helpers/tools.js';
import { waitFor } from '../helpers/wait.js';

const haveHaproxy = requireTool('haproxy') && requireTool('openssl');

let cloud: ProxiedCloud | undefined;
let members: Member[] = [];

afterEach(async () => {
  await closeAll(members);
  members = [];
  await cloud?.stop();
  cloud = undefined;
});

describe.skipIf(!haveHaproxy)(needing('haproxy', 'behind HAProxy: the TLS frontend'), () => {
  it('a wss:// client trusting the test CA joins through the TLS frontend; one without it is refused', async () => {
    cloud = await startProxiedCloud({ config: 'recommended', tls: true });
    const c = cloud;
    expect(c.url).toMatch(/^wss:\/\/localhost:/);
    const ms = ['ann', 'bob'].map((name) => member(name, { session: 'tls', nodes: [c.url], tls: { ca: c.ca } }));
    members.push(...ms);
    // A hang guard that says what the members and the nodes saw, rather than a bare test timeout.
    await waitFor('both members to join', () => ms.every((m) => m.client.state === 'connected'), 30_000).catch((error: Error) => {
      const seen = ms.map((m) => `${m.name}: ${m.client.state}, errors ${m.errors.join(',') || 'none'}`).join('; ');
      const tail = c.log.slice(-15).map((r) => `${r.node} ${r.message} ${JSON.stringify(r.fields)}`).join('\n');
      throw new Error(`${error.message} (${seen})\nlast node log records:\n${tail}`);
    });
    expect(commonNode(ms)).toBeDefined();
    for (let i = 0; i < 20; i++) ms.forEach(sendNext);
    await waitFor('delivery', () => allDelivered(ms));
    expect(deliveryViolations(ms)).toEqual([]);
    expect(ms[0]?.client.node?.url).toBe(`${c.url}/`);

    const stranger = member('eve', { session: 'tls', nodes: [c.url], retry: { maxElapsedMs: 1000 } });
    members.push(stranger);
    const refused = (await stranger.client.ready.catch((error: unknown) => error)) as { code: string; message: string };
    expect(refused.code).toBe('GRIDLINK_NO_NODES');
    // (undici's WebSocket drops the TLS error's detail, so the message cannot name the certificate;
    // the same client with `tls.ca` joined above, so the CA is what differs.)
    expect(stranger.errors).not.toContain('GRIDLINK_REJECTED');
  });
});
