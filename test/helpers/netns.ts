/**
 * Real network partitions for tests: every host (node or client group) lives in its own network
 * namespace, joined to the others by a bridge in a hub namespace, so a partition is the kernel
 * dropping packets — no reset, no FIN, exactly what a pulled cable or a dead router does. Nothing
 * touches the machine's own network namespace. Needs root and iproute2 (`ip`).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface Host {
  readonly name: string;
  readonly ns: string;
  readonly ip: string;
}

const SUBNET = '10.231.0';

export function netnsAvailable(): boolean {
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
    return process.getuid?.() === 0;
  } catch {
    return false;
  }
}

export class Topology {
  readonly hosts = new Map<string, Host>();
  readonly #hub: string;
  readonly #prefix: string;
  readonly #children = new Set<ChildProcess>();
  readonly #blocks = new Set<string>();

  constructor(names: readonly string[]) {
    this.#prefix = `gl${process.pid % 100_000}`;
    this.#hub = `${this.#prefix}-hub`;
    ip(['netns', 'add', this.#hub]);
    inNs(this.#hub, ['ip', 'link', 'add', 'br0', 'type', 'bridge']);
    inNs(this.#hub, ['ip', 'link', 'set', 'br0', 'up']);
    names.forEach((name, i) => {
      const host: Host = { name, ns: `${this.#prefix}-${name}`, ip: `${SUBNET}.${10 + i}` };
      const dev = `v${i}`;
      ip(['netns', 'add', host.ns]);
      inNs(this.#hub, ['ip', 'link', 'add', dev, 'type', 'veth', 'peer', 'name', `${dev}h`]);
      inNs(this.#hub, ['ip', 'link', 'set', dev, 'netns', host.ns]);
      inNs(this.#hub, ['ip', 'link', 'set', `${dev}h`, 'master', 'br0', 'up']);
      inNs(host.ns, ['ip', 'link', 'set', 'lo', 'up']);
      inNs(host.ns, ['ip', 'addr', 'add', `${host.ip}/24`, 'dev', dev]);
      inNs(host.ns, ['ip', 'link', 'set', dev, 'up']);
      this.hosts.set(name, host);
    });
  }

  host(name: string): Host {
    const host = this.hosts.get(name);
    if (host === undefined) throw new Error(`no host ${name}`);
    return host;
  }

  /** Packets from `from` to `to` are dropped by the kernel (established connections go silent). */
  cut(from: string, to: string): void {
    inNs(this.host(from).ns, ['ip', 'route', 'add', 'blackhole', `${this.host(to).ip}/32`]);
    this.#blocks.add(`${from}>${to}`);
  }

  /** Cuts both directions between every host of `a` and every host of `b`. */
  split(a: readonly string[], b: readonly string[]): void {
    for (const x of a) for (const y of b) {
      this.cut(x, y);
      this.cut(y, x);
    }
  }

  healAll(): void {
    for (const block of this.#blocks) {
      const [from, to] = block.split('>') as [string, string];
      inNs(this.host(from).ns, ['ip', 'route', 'del', 'blackhole', `${this.host(to).ip}/32`]);
    }
    this.#blocks.clear();
  }

  /** Starts a process inside a host's namespace; it is killed by destroy(). */
  spawn(name: string, command: string, args: string[], env: Record<string, string> = {}): Proc {
    const child = spawn('ip', ['netns', 'exec', this.host(name).ns, command, ...args], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.#children.add(child);
    child.once('exit', () => this.#children.delete(child));
    return new Proc(child);
  }

  destroy(): void {
    for (const child of this.#children) child.kill('SIGKILL');
    for (const host of this.hosts.values()) tryIp(['netns', 'del', host.ns]);
    tryIp(['netns', 'del', this.#hub]);
  }
}

/** A child's JSON lines, and a way to wait for one. */
export class Proc {
  readonly lines: Array<Record<string, unknown>> = [];
  readonly #waiters = new Set<() => void>();
  stderr = '';

  constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        this.lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        this.lines.push({ text: line });
      }
      for (const wake of this.#waiters) wake();
    });
    child.stderr?.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-4000)));
  }

  send(command: Record<string, unknown>): void {
    this.child.stdin?.write(`${JSON.stringify(command)}\n`);
  }

  /** The latest line matching `predicate`, waiting for one (hang guard only). */
  async waitFor(what: string, predicate: (line: Record<string, unknown>) => boolean, guardMs = 30_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + guardMs;
    for (;;) {
      const hit = [...this.lines].reverse().find(predicate);
      if (hit !== undefined) return hit;
      if (Date.now() > deadline) throw new Error(`hang guard: no ${what} within ${guardMs} ms (stderr: ${this.stderr.slice(-500)})`);
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          this.#waiters.delete(wake);
          resolve();
        };
        this.#waiters.add(wake);
        setTimeout(wake, 100);
      });
    }
  }
}

function ip(args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

function tryIp(args: string[]): void {
  try {
    ip(args);
  } catch {
    // already gone
  }
}

function inNs(ns: string, command: string[]): void {
  execFileSync('ip', ['netns', 'exec', ns, ...command], { stdio: 'pipe' });
}
