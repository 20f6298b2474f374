// The bundle-size budget, checked the way a page's bundler sees the package: esbuild bundles
// `import { connect } from 'gridlink'` (this package, through its `browser` export condition, from
// dist/ — run `npm run build` first), minified, ES2022, and the output is gzipped at level 9. The
// two IIFEs a <script> tag loads are measured as shipped. Exits 1 when any figure is over its
// limit, so CI fails on a size regression.
//
//   node scripts/size-check.mjs          # check (CI: .ci/run)
//   node scripts/size-check.mjs --json   # the figures, for bench/bundle-size.mjs
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');

/**
 * The limits CI enforces, in gzip bytes: a ratchet just above what the bundles weigh now, so no
 * change makes them heavier unnoticed; lower them as the code gets lighter. The goal for the
 * core import is 7 KB (bar 8 KB), printed beside it; see README "Bundle size".
 */
export const LIMITS = {
  // +1 KB for asking the cloud about a silent host (issue 16: suspicion.ts, dial/status.ts); +400 for
  // issue 14: the core skips other members' stubs, hands requests to the `extras` piece and has the
  // API's entry points (send `to`, request, onRequest, shared, setShared); +200 for receiving what
  // the backend publishes (issue 15: `pub` frames, each id once, `got`); +50 for keeping only what
  // the silent-host question needs instead of the whole welcome (1 KB of heap per client).
  // -300 (issue 13, first pass): the codec reads nested objects and id maps with one Reader each
  // and checks base64 with one regex; suggest.ts is one matrix and one pass; the node list takes
  // both sides through one method; the Node-only dial fields are passed through, not spread; a
  // few option messages are shorter; an unreachable missing-piece check is gone. Then +166 for 5 KB
  // less heap per idle client (resolve/intern.ts shares node entries and lists; the session's and
  // the client's callbacks are objects with methods) and -40 for the suspicion machine folded into
  // the link's Liveness timer and the link's causes split out. Then +180 for the crowd (issue 12: a
  // stagger reads the answers already waiting, one socket per node per round, interned copies kept
  // by key) and -290 for "did you mean" left to the entries that install it (core/validate.ts).
  core: 20_350,
  coreIife: 20_780,
  // and the `extras` piece itself (every piece is wired into this bundle); +50 for creating its
  // maps on first use (memory per idle client); -350 for issue 13's first pass, as above; +210 for
  // the crowd changes above and installing the hints this bundle keeps (core/suggest.ts).
  fullIife: 30_050,
};
export const CORE_GOAL = 7 * 1024;
export const CORE_BAR = 8 * 1024;

/** What a page imports for each opt-in piece (measured on top of the core). */
export const PIECES = ['cloudDiscovery', 'latencyPolicy', 'affinityPolicy', 'roundRobinPolicy', 'pageLifecycle', 'logging', 'extras'];

export const gzipBytes = (bytes) => gzipSync(bytes, { level: 9 }).length;

/** min and gzip bytes of `entry` (JavaScript importing packages by name) as esbuild bundles it for a page. */
export async function bundleSize(entry, options = {}) {
  const result = await build({
    stdin: { contents: entry, resolveDir: ROOT, loader: 'js' },
    bundle: true,
    minify: true,
    format: options.format ?? 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
    nodePaths: options.nodePaths ?? [],
  });
  const code = result.outputFiles[0].contents;
  return { min: code.length, gzip: gzipBytes(code) };
}

/** The shipped file `dist/<name>`: min and gzip bytes. */
export function shippedSize(name) {
  const code = readFileSync(`${ROOT}/dist/${name}`);
  return { min: code.length, gzip: gzipBytes(code) };
}

/** The core import alone, and with each piece (its import passed in `use`, so nothing is shaken off). */
export async function gridlinkSizes() {
  const core = await bundleSize("import { connect } from 'gridlink'; globalThis.connect = connect;");
  const pieces = {};
  for (const piece of PIECES) {
    pieces[piece] = await bundleSize(`import { connect, ${piece} } from 'gridlink'; globalThis.connect = (o) => connect({ ...o, use: [${piece}] });`);
  }
  const all = await bundleSize(`import { connect, ${PIECES.join(', ')} } from 'gridlink'; globalThis.connect = (o) => connect({ ...o, use: [${PIECES.join(', ')}] });`);
  return { core, pieces, all, coreIife: shippedSize('gridlink.core.iife.js'), fullIife: shippedSize('gridlink.iife.js') };
}

async function main() {
  const sizes = await gridlinkSizes();
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(sizes));
    return;
  }
  const checks = [
    ["import { connect } from 'gridlink'", sizes.core.gzip, LIMITS.core],
    ['dist/gridlink.core.iife.js', sizes.coreIife.gzip, LIMITS.coreIife],
    ['dist/gridlink.iife.js (every piece)', sizes.fullIife.gzip, LIMITS.fullIife],
  ];
  let over = 0;
  for (const [what, gzip, limit] of checks) {
    const ok = gzip <= limit;
    if (!ok) over++;
    console.log(`${ok ? 'ok  ' : 'OVER'} ${what}: ${gzip} B gzip (limit ${limit} B)`);
  }
  for (const [piece, size] of Object.entries(sizes.pieces)) console.log(`     + ${piece}: +${size.gzip - sizes.core.gzip} B gzip`);
  const goal = sizes.core.gzip <= CORE_GOAL ? 'met' : sizes.core.gzip <= CORE_BAR ? 'missed, within the bar' : `missed by ${sizes.core.gzip - CORE_BAR} B over the bar`;
  console.log(`     core goal ${CORE_GOAL} B (bar ${CORE_BAR} B): ${goal}`);
  if (over > 0) {
    console.error(`size-check: ${over} bundle(s) over budget`);
    process.exit(1);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
