// Bundle size of the browser client, side by side with other realtime clients, all built and
// measured the same way in one run: esbuild bundles each package's browser entry (`export * from
// '<package>'`, platform browser, ES2022, minified, IIFE), and the output is gzipped (zlib level 6,
// what `gzip` does by default). gridlink is measured that way too, and as shipped (dist/gridlink.iife.js).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { main, row } from './lib.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const GOAL_BYTES = 10 * 1024;

const CANDIDATES = [
  { name: 'gridlink', entry: "export * from 'gridlink';", what: 'failover sessions, DoH + discovery, heartbeats' },
  { name: 'socket.io-client', entry: "export * from 'socket.io-client';", what: 'reconnect with backoff, one URL' },
  { name: 'centrifuge', entry: "export * from 'centrifuge';", what: 'reconnect, pings, JSON protocol' },
  { name: 'reconnecting-websocket', entry: "export { default } from 'reconnecting-websocket';", what: 'reconnect only' },
];

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
const gz = (bytes) => gzipSync(bytes, { level: 6 }).length;

async function measure(candidate) {
  const result = await build({
    stdin: { contents: candidate.entry, resolveDir: ROOT, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    write: false,
    metafile: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].contents;
  // gridlink resolves to this package itself (its own name and `browser` export condition).
  const manifest = candidate.name === 'gridlink' ? `${ROOT}/package.json` : `${ROOT}/node_modules/${candidate.name}/package.json`;
  const version = JSON.parse(readFileSync(manifest, 'utf8')).version;
  return { ...candidate, version, min: code.length, gzip: gz(code), metafile: result.metafile };
}

/** The largest inputs of gridlink's bundle: where a trim would pay. */
function biggest(metafile, count) {
  const inputs = Object.values(metafile.outputs)[0].inputs;
  return Object.entries(inputs)
    .sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput)
    .slice(0, count)
    .map(([path, info]) => `${path.replace(/^.*node_modules\//, '')} ${kb(info.bytesInOutput)}`);
}

export async function run() {
  const shipped = readFileSync(`${ROOT}/dist/gridlink.iife.js`);
  const shippedGzip = gz(shipped);
  // The shipped bundle must stay free of Node: nothing to polyfill in a page.
  const nodeOnly = /["']node:[a-z_]+["']|undici/.test(shipped.toString('utf8'));
  const results = [];
  for (const candidate of CANDIDATES) results.push(await measure(candidate));
  const ours = results[0];
  // dist/browser.js is minified by the package build, then re-bundled here: the raw source shows what is big.
  const source = await build({ entryPoints: [`${ROOT}/src/browser.ts`], bundle: true, minify: true, format: 'iife', platform: 'browser', target: 'es2022', write: false, metafile: true, logLevel: 'silent' });
  return {
    title: 'Browser bundle size (minified + gzip)',
    rows: [
      row('gridlink dist/gridlink.iife.js as shipped (min / gzip)', `${kb(shipped.length)} / ${kb(shippedGzip)}`, '≤ 10 KB gzip', shippedGzip <= GOAL_BYTES),
      row('gridlink browser bundle free of node: built-ins and undici', nodeOnly ? 'no' : 'yes', 'yes', !nodeOnly),
      ...results.map((r) => row(`${r.name} ${r.version} (min / gzip) — ${r.what}`, `${kb(r.min)} / ${kb(r.gzip)}`, r === ours ? '≤ 10 KB gzip' : '', r === ours ? r.gzip <= GOAL_BYTES : undefined)),
    ],
    how:
      "each package's browser entry bundled by esbuild in this run (`export * from '<package>'`, platform browser, ES2022, minify, IIFE, no legal comments), gzip level 6; " +
      'gridlink also as shipped (tsup, same esbuild settings).',
    notes: [`largest inputs of gridlink's bundle (minified bytes): ${biggest(source.metafile, 10).join(', ')}`],
    figures: Object.fromEntries(results.map((r) => [r.name, { version: r.version, min: r.min, gzip: r.gzip }])),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) main('bundle-size', run);
