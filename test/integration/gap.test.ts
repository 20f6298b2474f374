/**
 * Regression (found by the storm benchmark): a member that comes back after the node's grace
 * period has missed messages that every member then present confirmed, and the senders have let
 * them go. It must be told (GRIDLINK_MESSAGE_GAP) and carry on — not wait in silence forever.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startFaultProxy, startLocalCloud, type FaultProxy, type LocalCloud } from '../../dist/server.js';
import { closeAll, member, sendNext, type Member } from '../helpers/members.js';
import { sleep, waitFor } from '../helpers/wait.js';

let cloud: LocalCloud;
let bobsNetwork: FaultProxy;
let members: Member[] = [];

beforeEach(async () => {
  cloud = await startLocalCloud({ nodes: 1, memberGraceMs: 300 });
  bobsNetwork = await startFaultProxy({ target: { port: Number(new URL(cloud.urls[0] as string).port) } });
});

afterEach(async () => {
  await closeAll(members);
  members = [];
  await bobsNetwork.close();
  await cloud.stop();
});

it('a member back after its grace period is told what it missed, then receives again', async () => {
  const bobsUrl = `ws://127.0.0.1:${bobsNetwork.port}`;
  const ann = member('ann', { session: 'gap', nodes: cloud.urls });
  // Bob reaches the cloud only through his own network, which the test can cut.
  const bob = member('bob', { session: 'gap', nodes: [bobsUrl], policy: (nodes) => nodes.filter((n) => n.url.startsWith(bobsUrl)), connectTimeoutMs: 200 });
  members.push(ann, bob);
  await Promise.all([ann.client.ready, bob.client.ready]);
  await waitFor('ann to see bob', () => ann.client.members.has('bob'));
  for (let i = 0; i < 3; i++) sendNext(ann);
  await waitFor('bob to get 1..3', () => (bob.received.get('ann') ?? []).length === 3);

  bobsNetwork.blackhole();
  bobsNetwork.resetAll(); // bob's link is gone and he cannot get back for now
  await waitFor('the node to give up on bob', () => !ann.client.members.has('bob'));
  for (let i = 0; i < 3; i++) sendNext(ann); // 4..6: confirmed by everyone present (ann alone)
  await waitFor('ann to let 4..6 go', () => ann.client.bufferedBytes === 0);

  bobsNetwork.heal();
  await waitFor('bob to report the gap', () => bob.errors.includes('GRIDLINK_MESSAGE_GAP'));
  sendNext(ann); // 7
  await waitFor('bob to receive again', () => (bob.received.get('ann') ?? []).includes(7));
  await sleep(50);
  expect(bob.received.get('ann')).toEqual([1, 2, 3, 7]);
  expect(bob.client.state).toBe('connected');
});
