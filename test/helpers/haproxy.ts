/**
 * A cloud behind a real HAProxy, for tests and the proxy benchmark: gridlink nodes as child
 * processes (`dist/cli.js node`) on fixed loopback ports, and HAProxy running one of the shipped
 * configurations (examples/haproxy/seed.cfg or haproxy.cfg), adapted only in addresses and ports:
 * loopback, unprivileged ports, the TLS frontend on a certificate generated at run time, one
 * `server` line per node (as the seed's note says to list them). Everything is SIGKILLed by stop().
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { get } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { meshFormed } from '../../src/cloud/mesh.js';
import { member, type Member } from './members.js';
import { freePorts } from './ports.js';
import { run, type Proc } from './spawn.js';
import { waitFor } from './wait.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'dist/cli.js');

export type ConfigName = 'seed' | 'recommended';

export interface ProxiedCloudOptions {
  config: ConfigName;
  /** Node ids; default a, b, c (server s1, s2, s3; cookies S1, S2, S3). */
  ids?: string[];
  /** Clients are told to use the TLS frontend (`wss://localhost:…`) instead of the plain one. */
  tls?: boolean;
  /** Override every server's `maxconn` (the seed's is 32). */
  maxconn?: number;
  /** Each node's --trusted-proxy; default ['127.0.0.1'] (HAProxy connects to nodes from there). */
  trustedProxies?: string[];
  /** Extra `gridlink node` flags for every node (tuning). */
  nodeArgs?: string[];
}

export interface ProxiedNode {
  readonly id: string;
  readonly port: number;
  /** Its sticky cookie at the proxy, e.g. SRVNAME=S1. */
  readonly cookie: string;
  /** The direct URL (bypassing the proxy). */
  readonly url: string;
  proc: Proc | undefined;
}

/** A self-signed certificate for `localhost` / 127.0.0.1: the PEM HAProxy loads and the CA clients trust. */
export function makeCertificate(dir: string): { pem: string; ca: string } {
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert,
    '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  const pem = join(dir, 'haproxy.pem');
  const ca = readFileSync(cert, 'utf8');
  writeFileSync(pem, ca + readFileSync(key, 'utf8'));
  return { pem, ca };
}

/** The shipped config with loopback addresses and the given ports. Nothing else changes. */
export function adaptConfig(name: ConfigName, ports: { http: number; https: number; pem: string; servers: number[]; maxconn?: number }): string {
  const text = readFileSync(join(ROOT, 'examples/haproxy', name === 'seed' ? 'seed.cfg' : 'haproxy.cfg'), 'utf8');
  const out: string[] = [];
  for (const line of text.split('\n')) {
    // No syslog socket on a test machine; HAProxy would only complain.
    if (/^\s*log\s+\/dev\/log/.test(line)) continue;
    if (/^\s*bind \*:80\b/.test(line)) out.push(`       bind 127.0.0.1:${ports.http}`);
    else if (/^\s*bind \*:443\b/.test(line)) out.push(`       bind 127.0.0.1:${ports.https} ssl crt ${ports.pem}`);
    else if (/^\s*server s1 /.test(line)) {
      ports.servers.forEach((port, i) => {
        let server = line.replace(/server s1 \S+ cookie S1/, `server s${i + 1} 127.0.0.1:${port} cookie S${i + 1}`);
        if (ports.maxconn !== undefined) server = server.replace(/maxconn \d+/, `maxconn ${ports.maxconn}`);
        out.push(server);
      });
    } else if (/^\s*server s\d+ /.test(line)) continue;
    else out.push(line);
  }
  return out.join('\n');
}

export class ProxiedCloud {
  readonly dir = mkdtempSync(join(tmpdir(), 'gridlink-haproxy-'));
  readonly nodes: ProxiedNode[] = [];
  haproxy: ChildProcess | undefined;
  haproxyOutput = '';
  http = 0;
  https = 0;
  ca = '';
  private pem = '';
  private readonly secret = `test-secret-${process.pid}-${Date.now()}`;

  constructor(readonly options: ProxiedCloudOptions) {}

  /** The URL clients use: the proxy's plain or TLS frontend. */
  get url(): string {
    return this.options.tls === true ? `wss://localhost:${this.https}` : `ws://127.0.0.1:${this.http}`;
  }

