/**
 * The artifact itself: the built package loads by its own name with `import` and with `require`,
 * the browser bundles carry no Node built-ins and no undici, and errors are recognisable across the
 * ESM and CJS copies of the package.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/spawn.js';

const node = (code: string, type: 'module' | 'commonjs') =>
  run(process.execPath, [type === 'module' ? '--input-type=module' : '--input-type=commonjs', '-e', code]);

describe('package', () => {
  it('loads with import (client and server entries)', async () => {
    const p = node(
      `import { connect, GridlinkError, isGridlinkError } from 'gridlink';
       import { startNode, startLocalCloud, startFaultProxy } from 'gridlink/server';
       console.log(JSON.stringify([typeof connect, typeof GridlinkError, typeof isGridlinkError, typeof startNode, typeof startLocalCloud, typeof startFaultProxy]));`,
      'module',
    );
    expect(await p.exited).toBe(0);
    expect(JSON.parse(p.output())).toEqual(Array(6).fill('function'));
  });

  it('loads with require (client and server entries)', async () => {
    const p = node(
      `const { connect } = require('gridlink'); const { startNode } = require('gridlink/server');
       console.log(JSON.stringify([typeof connect, typeof startNode]));`,
      'commonjs',
    );
    expect(await p.exited).toBe(0);
    expect(JSON.parse(p.output())).toEqual(['function', 'function']);
  });

  it('recognises an error from the CJS copy as a GridlinkError of the ESM copy', async () => {
    const p = node(
      `import { createRequire } from 'node:module';
       import { GridlinkError, isGridlinkError } from 'gridlink';
       const cjs = createRequire(import.meta.url)('gridlink');
       const e = new cjs.SessionError('GRIDLINK_BUFFER_FULL', 'x');
       console.log(JSON.stringify([e instanceof GridlinkError, isGridlinkError(e), e.code]));`,
      'module',
    );
    expect(await p.exited).toBe(0);
    expect(JSON.parse(p.output())).toEqual([true, true, 'GRIDLINK_BUFFER_FULL']);
  });

  it('rejects bad options synchronously with the option named', async () => {
    const p = node(
      `import { connect } from 'gridlink';
       try { connect({ session: 's', nodes: ['ws://127.0.0.1:1'], heartbeat: { timeoutMs: 10 } }); }
       catch (e) { console.log(JSON.stringify([e.code, e.message])); }`,
      'module',
    );
    expect(await p.exited).toBe(0);
    const [code, message] = JSON.parse(p.output()) as [string, string];
    expect(code).toBe('GRIDLINK_INVALID_OPTION');
    expect(message).toContain('heartbeat.timeoutMs');
  });

  it('ships browser bundles without Node built-ins or undici', () => {
    for (const file of ['dist/browser.js', 'dist/gridlink.iife.js', 'dist/gridlink.core.iife.js']) {
      const code = readFileSync(file, 'utf8');
      expect(code, file).not.toMatch(/undici/);
      expect(code, file).not.toMatch(/["']node:[a-z_]+["']/);
      expect(code, file).not.toMatch(/require\(["'](net|tls|dns|http|https|crypto|events|stream)["']\)/);
    }
    expect(readFileSync('dist/gridlink.iife.js', 'utf8')).toMatch(/var gridlink\s*=/);
  });

  it('keeps error class names in the minified browser bundles (users log error.name)', async () => {
    const browser = (await import(pathToFileURL(resolve('dist/browser.js')).href)) as Record<string, new (code: string, message: string) => Error>;
    // The IIFEs define the global `gridlink`; evaluated here, they touch no browser global until used.
    const iife = (file: string) => new Function(`${readFileSync(file, 'utf8')}\nreturn gridlink;`)() as typeof browser;
    for (const bundle of [browser, iife('dist/gridlink.iife.js'), iife('dist/gridlink.core.iife.js')]) {
      for (const name of ['GridlinkError', 'OptionsError', 'ConnectError', 'LinkError', 'SessionError', 'ClosedError']) {
        expect(new bundle[name]!('GRIDLINK_TIMEOUT', 'x').name, name).toBe(name);
      }
    }
  });

  it('publishes types that compile without @types/node (a browser-only TypeScript project)', async () => {
    // Inside the package folder, so `gridlink` resolves to this package by its own exports.
    const dir = mkdtempSync(join(process.cwd(), '.types-check-'));
    try {
      writeFileSync(join(dir, 'use.ts'), `import { connect, ConnectError, type ClientEvents } from 'gridlink';
import { startNode, type NodeServerOptions } from 'gridlink/server';
const client = connect({ session: 's', nodes: ['wss://cloud.example.com'] });
client.on('message', (data: unknown) => void data);
export const used = [client, ConnectError, startNode] as const;
export type Used = [ClientEvents, NodeServerOptions];
`);
      const compilerOptions = { strict: true, target: 'es2022', module: 'node16', moduleResolution: 'node16', lib: ['es2022', 'dom'], types: [], noEmit: true };
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['use.ts'] }));
      const tsc = run(process.execPath, [resolve('node_modules/typescript/bin/tsc'), '-p', dir]);
      const code = await tsc.exited;
      expect(tsc.output()).toBe('');
      expect(code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
