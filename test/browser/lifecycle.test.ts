/**
 * A page's lifecycle in real Chromium. A background tab (hidden, its timers aligned to whole
 * seconds as Chrome does for hidden tabs, its CPU throttled 20x) keeps its link: liveness is judged
 * by the time since the last inbound frame, and the node pings, so late timers are not silence.
 * Offline: no dial is attempted while `navigator.onLine` is false; back online, the page checks its
 * link and carries on, with nothing lost or duplicated.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startLocalCloud, type LocalCloud } from '../../dist/server.js';
import { needing, requireTool } from '../helpers/tools.js';
import { sleep, waitFor } from '../helpers/wait.js';
import { harness, launchChromium, serveHarness, type StaticServer } from './support/browser.js';
import { converse, PAGE_POLL, type Conversation } from './support/conversation.js';

const haveChromium = requireTool('chromium');

let browser: Browser;
let site: StaticServer;
let cloud: LocalCloud;
let context: BrowserContext;
let page: Page;
let talk: Conversation | undefined;

describe.skipIf(!haveChromium)(needing('chromium', 'browser: lifecycle in Chromium'), () => {
  beforeAll(async () => {
    browser = await launchChromium();
    site = await serveHarness();
  });

  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });

  beforeEach(async () => {
    cloud = await startLocalCloud({ nodes: 3 });
    context = await browser.newContext();
    page = await context.newPage();
    await page.goto(`${site.origin}/`);
  });

  afterEach(async () => {
    await context.setOffline(false);
    await harness(page, 'close').catch(() => {});
    await talk?.bob.client.close();
    talk = undefined;
    await context.close();
    await cloud.stop();
  });

  it('a hidden, CPU-throttled page with late timers keeps its link (no false death either side)', async () => {
    talk = await converse(page, cloud, 'b-hidden', { nodes: cloud.urls });
    const cdp = await context.newCDPSession(page);
    await harness(page, 'hide', 1000);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 20 });
    // Longer than the client's heartbeat timeout (3 s) and the node's for clients (10 s).
    talk.startPumps(250);
    await sleep(13_000);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
    await harness(page, 'show'); // visible again: the page checks its link at once
    await sleep(1000);
    await talk.stopPumps();
    expect(await talk.violations()).toEqual([]);
    const status = await talk.status();
    expect(status.migrations).toEqual([]);
    expect(status.errors).toEqual([]);
    expect(status.states).toEqual(['connecting->connected:joined']);
    expect(status.node).toBe(talk.host);
    expect(talk.bob.migrations).toEqual([]);
  });

  it('offline: no dials while the network is down; online: the link is checked and the session goes on', async () => {
    talk = await converse(page, cloud, 'b-offline', { nodes: cloud.urls });
    talk.startPumps(50);
    await sleep(200);
    await context.setOffline(true);
    await waitFor('the page to see it is offline', async () => !(await talk?.status())?.online, PAGE_POLL);
    // Whatever the emulation does to the open socket (it may die by heartbeat), no new one is dialled.
    await sleep(4000);
    const during = await talk.status();
    await sleep(3000);
    const later = await talk.status();
    expect(later.dials).toBe(during.dials);
    await context.setOffline(false);
    await talk.converged('');
    await sleep(300);
    await talk.stopPumps();
    expect(await talk.violations()).toEqual([]);
    const status = await talk.status();
    expect(status.errors.filter((code) => code === 'GRIDLINK_CONNECT_FAILED' || code === 'GRIDLINK_NO_NODES')).toEqual([]);
  });
});
