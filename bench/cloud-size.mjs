// Past one machine room: what a cloud of 10, 50 and 100 nodes costs with today's full-mesh peer
// links, from the real code wherever it can run in one process.
// - Placement: the real rendezvous hashing (`rendezvousOwner`, what Placement ranks with) over
//   100,000 random session ids: the share whose host changes when one node dies or one joins, and
//   the balance (most loaded node / mean).
// - Peer links: ONE real node (startNode, in a child process) whose peers are N−1 fake peers in this
//   process that speak the peer protocol (peer-hello, ping/pong) on both directions of every link,
//   as the full mesh does. Frames and TCP bytes are counted on the fakes' sockets; the node's CPU
//   and RSS are read from /proc. No secret (the steady-state frames are the same with one).
// - DNS: the real DNS server (startDnsServer) over a view of N nodes, asked over real UDP with and
//   without EDNS; the untruncated size is what TCP (or DoH) carries.
import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as dnsPacket from 'dns-packet';
import { WebSocket, WebSocketServer } from 'ws';
import { QUICK, log, main, row, sleep, spawnServer, withTimeout } from './lib.mjs';

const SIZES = [10, 50, 100];
const SESSIONS = 100_000;
const ZONE = 'cloud.example.com';
const SETTLE_MS = 2500;
const WINDOW_MS = QUICK ? 2000 : 5000;
/** IPv4 + TCP header with timestamps, per segment: what each frame costs on the wire beyond its TCP payload. */
const TCPIP_HEADER_BYTES = 52;
const nodeId = (i) => `node-${String(i).padStart(3, '0')}`;

// ---- placement ----------------------------------------------------------------------------------

function randomIds(count) {
  const ids = new Array(count);
  for (let i = 0; i < count; i++) ids[i] = `s-${Math.random().toString(36).slice(2, 12)}`;
  return ids;
}

async function placement(n, sessions) {
  const { rendezvousOwner } = await import('../dist/server.js');
  const nodes = Array.from({ length: n }, (_, i) => nodeId(i));
  const ownersAmong = (set) => sessions.map((s) => rendezvousOwner(s, set, (id) => id));
  const started = performance.now();
  const before = ownersAmong(nodes);
  const decisionUs = ((performance.now() - started) * 1000) / sessions.length;
  const dead = nodes[0];
  const afterDeath = ownersAmong(nodes.slice(1));
  const joined = nodeId(n);
  const afterJoin = ownersAmong([...nodes, joined]);
  let movedDeath = 0;
  let movedNotFromDead = 0;
  let movedJoin = 0;
  let movedNotToNew = 0;
  const inherited = new Map();
  for (let i = 0; i < sessions.length; i++) {
    if (before[i] !== afterDeath[i]) {
      movedDeath++;
      if (before[i] !== dead) movedNotFromDead++;
      inherited.set(afterDeath[i], (inherited.get(afterDeath[i]) ?? 0) + 1);
    }
    if (before[i] !== afterJoin[i]) {
      movedJoin++;
      if (afterJoin[i] !== joined) movedNotToNew++;
    }
  }
  const balance = (owners, count) => {
    const per = new Map();
    for (const o of owners) per.set(o, (per.get(o) ?? 0) + 1);
    return Math.max(...per.values()) / (owners.length / count);
  };
  return {
    n,
    decisionUs,
    movedDeath: movedDeath / sessions.length,
    movedJoin: movedJoin / sessions.length,
    strayMoves: movedNotFromDead + movedNotToNew,
    balance: balance(before, n),
    balanceAfterDeath: balance(afterDeath, n - 1),
    // How evenly the dead node's sessions spread: the survivor that took most, vs an even share.
    inheritSpread: Math.max(...inherited.values()) / (movedDeath / (n - 1)),
  };
}

// ---- peer links: one real node, N−1 fake peers ---------------------------------------------------

/** Child mode: one real node whose peers are given as JSON; prints its URL, exits when stdin closes. */
async function peerNodeChild(peersJson) {
  const { startNode } = await import('../dist/server.js');
  const silent = { debug() {}, info() {}, warn() {}, error() {} };
  const node = await startNode({ id: nodeId(0), port: 0, peers: JSON.parse(peersJson), maxJoinsPerSecond: Number.POSITIVE_INFINITY, logger: silent });
  process.stdout.write(`${JSON.stringify({ url: node.url })}\n`);
  process.stdin.on('end', () => void node.close().finally(() => process.exit(0)));
  process.stdin.resume();
}

