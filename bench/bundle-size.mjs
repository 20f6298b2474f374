// Bundle size of the browser client, side by side with other realtime clients, all built and
// measured the same way in one run: esbuild bundles a page's import of each package (its main
// entry point, by name, through the `browser` export condition), ES2022, minified, as ESM, and the
// output is gzipped at level 9. gridlink is measured as its core import, the core with each opt-in
// piece, the core with every piece, and as the two shipped IIFEs (dist/gridlink.core.iife.js,
// dist/gridlink.iife.js). `npm run build` first. Peers resolve from node_modules (phoenix is a
// devDependency); GRIDLINK_BENCH_NODE_PATH adds a folder to look in.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build, transform } from 'esbuild';
import { gzipBytes } from '../scripts/size-check.mjs';
import { main, row } from './lib.mjs';
import { LIMITS, bundleSize, gridlinkSizes, shippedSize } from '../scripts/size-check.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const GOAL_BYTES = 7 * 1024;
const BAR_BYTES = 8 * 1024;
const nodePaths = process.env.GRIDLINK_BENCH_NODE_PATH ? [process.env.GRIDLINK_BENCH_NODE_PATH] : [];

// What a page writes to open one reconnecting connection with each.
const PEERS = [
  { name: 'socket.io-client', entry: "import { io } from 'socket.io-client'; globalThis.x = io;", what: 'reconnect with backoff, one URL' },
  { name: 'centrifuge', entry: "import { Centrifuge } from 'centrifuge'; globalThis.x = Centrifuge;", what: 'reconnect, pings, JSON protocol' },
  { name: 'phoenix', entry: "import { Socket } from 'phoenix'; globalThis.x = Socket;", what: 'channels, reconnect, heartbeat' },
  { name: 'reconnecting-websocket', entry: "import ReconnectingWebSocket from 'reconnecting-websocket'; globalThis.x = ReconnectingWebSocket;", what: 'reconnect only' },
];

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
const both = (size) => `${kb(size.min)} / ${kb(size.gzip)}`;

/** The installed version: the package folder found where esbuild looks (some packages do not export package.json). */
function versionOf(name) {
  for (const dir of [`${ROOT}/node_modules`, ...nodePaths]) {
    try {
      return JSON.parse(readFileSync(`${dir}/${name}/package.json`, 'utf8')).version;
    } catch {
      // not in this folder
    }
  }
  return '?';
}

/**
 * Where the core's gzip bytes go: each source file's marginal cost (the core from source, gzip with
 * and without that file's code), largest first. What the bytes over the goal buy.
 */
async function coreByFile(count) {
  const built = await build({
    stdin: { contents: "import { connect } from './src/browser.ts'; globalThis.connect = connect;", resolveDir: ROOT, loader: 'ts' },
    bundle: true, minifyIdentifiers: true, minifySyntax: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, legalComments: 'none', logLevel: 'silent',
  });
  // Unminified whitespace keeps esbuild's `// src/<file>` markers between the files' code.
  const parts = built.outputFiles[0].text.split(/^(?=\/\/ src\/)/m);
  const squeeze = async (code) => gzipBytes((await transform(code, { minifyWhitespace: true, loader: 'js' })).code);
  const whole = await squeeze(parts.join(''));
  const costs = [];
  for (let i = 0; i < parts.length; i++) {
    const name = parts[i].split('\n')[0].replace('// ', '');
    if (!name.startsWith('src/')) continue;
    costs.push([name, whole - (await squeeze(parts.filter((_, j) => j !== i).join('')))]);
  }
  return costs.sort((a, b) => b[1] - a[1]).slice(0, count).map(([name, bytes]) => `${name} ${bytes} B`);
}

export async function run() {
  const ours = await gridlinkSizes();
  const shipped = shippedSize('gridlink.iife.js');
  // The shipped bundles must stay free of Node: nothing to polyfill in a page.
  const nodeOnly = ['gridlink.iife.js', 'gridlink.core.iife.js', 'browser.js'].some((file) => /["']node:[a-z_]+["']|undici/.test(readFileSync(`${ROOT}/dist/${file}`, 'utf8')));
  const peers = [];
  for (const peer of PEERS) peers.push({ ...peer, version: versionOf(peer.name), ...(await bundleSize(peer.entry, { nodePaths })) });
  const version = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')).version;
  return {
    title: 'Browser bundle size (minified + gzip)',
    rows: [
      row(`gridlink ${version} core: import { connect } (min / gzip)`, both(ours.core), '≤ 7 KB gzip (bar ≤ 8 KB)', ours.core.gzip <= GOAL_BYTES),
      ...Object.entries(ours.pieces).map(([piece, size]) => row(`  core + ${piece} (min / gzip; the piece adds)`, `${both(size)} (+${size.gzip - ours.core.gzip} B)`)),
      row('  core + every piece (min / gzip)', both(ours.all)),
      row('gridlink dist/gridlink.core.iife.js as shipped (min / gzip)', both(ours.coreIife), `≤ ${kb(LIMITS.coreIife)} (size-check)`, ours.coreIife.gzip <= LIMITS.coreIife),
      row('gridlink dist/gridlink.iife.js as shipped, every piece (min / gzip)', both(shipped), `≤ ${kb(LIMITS.fullIife)} (size-check)`, shipped.gzip <= LIMITS.fullIife),
      row('gridlink browser bundles free of node: built-ins and undici', nodeOnly ? 'no' : 'yes', 'yes', !nodeOnly),
      ...peers.map((p) => row(`${p.name} ${p.version} (min / gzip) — ${p.what}`, both(p))),
    ],
    how:
      "a page's import of each package bundled by esbuild in this run (gridlink: `import { connect } from 'gridlink'`, plus each piece passed in `use`; peers: their main export), " +
      'platform browser (the `browser` export condition), ES2022, minify, ESM, no legal comments; gzip level 9. The IIFEs are measured as shipped (tsup, same esbuild).',
    notes: [
      `core over the bar: ${ours.core.gzip > BAR_BYTES ? `yes, by ${ours.core.gzip - BAR_BYTES} B` : 'no'}`,
      `where the core's gzip bytes go (each file's marginal cost, from source): ${(await coreByFile(14)).join(', ')}`,
    ],
    figures: { gridlink: ours, peers: Object.fromEntries(peers.map((p) => [p.name, { version: p.version, min: p.min, gzip: p.gzip }])) },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) main('bundle-size', run);
