/**
 * Real Chromium (Debian's package) driven by playwright-core, and a tiny static server on loopback
 * for the test page and the built IIFE bundle. `launch()` gives each browser a fresh temporary
 * profile (playwright makes one per launch), so no state survives between suites.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, isAbsolute, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The flags of the issue: headless, no sandbox (root in CI), no GPU, nothing talking to Google. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS, ...extraArgs] });
}

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.map': 'application/json', '.css': 'text/css' };

export interface StaticServer {
  readonly origin: string;
  close(): Promise<void>;
}

/** Serves `routes` (URL path -> file path relative to the repository, or absolute) and nothing else. */
export async function serveFiles(routes: Record<string, string>): Promise<StaticServer> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const file = routes[path];
    if (file === undefined) {
      res.writeHead(404).end();
      return;
    }
    readFile(isAbsolute(file) ? file : join(ROOT, normalize(file))).then(
      (body) => res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(body),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The test page: a bundle defining the global `gridlink` and `window.harness`
 * (test/browser/support/harness.html). The bundle is the full IIFE unless another file is given.
 */
export function serveHarness(bundle = 'dist/gridlink.iife.js'): Promise<StaticServer> {
  return serveFiles({ '/': 'test/browser/support/harness.html', '/gridlink.iife.js': bundle, '/gridlink.iife.js.map': `${bundle}.map` });
}

export interface PageStatus {
  state: string;
  node: string | undefined;
  url: string | undefined;
  /** URLs the page fetched (the bundle, DoH queries, discovery documents). */
  resources: string[];
  sent: number;
  received: Record<string, number[]>;
  states: string[];
  errors: string[];
  migrations: Array<{ from: string; to: string; reason: string }>;
  dials: number;
  online: boolean;
}

export const pageStatus = (page: Page): Promise<PageStatus> => page.evaluate(() => (window as unknown as { harness: { status(): PageStatus } }).harness.status());

/** Runs `harness.<method>(...args)` in the page. */
export function harness<T = unknown>(page: Page, method: string, ...args: unknown[]): Promise<T> {
  return page.evaluate(
    ([name, params]) => {
      const h = (window as unknown as { harness: Record<string, (...a: unknown[]) => unknown> }).harness;
      return h[name as string]?.(...(params as unknown[])) as T;
    },
    [method, args] as const,
  );
}