function procSample(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime, in USER_HZ (100/s on Linux)
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) * 1024;
  return { cpuMs: ticks * 10, rss, at: performance.now() };
}

/** Counters of what the node sent and received on its peer links, as the fakes saw them. */
function newTally() {
  return { sentFrames: 0, sentPayload: 0, recvFrames: 0, recvPayload: 0, sockets: [], frameSizes: new Map() };
}

function socketBytes(tally) {
  let toNode = 0;
  let fromNode = 0;
  for (const s of tally.sockets) {
    toNode += s.bytesWritten;
    fromNode += s.bytesRead;
  }
  return { toNode, fromNode, frames: { sent: tally.sentFrames, recv: tally.recvFrames } };
}

async function peerLinks(peerCount) {
  const tally = newTally();
  const noteFromNode = (text) => {
    tally.sentFrames++;
    tally.sentPayload += Buffer.byteLength(text);
    const t = /"t":"([a-z-]+)"/.exec(text)?.[1] ?? '?';
    if (!tally.frameSizes.has(t)) tally.frameSizes.set(t, Buffer.byteLength(text));
  };
  // The node's outbound links land here: answer its hello, pong its pings.
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  await new Promise((resolve) => wss.once('listening', resolve));
  const base = `ws://127.0.0.1:${wss.address().port}`;
  wss.on('connection', (ws, request) => {
    const id = new URL(request.url, base).searchParams.get('id');
    tally.sockets.push(ws._socket);
    ws.on('message', (data) => {
      const text = data.toString();
      noteFromNode(text);
      const frame = JSON.parse(text);
      const reply = frame.t === 'peer-hello' ? { t: 'peer-welcome', id, nonce: 'A'.repeat(22) } : frame.t === 'ping' ? { t: 'pong', id: frame.id } : undefined;
      if (reply !== undefined) {
        const out = JSON.stringify(reply);
        tally.recvFrames++;
        tally.recvPayload += out.length;
        ws.send(out);
      }
    });
  });
  const peers = Array.from({ length: peerCount }, (_, i) => ({ id: nodeId(i + 1), url: `${base}/?id=${nodeId(i + 1)}` }));
  const script = fileURLToPath(import.meta.url);
  const server = await spawnServer(script, 20_000, ['--peer-node', JSON.stringify(peers)]);
  const inbound = [];
  const timers = [];
  try {
    const idle = procSample(server.pid);
    // Each fake peer dials the node too (its own outbound link, as every node of a full mesh does) and pings it.
    await withTimeout(Promise.all(peers.map((peer, i) => new Promise((resolve, reject) => {
      const ws = new WebSocket(server.url, 'gridlink.v1', { perMessageDeflate: false });
      inbound.push(ws);
      ws.once('error', reject);
      ws.once('open', () => {
        tally.sockets.push(ws._socket);
        const send = (frame) => {
          const out = JSON.stringify(frame);
          tally.recvFrames++;
          tally.recvPayload += out.length;
          ws.send(out);
        };
        send({ t: 'peer-hello', id: peer.id, v: 1 });
        let pingId = 0;
        // Staggered, as real nodes' timers are.
        setTimeout(() => timers.push(setInterval(() => send({ t: 'ping', id: ++pingId }), 500)), (i * 500) / Math.max(1, peerCount));
        resolve();
      });
      ws.on('message', (data) => noteFromNode(data.toString()));
    }))), 20_000, 'fake peers dialling the node');
    await sleep(SETTLE_MS);
    const a = { ...socketBytes(tally), proc: procSample(server.pid) };
    await sleep(WINDOW_MS);
    const b = { ...socketBytes(tally), proc: procSample(server.pid) };
    const seconds = (b.proc.at - a.proc.at) / 1000;
    const framesOut = (b.frames.sent - a.frames.sent) / seconds;
    const framesIn = (b.frames.recv - a.frames.recv) / seconds;
    const tcpOut = (b.fromNode - a.fromNode) / seconds;
    const tcpIn = (b.toNode - a.toNode) / seconds;
    return {
      peers: peerCount,
      framesOut,
      framesIn,
      tcpOut,
      tcpIn,
      wireOut: tcpOut + framesOut * TCPIP_HEADER_BYTES,
      wireIn: tcpIn + framesIn * TCPIP_HEADER_BYTES,
      cpuPct: ((b.proc.cpuMs - a.proc.cpuMs) / (b.proc.at - a.proc.at)) * 100,
      rss: b.proc.rss,
      rssIdle: idle.rss,
      frameSizes: Object.fromEntries(tally.frameSizes),
    };
  } finally {
    for (const timer of timers) clearInterval(timer);
    for (const ws of inbound) ws.terminate();
    await server.stop();
    for (const client of wss.clients) client.terminate();
    await new Promise((resolve) => wss.close(resolve));
  }
}

