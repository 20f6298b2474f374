// Reset failover measured inside Chromium: a page (the IIFE bundle) probes, a Node client echoes.
// Per trial a fresh session on its host; the page's clock starts (performance.now()) right before
// the host is SIGKILLed, the page sends a reliable probe every ~1 ms, and the figure is the first
// echo the page receives over another node. Needs Debian's chromium (scripts/system-deps.sh).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { chromium } from 'playwright-core';
import { connect } from '../dist/node.js';
import { startLocalCloud } from '../dist/server.js';
import { QUICK, closeAll, log, main, ms, row, sleep, summarize, withTimeout } from './lib.mjs';

const TRIALS = QUICK ? 10 : 25;
const SETTLE_MS = 600;
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// The page: joins as the prober; arm() starts the clock and the probes; firstEcho is set on the
// first echo that arrives while the page is on another node than the victim.
const PAGE = `<!doctype html><meta charset="utf-8"><script src="/gridlink.iife.js"></script><script>
window.bench = {
  join(options) {
    const c = this.client = gridlink.connect(options);
    this.firstEcho = undefined; this.downtime = undefined; this.victim = undefined;
    c.on('error', () => {});
    c.on('migrated', (info) => { this.downtime ??= info.downtimeMs; });
    c.on('message', (data) => {
      if (this.t0 === undefined || this.firstEcho !== undefined) return;
      if (String(data).startsWith('e:p') && c.node && c.node.id !== this.victim) { this.firstEcho = performance.now() - this.t0; this.firstEchoNode = c.node.id; clearInterval(this.timer); }
    });
    return c.ready.then(() => c.node.id);
  },
  warm() { return new Promise((resolve) => { const c = this.client; const on = (d) => { if (d === 'e:warm') { c.off('message', on); resolve(); } }; c.on('message', on); c.send('warm'); }); },
  arm(victim) { this.victim = victim; let n = 0; this.t0 = performance.now(); this.timer = setInterval(() => this.client.send('p' + (++n)), 1); },
  result() { return { firstEcho: this.firstEcho, node: this.firstEchoNode, downtime: this.downtime }; },
  async close() { clearInterval(this.timer); this.t0 = undefined; await this.client?.close(); },
};
</script>`;

async function serve() {
  const bundle = readFileSync(new URL('../dist/gridlink.iife.js', import.meta.url));
  const server = createServer((req, res) => {
    if (req.url === '/gridlink.iife.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
    else res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((resolve) => server.close(resolve)) };
}

async function trial(page, cloud, session) {
  const victim = cloud.hostOf(session).id;
  const echoer = connect({ session, clientId: 'echoer', nodes: cloud.urls, retry: { maxElapsedMs: Infinity } });
  echoer.on('error', () => {});
  echoer.on('message', (data, { from }) => {
    if (from === 'prober' && typeof data === 'string') echoer.send(`e:${data}`);
  });
  let killed;
  try {
    await page.goto(page.url());
    const pageNode = await withTimeout(page.evaluate((o) => window.bench.join(o), { session, clientId: 'prober', nodes: cloud.urls, retry: { maxElapsedMs: 60_000 } }), 10_000, 'page joined');
    await withTimeout(echoer.ready, 10_000, 'echoer joined');
    await withTimeout(page.evaluate(() => window.bench.warm()), 10_000, 'warm-up round trip');
    if (pageNode !== victim || echoer.node.id !== victim) throw new Error(`pair on ${pageNode}/${echoer.node.id}, expected host ${victim}`);
    await page.evaluate((v) => window.bench.arm(v), victim);
    killed = cloud.kill(victim);
    // Polled from here; the figure itself was taken inside the page.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const result = await page.evaluate(() => window.bench.result());
      if (result.firstEcho !== undefined) return { victim, ...result };
      if (Date.now() > deadline) throw new Error('timed out after 10000 ms waiting for the first echo in the page');
      await sleep(20);
    }
  } finally {
    await page.evaluate(() => window.bench.close()).catch(() => {});
    await closeAll([echoer]);
    if (killed !== undefined) {
      await killed;
      await cloud.restart(victim);
    }
    await sleep(SETTLE_MS);
  }
}

export async function run() {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ARGS });
  const site = await serve();
  const cloud = await startLocalCloud({ nodes: 3 });
  const echoes = [];
  const downtimes = [];
  const failures = [];
  try {
    const page = await browser.newPage();
    await page.goto(site.origin);
    for (let i = 0; i < TRIALS; i++) {
      try {
        const r = await trial(page, cloud, `browser-reset-${i}-${process.pid}`);
        echoes.push(r.firstEcho);
        if (r.downtime !== undefined) downtimes.push(r.downtime);
        log(`browser reset trial ${i + 1}/${TRIALS}: ${r.victim} -> ${r.node}, first echo in the page ${r.firstEcho.toFixed(1)} ms`);
      } catch (error) {
        failures.push(`trial ${i + 1}: ${error.message}`);
        log(`browser reset trial ${i + 1}/${TRIALS} failed: ${error.message}`);
      }
    }
  } finally {
    await cloud.stop();
    await site.close();
    await browser.close();
  }
  const s = summarize(echoes);
  const d = summarize(downtimes);
  return {
    title: `Reset failover inside Chromium (SIGKILL of the host), ${s.n} trials`,
    rows: [
      row('kill → first echo in the page, p50', ms(s.p50), '≤ 30 ms', s.p50 <= 30),
      row('kill → first echo in the page, p95', ms(s.p95), '≤ 100 ms', s.p95 <= 100),
      row('kill → first echo in the page, max', ms(s.max)),
      row('page `migrated.downtimeMs` p50 / p95', `${ms(d.p50)} / ${ms(d.p95)}`),
      row('failed trials', `${failures.length} of ${TRIALS}`, '0', failures.length === 0),
    ],
    how:
      `Debian chromium (headless) loads dist/gridlink.iife.js from 127.0.0.1; local cloud of 3 node processes behind fault proxies; per trial a fresh session whose host both the page (prober) and a Node client (echoer) join; ` +
      'the page starts its clock (performance.now()) right before the host is SIGKILLed and sends a reliable probe every ~1 ms; the figure is the first echo received in the page over another node. ' +
      `The victim is restarted and the cloud settles ${SETTLE_MS} ms between trials.`,
    notes: failures,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) main('browser-failover', run);
