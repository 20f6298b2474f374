/**
 * The browser core as a page's bundler sees it: `import { connect } from 'gridlink'` (the package's
 * `browser` export condition, dist/browser.js) bundled by esbuild, with nothing else imported. The
 * page and a Node client share a session on a local cloud found by a static list; the host is
 * SIGKILLed; both land on one new node with every message delivered exactly once. The same page
 * shows that an option needing a piece fails with a typed, named error, and that `error.name`
 * survives minification.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startLocalCloud, type LocalCloud } from '../../dist/server.js';
import { needing, requireTool } from '../helpers/tools.js';
import { sleep } from '../helpers/wait.js';
import { harness, launchChromium, serveHarness, type StaticServer } from './support/browser.js';
import { converse, type Conversation } from './support/conversation.js';

const haveChromium = requireTool('chromium');
const ENTRY = "import { connect } from 'gridlink';\nwindow.gridlink = { connect };\n";

let browser: Browser;
let site: StaticServer;
let cloud: LocalCloud | undefined;
let page: Page;
let talk: Conversation | undefined;
let code = '';
const out = mkdtempSync(join(tmpdir(), 'gridlink-core-page-'));

describe.skipIf(!haveChromium)(needing('chromium', 'browser: the core import in Chromium'), () => {
  beforeAll(async () => {
    const bundle = join(out, 'core.js');
    const result = await build({
      stdin: { contents: ENTRY, resolveDir: process.cwd(), loader: 'js' },
      bundle: true,
      minify: true,
      format: 'iife',
      platform: 'browser',
      target: 'es2022',
      write: false,
      logLevel: 'silent',
    });
    code = result.outputFiles[0]!.text;
    writeFileSync(bundle, code);
    writeFileSync(`${bundle}.map`, '{}');
    browser = await launchChromium();
    site = await serveHarness(bundle);
    page = await browser.newPage();
    page.on('pageerror', (error) => console.error('page error:', error.message));
    await page.goto(`${site.origin}/`);
  });

  afterEach(async () => {
    await harness(page, 'close').catch(() => {});
    await talk?.bob.client.close();
    talk = undefined;
    await cloud?.stop();
    cloud = undefined;
  });

  afterAll(async () => {
    await page?.close();
    await browser?.close();
    await site?.close();
    rmSync(out, { recursive: true, force: true });
  });

  it('the core bundle carries none of the opt-in pieces', () => {
    // DoH's wire format, the discovery document and the latency probe are absent from the page.
    expect(code).not.toMatch(/dns-message|\/\.well-known\/gridlink|\/health/);
  });

  it('an option that needs a piece fails with a typed error naming the import; error.name survives minification', async () => {
    const caught = await page.evaluate(() => {
      const g = (window as unknown as { gridlink: { connect(o: unknown): unknown } }).gridlink;
      try {
        g.connect({ session: 's', discovery: 'https://x.test/.well-known/gridlink' });
        return undefined;
      } catch (error) {
        const e = error as { name: string; code: string; message: string; retriable: boolean };
        return { name: e.name, code: e.code, message: e.message, retriable: e.retriable };
      }
    });
    expect(caught).toEqual({ name: 'OptionsError', code: 'GRIDLINK_INVALID_OPTION', message: expect.stringContaining("import { cloudDiscovery } from 'gridlink'"), retriable: false });
  });

  it('SIGKILL of the host: the page (core only) and a Node client move to one new node, exactly once both ways', async () => {
    cloud = await startLocalCloud({ nodes: 3 });
    talk = await converse(page, cloud, 'core-crash', { nodes: cloud.urls });
    const victim = talk.host;
    talk.startPumps();
    await sleep(200);
    await cloud.kill(victim);
    const next = await talk.converged(victim);
    await sleep(200);
    await talk.stopPumps();
    expect(await talk.violations()).toEqual([]);
    expect((await talk.status()).sent).toBeGreaterThan(10);
    expect(next).toBe(cloud.hostOf('core-crash')?.id);
    expect((await talk.status()).migrations[0]).toMatchObject({ from: victim, reason: 'link-lost' });
  });
});
