import { defineConfig } from 'tsup';

// Builds from one source tree:
// - Node (ESM + CJS + types) for the client, the server kit and the CLI;
// - browser ESM (the core; opt-in pieces are separate exports a page's bundler keeps only when
//   imported), with no Node built-ins and no undici;
// - two IIFEs (global `gridlink`) for <script> tags: gridlink.iife.js with every piece wired in (as
//   in Node), gridlink.core.iife.js with the core only (nodes or a resolver).
export default defineConfig([
  {
    entry: { node: 'src/node.ts', server: 'src/server.ts', cli: 'src/cli.ts' },
    format: ['esm', 'cjs'],
    platform: 'node',
    target: 'node20',
    // Types for the library entries only (the CLI has no API). dist/ is emptied by `npm run build`
    // before tsup starts: a `clean` here would race the browser builds, which run concurrently.
    dts: { entry: { node: 'src/node.ts', server: 'src/server.ts' } },
    sourcemap: true,
    shims: true,
    splitting: true,
  },
  {
    entry: { browser: 'src/browser.ts' },
    format: ['esm'],
    platform: 'browser',
    target: 'es2022',
    dts: true,
    sourcemap: true,
    noExternal: [/.*/],
    minify: true,
  },
  {
    entry: { 'gridlink.iife': 'src/browser-full.ts', 'gridlink.core.iife': 'src/browser-core.ts' },
    format: ['iife'],
    globalName: 'gridlink',
    platform: 'browser',
    target: 'es2022',
    sourcemap: true,
    noExternal: [/.*/],
    minify: true,
    outExtension: () => ({ js: '.js' }),
  },
]);