  node(id: string): ProxiedNode {
    const node = this.nodes.find((n) => n.id === id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  async start(): Promise<this> {
    const ids = this.options.ids ?? ['a', 'b', 'c'];
    const [http, https, ...ports] = (await freePorts(2 + ids.length)) as [number, number, ...number[]];
    this.http = http;
    this.https = https;
    ({ pem: this.pem, ca: this.ca } = makeCertificate(this.dir));
    for (const [i, id] of ids.entries()) {
      const port = ports[i] as number;
      this.nodes.push({ id, port, cookie: `SRVNAME=S${i + 1}`, url: `ws://127.0.0.1:${port}`, proc: undefined });
    }
    await Promise.all(this.nodes.map((node) => this.startNode(node.id)));
    await this.meshed();
    await this.startProxy();
    return this;
  }

  /**
   * Until every node lists every node healthy in its discovery document (the local cloud's own wait,
   * cloud/mesh.ts). A node that has not heard from a slow-starting peer within one peer timeout
   * places sessions without it, and a test that takes the first node a client lands on for the
   * session's host would then read a later, correct move as a failure.
   */
  async meshed(): Promise<void> {
    await meshFormed(this.nodes.map((node) => node.url), 20_000, undefined);
  }

  async startNode(id: string): Promise<void> {
    const node = this.node(id);
    const args = [CLI, 'node', '--id', id, '--port', String(node.port), '--proxy-url', this.url, '--proxy-cookie', node.cookie, '--verbose'];
    for (const peer of this.nodes) {
      if (peer === node) continue;
      args.push('--peer', `${peer.id}=${peer.url}`, '--peer-cookie', `${peer.id}=${peer.cookie}`);
    }
    for (const trusted of this.options.trustedProxies ?? ['127.0.0.1']) args.push('--trusted-proxy', trusted);
    args.push(...(this.options.nodeArgs ?? []));
    node.proc = run(process.execPath, args, { env: { GRIDLINK_SECRET: this.secret } });
    let partial = '';
    node.proc.child.stderr?.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('{"level"')) continue;
        const record = JSON.parse(line) as { message: string; fields: Record<string, unknown> };
        this.log.push({ node: id, ...record });
      }
    });
    await node.proc.waitForOutput('"event":"listening"', 20_000);
  }

  /** SIGKILL a node; resolves once it has exited. */
  async kill(id: string): Promise<void> {
    const proc = this.node(id).proc;
    if (proc === undefined) return;
    proc.child.kill('SIGKILL');
    await proc.exited;
  }

  /** What every node logged (JSON lines on stderr, with --verbose), in the order it arrived here. */
  readonly log: Array<{ node: string; message: string; fields: Record<string, unknown> }> = [];

  async startProxy(): Promise<void> {
    const file = join(this.dir, 'haproxy.cfg');
    const servers = this.nodes.map((node) => node.port);
    writeFileSync(file, adaptConfig(this.options.config, { http: this.http, https: this.https, pem: this.pem, servers, ...(this.options.maxconn === undefined ? {} : { maxconn: this.options.maxconn }) }));
    this.haproxyOutput = '';
    const child = spawn('haproxy', ['-f', file, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk: Buffer) => (this.haproxyOutput += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.haproxyOutput += chunk.toString()));
    this.haproxy = child;
    await waitForPort(this.http, () => (child.exitCode === null ? undefined : `haproxy exited: ${this.haproxyOutput}`));
    await this.provenProxy();
  }

  /**
   * Whoever listens on the frontend port is HAProxy: it answers with its sticky cookie, which no
   * node sends. A test talking to a stranger in the proxy's place would fail on a wrong assertion.
   */
  private async provenProxy(): Promise<void> {
    const cookie = await new Promise<string>((resolve, reject) => {
      get({ host: '127.0.0.1', port: this.http, path: '/healthz', agent: false }, (response) => {
        response.resume();
        resolve(String(response.headers['set-cookie'] ?? ''));
      }).once('error', reject);
    });
    if (!cookie.includes('SRVNAME=')) throw new Error(`port ${this.http} answered without HAProxy's cookie; haproxy: ${this.haproxyOutput}`);
  }

  async killProxy(): Promise<void> {
    const child = this.haproxy;
    this.haproxy = undefined;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await this.killProxy();
    await Promise.all(this.nodes.map((node) => this.kill(node.id)));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function waitForPort(port: number, failed: () => string | undefined): Promise<void> {
  const open = (): Promise<boolean> =>
    new Promise((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  await waitFor(`something to listen on ${port}`, async () => {
    const why = failed();
    if (why !== undefined) throw new Error(why);
    return open();
  }, { guardMs: 10_000, everyMs: 20 });
}

export async function startProxiedCloud(options: ProxiedCloudOptions): Promise<ProxiedCloud> {
  const cloud = new ProxiedCloud(options);
  try {
    return await cloud.start();
  } catch (error) {
    await cloud.stop();
    throw error;
  }
}

/** Members that know only the proxy's URL: which backend they reach is up to HAProxy. */
export function joinThroughProxy(c: ProxiedCloud, into: Member[], session: string, names: string[], extra: Record<string, unknown> = {}): Member[] {
  const joined = names.map((name) => member(name, { session, nodes: [c.url], ...extra }));
  into.push(...joined);
  return joined;
}

/** Which nodes logged a client link for `client`, in order (with the proxy's sticky cookie or not). */
export function linksOf(c: ProxiedCloud, client: string): Array<{ node: string; sticky: unknown }> {
  return c.log.filter((r) => r.message === 'client link' && r.fields.client === client).map((r) => ({ node: r.node, sticky: r.fields.sticky }));
}
