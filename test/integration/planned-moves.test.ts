/**
 * A planned move is news, not an error: when a drained node sends its members away, or a node that
 * comes back takes its sessions back (redirect on an open link), members report `migrated` with the
 * reason, and no `error` event — apps alert on `error`. Real nodes, real kills and restarts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startLocalCloud, type LocalCloud } from '../../dist/server.js';
import { closeAll, commonNode, deliveryViolations, member, sendNext, type Member } from '../helpers/members.js';
import { waitFor } from '../helpers/wait.js';

let cloud: LocalCloud | undefined;
let members: Member[] = [];
afterEach(async () => {
  await closeAll(members);
  members = [];
  await cloud?.stop();
  cloud = undefined;
});

async function room(c: LocalCloud, session: string): Promise<Member[]> {
  members = ['ann', 'bob'].map((name) => member(name, { session, nodes: c.urls }));
  await Promise.all(members.map((m) => m.client.ready));
  return members;
}

describe('planned moves are state changes with a reason, not errors', () => {
  it('the session host comes back: members follow its redirect with no error event', async () => {
    cloud = await startLocalCloud({ nodes: 3 });
    const c = cloud;
    const [ann, bob] = await room(c, 'comes-back');
    const host = c.hostOf('comes-back')!.id;
    await c.kill(host);
    await waitFor('both members moved off the killed host', () => members.every((m) => m.migrations.length === 1 && m.client.node?.id !== host));
    // The crash itself is an error (the link was lost); what follows is planned.
    for (const m of members) m.errors.splice(0);
    await c.restart(host);
    await waitFor('both members back on the restarted host', () => commonNode(members) === host, 20_000);
    for (const m of [ann!, bob!]) {
      expect(m.migrations.at(-1)?.reason).toBe('redirect');
      expect(m.errors).toEqual([]);
    }
    for (let i = 0; i < 5; i++) for (const m of members) sendNext(m);
    await waitFor('messages flow on the host', () => deliveryViolations(members).length === 0);
  });

  it('the host drains: members report migrated (drain) and no error', async () => {
    cloud = await startLocalCloud({ nodes: 3 });
    const c = cloud;
    await room(c, 'drains');
    const host = c.hostOf('drains')!.id;
    for (const m of members) sendNext(m);
    await c.drain(host);
    await waitFor('both members moved off the drained host', () => members.every((m) => m.client.node?.id !== host && m.client.state === 'connected'));
    for (const m of members) {
      expect(m.migrations.map((x) => x.reason)).toEqual(['drain']);
      expect(m.errors).toEqual([]);
      expect(Number.isInteger(m.migrations[0]!.downtimeMs)).toBe(true);
    }
    for (const m of members) sendNext(m);
    await waitFor('messages flow after the drain', () => deliveryViolations(members).length === 0);
  });
});
