/**
 * examples/browser, as a person would use it: `node examples/browser/serve.mjs` prints a URL; the
 * page renders the node it is on and a round trip; killing that node from the terminal moves the
 * page to another node. A screenshot proves it rendered (a real PNG with content, not a blank page).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { needing, requireTool } from '../helpers/tools.js';
import { waitFor } from '../helpers/wait.js';
import { launchChromium } from './support/browser.js';

const haveChromium = requireTool('chromium');

let browser: Browser;
let example: ChildProcess;
let output = '';
const shots = mkdtempSync(join(tmpdir(), 'gridlink-shot-'));

describe.skipIf(!haveChromium)(needing('chromium', 'browser: the example page'), () => {
  beforeAll(async () => {
    browser = await launchChromium();
    example = spawn(process.execPath, ['examples/browser/serve.mjs', '--port', '0'], { stdio: ['pipe', 'pipe', 'pipe'] });
    example.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    example.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor("the example's URL", () => /http:\/\/127\.0\.0\.1:\d+\//.test(output), { guardMs: 30_000, detail: () => `got: ${output.slice(-300)}` });
  });

  afterAll(async () => {
    await browser?.close();
    if (example !== undefined && example.exitCode === null) {
      const exited = new Promise((resolve) => example.once('exit', resolve));
      example.stdin?.write('quit\n');
      const late = setTimeout(() => example.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(late);
    }
    rmSync(shots, { recursive: true, force: true });
  });

  it('renders the node, the round trip and the session, and keeps working when its node is killed', async () => {
    const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(output)?.[0] as string;
    const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
    await page.goto(url);
    await page.locator('#state', { hasText: 'connected' }).waitFor({ timeout: 30_000 });
    await page.locator('#rtt', { hasText: /ms$/ }).waitFor({ timeout: 30_000 });
    const first = (await page.locator('#node').textContent())?.trim() ?? '';
    expect(first).toMatch(/^[a-c]$/);

    example.stdin?.write(`kill ${first}\n`);
    await page.waitForFunction((was) => {
      const node = document.getElementById('node')?.textContent?.trim();
      return document.getElementById('state')?.textContent === 'connected' && node !== was && /^[a-c]$/.test(node ?? '');
    }, first, { timeout: 30_000 });
    await page.locator('#log li', { hasText: `moved ${first} →` }).waitFor({ timeout: 30_000 });

    const file = join(shots, 'example.png');
    await page.screenshot({ path: file, fullPage: true });
    const png = readFileSync(file);
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(png.length).toBeGreaterThan(10_000); // text, cards and a log: far more than a blank page
    expect(await page.locator('h1').textContent()).toBe('gridlink in a browser');
    await page.close();
  });
});