// ---- DNS ----------------------------------------------------------------------------------------

function cloudOf(n) {
  return Array.from({ length: n }, (_, i) => ({
    id: nodeId(i),
    address: `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`,
    port: 443,
    load: { links: 100 + i, sessions: 50 },
    healthy: true,
  }));
}

function udpAsk(port, packet) {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.once('message', (bytes) => {
      socket.close();
      resolve(bytes);
    });
    socket.send(dnsPacket.encode(packet), port, '127.0.0.1');
  });
}

const query = (type, name, edns) => ({
  id: 1,
  type: 'query',
  flags: dnsPacket.RECURSION_DESIRED,
  questions: [{ type, name }],
  additionals: edns ? [{ type: 'OPT', name: '.', udpPayloadSize: 1232 }] : [],
});

const ASKS = [
  { key: 'a', type: 'A', name: ZONE },
  { key: 'srv', type: 'SRV', name: `_gridlink._tcp.${ZONE}` },
];

async function dnsSizes() {
  const { startDnsServer } = await import('../dist/server.js');
  let nodes = [];
  const server = await startDnsServer({ zone: ZONE, view: { snapshot: () => ({ nodes, self: nodeId(0), settled: true }) } });
  try {
    const bySize = new Map();
    for (const n of SIZES) {
      nodes = cloudOf(n);
      const out = {};
      for (const ask of ASKS) {
        for (const edns of [false, true]) {
          const bytes = await withTimeout(udpAsk(server.port, query(ask.type, ask.name, edns)), 5000, 'DNS answer');
          const decoded = dnsPacket.decode(bytes);
          out[`${ask.key}-${edns ? 1232 : 512}`] = { bytes: bytes.length, tc: decoded.flag_tc === true, answers: decoded.answers.length, glue: decoded.additionals.filter((r) => r.type !== 'OPT').length };
        }
        const whole = server.query(dnsPacket.encode(query(ask.type, ask.name, true)), '127.0.0.1');
        out[`${ask.key}-full`] = { bytes: whole.length };
      }
      bySize.set(n, out);
    }
    // The largest cloud answered over UDP without TC (the server drops glue before truncating),
    // and the largest whose whole answer, glue included, fits a datagram.
    const fits = {};
    for (let n = 1; n <= 120; n++) {
      nodes = cloudOf(n);
      for (const ask of ASKS) {
        for (const edns of [false, true]) {
          const limit = edns ? 1232 : 512;
          const bytes = await withTimeout(udpAsk(server.port, query(ask.type, ask.name, edns)), 5000, 'DNS answer');
          if (!dnsPacket.decode(bytes).flag_tc) fits[`${ask.key}-${limit}`] = n;
          const whole = server.query(dnsPacket.encode(query(ask.type, ask.name, edns)), '127.0.0.1').length;
          if (whole <= limit) fits[`${ask.key}-glue-${limit}`] = n;
        }
      }
    }
    // What the client's resolver (Node's, c-ares) makes of a truncated answer at the largest size.
    nodes = cloudOf(SIZES.at(-1));
    const resolver = new Resolver({ timeout: 2000, tries: 1 });
    resolver.setServers([`127.0.0.1:${server.port}`]);
    const resolved = { a: (await resolver.resolve4(ZONE)).length, srv: (await resolver.resolveSrv(`_gridlink._tcp.${ZONE}`)).length };
    return { bySize, fits, resolved, resolverEdns: await resolverSendsEdns() };
  } finally {
    await server.close();
  }
}

