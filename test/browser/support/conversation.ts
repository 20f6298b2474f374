/**
 * A page and a Node client in one session, both sending numbered reliable messages, so a test can
 * break the host in between and then check "exactly once, in order, both directions" and "one node".
 */
import type { Page } from 'playwright-core';
import type { LocalCloud } from '../../../dist/server.js';
import { member, sendNext, type Member } from '../../helpers/members.js';
import { sleep, waitFor } from '../../helpers/wait.js';
import { harness, pageStatus, type PageStatus } from './browser.js';

/** Each check evaluates in the page (a round trip to Chromium): poll gently. */
export const PAGE_POLL = { guardMs: 30_000, everyMs: 25 };

export interface Conversation {
  readonly page: Page;
  readonly bob: Member;
  /** The node both joined on. */
  readonly host: string;
  startPumps(everyMs?: number): void;
  stopPumps(): Promise<void>;
  /** Waits until both sides are connected on one node other than `not`. */
  converged(not: string): Promise<string>;
  /** Waits for everything sent to arrive, then returns what is wrong (empty: exactly once, in order). */
  violations(): Promise<string[]>;
  status(): Promise<PageStatus>;
}

const expected = (count: number): number[] => Array.from({ length: count }, (_, i) => i + 1);

export async function converse(page: Page, cloud: LocalCloud, session: string, pageOptions: Record<string, unknown>): Promise<Conversation> {
  await harness(page, 'join', { session, clientId: 'page', ...pageOptions });
  const bob = member('bob', { session, nodes: cloud.urls });
  await bob.client.ready;
  let host = '';
  await waitFor('page and bob on one node', async () => {
    const status = await pageStatus(page);
    host = bob.client.node?.id ?? '';
    return status.state === 'connected' && status.node === host && bob.client.state === 'connected';
  }, PAGE_POLL);
  let pump: NodeJS.Timeout | undefined;
  return {
    page,
    bob,
    host,
    startPumps(everyMs = 10) {
      pump = setInterval(() => sendNext(bob), everyMs);
      void harness(page, 'pump', everyMs);
    },
    async stopPumps() {
      clearInterval(pump);
      await harness(page, 'stopPump');
    },
    async converged(not) {
      let node = '';
      await waitFor(`both to converge away from ${not}`, async () => {
        const status = await pageStatus(page);
        node = status.node ?? '';
        return status.state === 'connected' && node !== not && bob.client.state === 'connected' && bob.client.node?.id === node;
      }, PAGE_POLL);
      return node;
    },
    async violations() {
      await waitFor('every message delivered both ways', async () => {
        const status = await pageStatus(page);
        return (status.received.bob?.length ?? 0) >= bob.sent && (bob.received.get('page')?.length ?? 0) >= status.sent;
      }, PAGE_POLL);
      await sleep(150); // room for a late duplicate to show itself
      const status = await pageStatus(page);
      const problems: string[] = [];
      if (JSON.stringify(status.received.bob ?? []) !== JSON.stringify(expected(bob.sent))) problems.push(`page got ${status.received.bob?.length ?? 0} of bob's ${bob.sent}, not exactly once in order`);
      const fromPage = bob.received.get('page') ?? [];
      if (JSON.stringify(fromPage) !== JSON.stringify(expected(status.sent))) problems.push(`bob got ${fromPage.length} of the page's ${status.sent}, not exactly once in order`);
      return problems;
    },
    status: () => pageStatus(page),
  };
}
