/**
 * The local cloud's console: `gridlink cloud` in the foreground reads one command per line on stdin
 * and reports every node that dies or returns, so a person can play with failover from one terminal
 * while a client runs in another. Commands act through the LocalCloud API, as a test would.
 *
 *   kill b · restart b · drain b · blackhole b · heal b · reset b · latency b 200 · status · help
 */
import { createInterface } from 'node:readline';
import type { LocalCloud, LocalNodeState } from '../cloud/local-cloud.js';

export const CONSOLE_HELP = `Commands (type one and press Enter):
  kill <node>          SIGKILL the node (a crash: its clients migrate after a reset)
  restart <node>       start a killed or drained node again
  drain <node>         planned shutdown: clients are told to move, then the node exits
  blackhole <node>     drop the node's traffic silently (a pulled cable: heartbeats find it)
  heal <node>          end a black hole
  reset <node>         reset every connection to the node (TCP RST)
  latency <node> <ms>  add latency to the node's traffic (0 removes it)
  status               list the nodes and their states
  help                 show this list
Ctrl-C stops the cloud.
`;

type Verb = 'kill' | 'restart' | 'drain' | 'blackhole' | 'heal' | 'reset' | 'latency' | 'status' | 'help';
const VERBS: readonly Verb[] = ['kill', 'restart', 'drain', 'blackhole', 'heal', 'reset', 'latency', 'status', 'help'];

export type ConsoleCommand =
  | { readonly verb: 'status' | 'help' }
  | { readonly verb: Exclude<Verb, 'status' | 'help' | 'latency'>; readonly node: string }
  | { readonly verb: 'latency'; readonly node: string; readonly ms: number };

/** One console line as a command, or the reason it is not one. */
export function parseConsoleLine(line: string): ConsoleCommand | { readonly error: string } | undefined {
  const [word, node, arg, ...extra] = line.trim().split(/\s+/).filter((part) => part !== '');
  if (word === undefined) return undefined;
  const verb = VERBS.find((candidate) => candidate === word.toLowerCase());
  if (verb === undefined) return { error: `unknown command '${word.slice(0, 40)}' (type 'help')` };
  if (verb === 'status' || verb === 'help') return node === undefined ? { verb } : { error: `'${verb}' takes no argument` };
  if (node === undefined) return { error: `'${verb}' needs a node id, e.g. '${verb} b${verb === 'latency' ? ' 200' : ''}'` };
  if (verb !== 'latency') return arg === undefined ? { verb, node } : { error: `'${verb}' takes one node id` };
  const ms = Number(arg);
  if (arg === undefined || extra.length > 0 || !Number.isInteger(ms) || ms < 0 || ms > 60_000) return { error: "'latency' needs a node id and 0-60000 ms, e.g. 'latency b 200'" };
  return { verb, node, ms };
}

export interface ConsoleIo {
  readonly input: NodeJS.ReadableStream;
  readonly out: (text: string) => void;
}

/** How often the console looks at the nodes' states to report deaths and returns. */
const WATCH_MS = 200;

/** Runs the console until `signal` aborts; stdin ending only stops the reading, never the cloud. */
export function runConsole(cloud: LocalCloud, io: ConsoleIo, signal: AbortSignal): void {
  const lines = createInterface({ input: io.input, crlfDelay: Infinity, terminal: false });
  let queue = Promise.resolve();
  lines.on('line', (line) => {
    queue = queue.then(() => execute(cloud, line, io.out));
  });
  const last = new Map<string, LocalNodeState>(cloud.nodes.map((node) => [node.id, cloud.node(node.id).state]));
  const watch = setInterval(() => {
    for (const { id } of cloud.nodes) {
      const state = cloud.node(id).state;
      const before = last.get(id);
      if (state === before) continue;
      last.set(id, state);
      io.out(state === 'running' ? `node ${id} is up\n` : `node ${id} is down (${state})\n`);
    }
  }, WATCH_MS);
  watch.unref();
  signal.addEventListener(
    'abort',
    () => {
      clearInterval(watch);
      lines.close();
    },
    { once: true },
  );
}

async function execute(cloud: LocalCloud, line: string, out: (text: string) => void): Promise<void> {
  const command = parseConsoleLine(line);
  if (command === undefined) return;
  if ('error' in command) {
    out(`${command.error}\n`);
    return;
  }
  try {
    switch (command.verb) {
      case 'help':
        out(CONSOLE_HELP);
        return;
      case 'status':
        for (const { id, url } of cloud.nodes) {
          const view = cloud.node(id);
          out(`${id}  ${view.state}${view.blackholed ? ' (black-holed)' : ''}  ${view.pid === undefined ? '-' : `pid ${view.pid}`}  ${url}\n`);
        }
        return;
      case 'kill':
        await cloud.kill(command.node);
        break;
      case 'restart':
        await cloud.restart(command.node);
        break;
      case 'drain':
        out(`draining ${command.node}…\n`);
        await cloud.drain(command.node);
        break;
      case 'blackhole':
        cloud.blackhole(command.node);
        break;
      case 'heal':
        cloud.heal(command.node);
        break;
      case 'reset':
        cloud.reset(command.node);
        break;
      case 'latency':
        cloud.setLatency(command.node, command.ms);
        break;
    }
    out(`ok: ${line.trim()}\n`);
  } catch (error) {
    out(`failed: ${error instanceof Error ? error.message : String(error)}\n`);
  }
}