/** Whether Node's resolver offers EDNS (a larger UDP limit than 512 B): one query caught on a bare socket. */
async function resolverSendsEdns() {
  const socket = createSocket('udp4');
  await new Promise((resolve) => socket.bind(0, '127.0.0.1', resolve));
  try {
    const caught = new Promise((resolve) => socket.once('message', (bytes) => resolve(dnsPacket.decode(bytes))));
    const resolver = new Resolver({ timeout: 500, tries: 1 });
    resolver.setServers([`127.0.0.1:${socket.address().port}`]);
    resolver.resolve4(ZONE).catch(() => {});
    const packet = await withTimeout(caught, 5000, "Node's resolver query");
    resolver.cancel();
    return (packet.additionals ?? []).some((record) => record.type === 'OPT');
  } finally {
    socket.close();
  }
}

// ---- report -------------------------------------------------------------------------------------

const pct = (x) => `${(x * 100).toFixed(2)} %`;
const kb = (bytes) => (bytes >= 10_000 ? `${(bytes / 1000).toFixed(1)} kB` : `${Math.round(bytes)} B`);
const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const dnsCell = (d) => `${d.bytes} B, ${d.answers} rec${d.glue ? ` + ${d.glue} glue` : ''}${d.tc ? ', TC' : ''}`;

