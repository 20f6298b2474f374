/**
 * The browser bundle in real Chromium: a page (the IIFE from a <script> tag) and a Node client share
 * a session on a local cloud; the host is SIGKILLed or black-holed; both end up on one new node and
 * every message, both ways, arrives exactly once. The page finds the cloud by a static list, by
 * DNS-over-HTTPS against the nodes' own DNS, and by the nodes' discovery document.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startLocalCloud, type LocalCloud } from '../../dist/server.js';
import { needing, requireTool } from '../helpers/tools.js';
import { sleep } from '../helpers/wait.js';
import { harness, launchChromium, serveHarness, type StaticServer } from './support/browser.js';
import { converse, type Conversation } from './support/conversation.js';

const haveChromium = requireTool('chromium');

let browser: Browser;
let site: StaticServer;
let cloud: LocalCloud;
let page: Page;
let talk: Conversation | undefined;

const httpOf = (url: string, path: string): string => `${url.replace(/^ws/, 'http').replace(/\/$/, '')}${path}`;

/** Pumps both ways, breaks the host, waits for both to converge elsewhere, checks delivery. */
async function survive(c: Conversation, failure: (victim: string) => Promise<void>): Promise<string> {
  c.startPumps();
  await sleep(200);
  await failure(c.host);
  const next = await c.converged(c.host);
  await sleep(200);
  await c.stopPumps();
  expect(await c.violations()).toEqual([]);
  expect((await c.status()).sent).toBeGreaterThan(10); // the page did talk across the failure
  expect(c.bob.sent).toBeGreaterThan(10);
  return next;
}

describe.skipIf(!haveChromium)(needing('chromium', 'browser: failover in Chromium'), () => {
  beforeAll(async () => {
    // A page resolves node names (b.cloud.test) through the system's DNS, as it would in a real
    // delegated zone; here the rule stands in for that delegation.
    browser = await launchChromium(['--host-resolver-rules=MAP *.cloud.test 127.0.0.1']);
    site = await serveHarness();
  });

  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });

  beforeEach(async () => {
    cloud = await startLocalCloud({ nodes: 3, cloud: 'cloud.test' });
    page = await browser.newPage();
    page.on('pageerror', (error) => console.error('page error:', error.message));
    await page.goto(`${site.origin}/`);
  });

  afterEach(async () => {
    await harness(page, 'close').catch(() => {});
    await talk?.bob.client.close();
    talk = undefined;
    await page.close();
    await cloud.stop();
  });

  it('SIGKILL of the host: the page and a Node client move to one new node, exactly once both ways', async () => {
    talk = await converse(page, cloud, 'b-crash', { nodes: cloud.urls });
    const victim = talk.host;
    const next = await survive(talk, (host) => cloud.kill(host));
    expect(next).toBe(cloud.hostOf('b-crash')?.id);
    expect((await talk.status()).migrations[0]).toMatchObject({ from: victim, reason: 'link-lost' });
  });

  it('a black-holed host is found dead by heartbeat in the page, and the session moves without loss', async () => {
    talk = await converse(page, cloud, 'b-silent', { nodes: cloud.urls });
    const victim = talk.host;
    await survive(talk, async (host) => cloud.blackhole(host));
    expect((await talk.status()).migrations[0]).toMatchObject({ from: victim, reason: 'heartbeat-timeout' });
  });

  it('finds the cloud by DNS-over-HTTPS against the nodes and fails over with it', async () => {
    const doh = cloud.urls.map((url) => httpOf(url, '/dns-query'));
    talk = await converse(page, cloud, 'b-doh', { cloud: 'cloud.test', doh, scheme: 'ws' });
    const before = await talk.status();
    expect(before.url).toMatch(/^ws:\/\/[a-z]\.cloud\.test:\d+\/$/); // a name from the SRV answer
    expect(before.resources.some((url) => url.includes('/dns-query?dns='))).toBe(true);
    await survive(talk, (host) => cloud.kill(host));
    expect((await talk.status()).url).toMatch(/\.cloud\.test:/);
  });

  it('finds the cloud by the discovery document and fails over with it', async () => {
    const discovery = cloud.urls.map((url) => httpOf(url, '/.well-known/gridlink'));
    talk = await converse(page, cloud, 'b-discovery', { discovery });
    expect((await talk.status()).resources.some((url) => url.endsWith('/.well-known/gridlink'))).toBe(true);
    await survive(talk, (host) => cloud.kill(host));
  });
});
