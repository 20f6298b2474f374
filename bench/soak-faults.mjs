// The chaos soak's fault schedule: faults drawn from a seeded generator (the seed is printed, so a
// failing run can be replayed), each with its own repair, never taking the cloud below two working
// nodes. Kinds: SIGKILL, black hole, added latency, connection resets (mid-stream: traffic is
// flowing), drain, two nodes at once, a session's host and its successor together, and flapping.
import { rendezvousRank } from '../dist/server.js';

/** mulberry32: small, fast, good enough to draw a schedule, and identical on every machine. */
export function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const FAULT_KINDS = ['kill', 'blackhole', 'latency', 'reset', 'drain', 'kill-two', 'host-and-successor', 'flap'];

export class FaultSchedule {
  constructor(cloud, { seed, sessions, log, minHealthy = 2 }) {
    this.cloud = cloud;
    this.random = seededRandom(seed);
    this.sessions = sessions;
    this.log = log;
    this.minHealthy = minHealthy;
    this.down = new Map(); // node id -> what is wrong with it
    this.repairs = new Set(); // pending repair promises
    this.counts = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0]));
    this.timers = new Set(); // scheduled repairs: { timer, run }
  }

  pick(list) {
    return list[Math.floor(this.random() * list.length)];
  }

  between(min, max) {
    return min + Math.floor(this.random() * (max - min));
  }

  healthy() {
    return this.cloud.nodes.map((n) => n.id).filter((id) => !this.down.has(id));
  }

  /** Inflicts one fault, if the cloud can take it; returns a description or undefined. */
  async inflictOne() {
    const healthy = this.healthy();
    const spare = healthy.length - this.minHealthy;
    if (spare < 1) return undefined;
    let kind = this.pick(FAULT_KINDS);
    if ((kind === 'kill-two' || kind === 'host-and-successor') && spare < 2) kind = 'kill';
    const victim = this.pick(healthy);
    this.counts[kind]++;
    switch (kind) {
      case 'kill':
        return this.#outage([victim], 'killed', (id) => this.cloud.kill(id), (id) => this.cloud.restart(id), this.between(500, 3000));
      case 'kill-two': {
        const second = this.pick(healthy.filter((id) => id !== victim));
        return this.#outage([victim, second], 'killed', (id) => this.cloud.kill(id), (id) => this.cloud.restart(id), this.between(500, 3000));
      }
      case 'host-and-successor': {
        const session = this.pick(this.sessions);
        const [host, successor] = rendezvousRank(session, healthy, (id) => id);
        return this.#outage([host, successor], 'killed', (id) => this.cloud.kill(id), (id) => this.cloud.restart(id), this.between(500, 3000), `host of ${session} and its successor`);
      }
      case 'blackhole':
        return this.#outage([victim], 'black-holed', async (id) => this.cloud.blackhole(id), async (id) => this.cloud.heal(id), this.between(1000, 5000));
      case 'latency': {
        const ms = this.between(20, 200);
        return this.#outage([victim], `slowed by ${ms} ms`, async (id) => this.cloud.setLatency(id, ms), async (id) => this.cloud.setLatency(id, 0), this.between(1000, 4000), undefined, false);
      }
      case 'reset':
        this.cloud.reset(victim);
        return `reset every connection of ${victim}`;
      case 'drain':
        return this.#outage([victim], 'drained', (id) => this.cloud.drain(id, { deadlineMs: 2000 }), (id) => this.cloud.restart(id), this.between(500, 2000));
      case 'flap':
        return this.#flap(victim);
    }
    return undefined;
  }

  /** Takes nodes down now and schedules their repair; `counts` says whether it costs health. */
  async #outage(ids, what, hurt, repair, forMs, note, counts = true) {
    for (const id of ids) if (counts) this.down.set(id, what);
    await Promise.all(ids.map((id) => hurt(id).catch((error) => this.log(`  (${what} ${id} failed: ${error.message})`))));
    this.#later(forMs, async () => {
      await Promise.all(ids.map((id) => repair(id).catch((error) => this.log(`  (repair of ${id} failed: ${error.message})`))));
      for (const id of ids) this.down.delete(id);
    });
    return `${ids.join(' + ')} ${what} for ${forMs} ms${note ? ` (${note})` : ''}`;
  }

  /** A node dying and returning every few hundred ms, a few times. */
  async #flap(id) {
    this.down.set(id, 'flapping');
    const cycles = this.between(3, 6);
    const run = (async () => {
      for (let i = 0; i < cycles; i++) {
        await this.cloud.kill(id).catch(() => {});
        await sleep(this.between(150, 400));
        await this.cloud.restart(id).catch(() => {});
        await sleep(this.between(200, 500));
      }
      this.down.delete(id);
    })();
    this.repairs.add(run);
    void run.finally(() => this.repairs.delete(run));
    return `${id} flapping ${cycles} times`;
  }

  #later(ms, fn) {
    const pending = { timer: undefined, run: undefined };
    const done = new Promise((resolve) => {
      pending.run = () => {
        clearTimeout(pending.timer);
        this.timers.delete(pending);
        resolve(fn());
      };
      pending.timer = setTimeout(pending.run, ms);
    });
    this.timers.add(pending);
    this.repairs.add(done);
    void done.finally(() => this.repairs.delete(done));
  }

  /** Repairs everything now (pending repairs are brought forward) and waits for the repairs. */
  async healAll() {
    for (const pending of [...this.timers]) pending.run();
    await Promise.allSettled([...this.repairs]);
    for (const node of this.cloud.nodes) {
      const view = this.cloud.node(node.id);
      if (view.blackholed) this.cloud.heal(node.id);
      this.cloud.setLatency(node.id, 0);
      if (view.state !== 'running') await this.cloud.restart(node.id).catch(() => {});
    }
    this.down.clear();
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