export async function run() {
  const sessions = randomIds(SESSIONS);
  const places = [];
  for (const n of SIZES) {
    places.push(await placement(n, sessions));
    log(`cloud-size placement N=${n}: death moves ${pct(places.at(-1).movedDeath)}, join ${pct(places.at(-1).movedJoin)}`);
  }
  const baseline = await peerLinks(0);
  const links = [];
  for (const n of SIZES) {
    links.push(await peerLinks(n - 1));
    const l = links.at(-1);
    log(`cloud-size peer links N=${n}: ${l.framesOut.toFixed(0)} frames/s out, ${kb(l.wireOut)}/s, cpu ${l.cpuPct.toFixed(1)} %`);
  }
  const dns = await dnsSizes();
  const rows = [];
  for (const p of places) {
    rows.push(row(`N=${p.n}: sessions moved when one node dies (theory 1/N = ${pct(1 / p.n)})`, pct(p.movedDeath)));
    rows.push(row(`N=${p.n}: sessions moved when one node joins (theory 1/(N+1) = ${pct(1 / (p.n + 1))})`, pct(p.movedJoin)));
    rows.push(row(`N=${p.n}: balance, most loaded node / mean: all up / after one death`, `${p.balance.toFixed(3)} / ${p.balanceAfterDeath.toFixed(3)}`));
    rows.push(row(`N=${p.n}: dead node's sessions on one survivor, most / even share`, p.inheritSpread.toFixed(2)));
  }
  rows.push(row('sessions moved that were not the dead node\'s or the new node\'s (all N)', String(places.reduce((s, p) => s + p.strayMoves, 0))));
  rows.push(row('one placement decision (rendezvousOwner), N=10 / 50 / 100', places.map((p) => `${p.decisionUs.toFixed(2)} µs`).join(' / ')));
  for (const [i, l] of links.entries()) {
    const n = SIZES[i];
    rows.push(row(`N=${n}: peer-link frames per node per s, sent / received (${2 * l.peers} links)`, `${l.framesOut.toFixed(0)} / ${l.framesIn.toFixed(0)}`));
    rows.push(row(`N=${n}: peer-link bytes per node per s, sent / received (TCP payload; with IP+TCP headers)`, `${kb(l.tcpOut)} / ${kb(l.tcpIn)} (${kb(l.wireOut)} / ${kb(l.wireIn)})`));
    rows.push(row(`N=${n}: the node's CPU (one core) / RSS with its ${l.peers} peers (no clients)`, `${l.cpuPct.toFixed(1)} % / ${mib(l.rss)}`));
  }
  rows.push(row('the same node with no peers: CPU / RSS', `${baseline.cpuPct.toFixed(1)} % / ${mib(baseline.rss)}`));
  const last = links.at(-1);
  rows.push(row(`RSS per peer (2 links), from 0 to ${last.peers} peers`, kb((last.rss - baseline.rss) / last.peers)));
  for (const n of SIZES) {
    const d = dns.bySize.get(n);
    rows.push(row(`N=${n}: DNS A answer, UDP 512 / EDNS 1232 / whole (TCP, DoH)`, `${dnsCell(d['a-512'])} · ${dnsCell(d['a-1232'])} · ${d['a-full'].bytes} B`));
    rows.push(row(`N=${n}: DNS SRV answer, UDP 512 / EDNS 1232 / whole (TCP, DoH)`, `${dnsCell(d['srv-512'])} · ${dnsCell(d['srv-1232'])} · ${d['srv-full'].bytes} B`));
  }
  const f = dns.fits;
  rows.push(row('largest cloud answered over UDP without TC: A 512 / A 1232 / SRV 512 / SRV 1232', `${f['a-512']} / ${f['a-1232']} / ${f['srv-512']} / ${f['srv-1232']} nodes`));
  rows.push(row('largest cloud whose SRV answer keeps its glue (A of each target) in one datagram: 512 / 1232', `${f['srv-glue-512']} / ${f['srv-glue-1232']} nodes`));
  rows.push(row("Node's resolver (the client's, c-ares) offers EDNS in its queries", dns.resolverEdns ? 'yes' : 'no: its UDP answers stop at 512 B'));
  rows.push(row(`N=${SIZES.at(-1)}: records Node's resolver (the client's) returns, A / SRV (TC → it retries over TCP)`, `${dns.resolved.a} / ${dns.resolved.srv}`));
  const sizes = Object.entries(last.frameSizes).map(([t, b]) => `${t} ${b} B`).join(', ');
  return {
    title: 'Cloud size: placement churn, full-mesh peer-link cost and DNS answer size at 10, 50 and 100 nodes',
    rows,
    how:
      `placement: the real \`rendezvousOwner\` over ${SESSIONS.toLocaleString('en-US')} random session ids, node ids \`node-000\`…, one node removed (dies) or one added (joins). ` +
      'Peer links: one real node (`startNode`, child process, default peer heartbeat 500 ms / 1500 ms, no secret) whose N−1 peers are fakes in the bench process speaking the peer protocol on both links of every pair ' +
      `(the node dials each, each dials the node and pings it every 500 ms, as a real node's outbound link does); frames counted and TCP bytes read (\`bytesRead\`/\`bytesWritten\`) on the fakes' sockets over ${WINDOW_MS / 1000} s after ${SETTLE_MS / 1000} s of settling; ` +
      `"with headers" adds ${TCPIP_HEADER_BYTES} B (IPv4 + TCP with timestamps) per frame, bare ACK segments not counted; CPU (utime+stime) and RSS of the node's process from /proc. ` +
      `DNS: the real DNS server (\`startDnsServer\`) for \`${ZONE}\`, N healthy nodes \`node-NNN\` with distinct IPv4 addresses, asked over UDP without EDNS (512 B) and with EDNS 1232; "whole" is the untruncated answer (what TCP or DoH carries).`,
    notes: [
      `Peer frames the node sent (payload bytes): ${sizes}. An idle node sends no load frame after the first; a busy one whose load changes sends one per 500 ms check per outbound link (${last.frameSizes.load ?? '≈40'} B), about as many as its pings.`,
      'The DNS answers repeat every owner name in full (dns-packet writes no compression pointers): an A record of `cloud.example.com` costs 33 B instead of 16 compressed, an SRV record 78 B, which is why so few fit a datagram.',
      'CPU is read in 10 ms ticks over the window on a shared 2-core machine, and RSS moves with garbage collection: both are coarse (RSS per peer came out between about 45 and 160 kB in repeated runs).',
      'Cloud-wide, a full mesh of N nodes holds N(N−1) peer links (two per pair: each node dials every other), i.e. 90 / 2,450 / 9,900 WebSocket connections at N = 10 / 50 / 100.',
    ],
  };
}

const peerNodeIndex = process.argv.indexOf('--peer-node');
if (peerNodeIndex >= 0) await peerNodeChild(process.argv[peerNodeIndex + 1]);
else if (import.meta.url === `file://${process.argv[1]}`) main('cloud-size', run);
