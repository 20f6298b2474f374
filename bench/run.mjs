// Runs the benchmarks one after another, each in its own child process (memory with --expose-gc),
// prints their tables and writes bench/RESULTS.md. A benchmark that throws, exits badly or
// overruns its hang guard becomes an error row; the others still run.
//
//   node bench/run.mjs                      # all
//   node bench/run.mjs --only storm,memory  # some
//   GRIDLINK_BENCH_QUICK=1 node bench/run.mjs   # fewer trials, for iteration
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { QUICK, RESULT_PREFIX, markdownTable, textTable } from './lib.mjs';

const BENCHMARKS = [
  { name: 'failover-reset', guardMs: 180_000 },
  { name: 'pair', guardMs: 180_000 },
  { name: 'request', guardMs: 120_000 },
  { name: 'publish', guardMs: 180_000 },
  { name: 'failover-silent', guardMs: 180_000 },
  { name: 'silent-peers', guardMs: 420_000 },
  { name: 'storm', guardMs: 240_000 },
  { name: 'crowd', guardMs: 360_000 },
  { name: 'joins', guardMs: 120_000 },
  { name: 'join-cost', guardMs: 240_000 },
  { name: 'throughput', guardMs: 120_000 },
  { name: 'memory', guardMs: 120_000, flags: ['--expose-gc'] },
  { name: 'dns-server', guardMs: 120_000 },
  { name: 'resolve-cost', guardMs: 120_000 },
  { name: 'cloud-size', guardMs: 180_000 },
  { name: 'restart', guardMs: 180_000 },
  { name: 'proxy', guardMs: 240_000 },
  { name: 'bundle-size', guardMs: 120_000 },
  { name: 'browser-failover', guardMs: 240_000 },
];

const onlyIndex = process.argv.indexOf('--only');
const only = onlyIndex >= 0 ? (process.argv[onlyIndex + 1] ?? '').split(',').filter(Boolean) : undefined;
const unknown = (only ?? []).filter((name) => !BENCHMARKS.some((b) => b.name === name));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
  process.exit(2);
}
const selected = BENCHMARKS.filter((b) => only === undefined || only.includes(b.name));
const here = (file) => fileURLToPath(new URL(file, import.meta.url));

function runOne({ name, guardMs, flags = [] }) {
  return new Promise((resolve) => {
    const started = Date.now();
    const load = os.loadavg()[0];
    const child = spawn(process.execPath, [...flags, here(`./${name}.mjs`)], { stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    let timedOut = false;
    const guard = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, guardMs);
    child.once('exit', (code, signal) => {
      clearTimeout(guard);
      const line = out.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      let result;
      try {
        result = line === undefined ? undefined : JSON.parse(line.slice(RESULT_PREFIX.length));
      } catch {
        result = undefined;
      }
      if (result === undefined) {
        const why = timedOut ? `did not finish within ${guardMs / 1000} s (killed)` : `exited with code ${code}, signal ${signal}, and no result`;
        result = { name, error: why };
      }
      result.seconds = (Date.now() - started) / 1000;
      result.loadBefore = load;
      result.loadAfter = os.loadavg()[0];
      resolve(result);
    });
  });
}

const started = new Date();
const results = [];
for (const bench of selected) {
  console.error(`\n=== ${bench.name} (hang guard ${bench.guardMs / 1000} s) ===`);
  const result = await runOne(bench);
  results.push(result);
  if (result.error) console.error(`${bench.name}: ERROR ${result.error}`);
}

// ---- report ---------------------------------------------------------------------------------

const cpus = os.cpus();
const lines = [
  '# gridlink benchmarks',
  '',
  `Written by \`npm run bench\` (bench/run.mjs)${QUICK ? ' in QUICK mode (GRIDLINK_BENCH_QUICK=1: fewer trials)' : ''}.`,
  '',
  `- date: ${started.toISOString()}`,
  `- machine: ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ${os.type()} ${os.release()} ${os.arch()}`,
  `- node: ${process.version}`,
  `- everything on loopback (127.0.0.1); nodes are child processes. The 1-minute load average before/after each benchmark is given, because other work on the machine shows in these figures.`,
  '',
];
let met = 0;
let missed = 0;
for (const r of results) {
  lines.push(`## ${r.title ?? r.name}`, '');
  if (r.error) {
    lines.push(markdownTable([{ metric: 'error', value: '`' + String(r.error).split('\n')[0].replace(/\|/g, '\\|') + '`', goal: 'runs', met: false }]), '');
    missed++;
  }
  if (r.rows) {
    lines.push(markdownTable(r.rows), '');
    for (const row of r.rows) {
      if (row.met === true) met++;
      if (row.met === false) missed++;
    }
  }
  if (r.how) lines.push(`How measured: ${r.how}`, '');
  for (const note of r.notes ?? []) lines.push(`- ${note}`);
  if ((r.notes ?? []).length > 0) lines.push('');
  lines.push(`_${r.seconds.toFixed(0)} s; load average ${r.loadBefore.toFixed(2)} → ${r.loadAfter.toFixed(2)}._`, '');
}
lines.push(`**${met} goals met, ${missed} missed** (${results.length} benchmarks, ${((Date.now() - started.getTime()) / 1000).toFixed(0)} s).`, '');
const file = here('./RESULTS.md');
if (only === undefined) writeFileSync(file, lines.join('\n'));
else writeFileSync(here('./RESULTS.partial.md'), lines.join('\n'));

console.log('');
for (const r of results) {
  console.log(`${r.title ?? r.name}`);
  if (r.error) console.log(`  ERROR: ${r.error}`);
  if (r.rows) console.log(textTable(r.rows));
  console.log('');
}
console.log(`${met} goals met, ${missed} missed; wrote ${only === undefined ? 'bench/RESULTS.md' : 'bench/RESULTS.partial.md (partial run)'}`);
