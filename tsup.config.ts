import { defineConfig } from 'tsup';

// Four builds from one source tree:
// - Node (ESM + CJS + types) for the client, the server kit and the CLI;
// - browser ESM + IIFE (global `gridlink`) for the client only, with no Node built-ins and no undici.
// p-retry ships only as ESM, so the CJS build bundles it (Node 20.18 cannot require() ESM).
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
    noExternal: ['p-retry', 'is-network-error'],
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
    entry: { 'gridlink.iife': 'src/browser.ts' },
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
