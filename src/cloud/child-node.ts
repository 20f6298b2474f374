/**
 * One cloud node as a child process running `gridlink node`: spawned, awaited until it prints its
 * listening line, and then only signalled or sent control lines. The secret travels in the
 * environment (argv shows in `ps`); stderr goes to the logger, never to the parent's console.
 *
 * The child's stdin is a control channel (GRIDLINK_CONTROL=stdin): a JSON line per command, and its
 * end means the parent is gone, so a child cannot outlive a parent that was itself SIGKILLed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { abortError, onAbort } from '../core/abort.js';
import { ConnectError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { forwardLogLine } from '../process/log-lines.js';

export interface ChildNodeSpec {
  id: string;
  cliPath: string;
  /** Arguments after `node` (the subcommand). */
  args: string[];
  secret: string;
  logger: Logger;
  startTimeoutMs: number;
  signal?: AbortSignal;
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ChildNode {
  readonly pid: number | undefined;
  /** The port the node listens on (behind its proxy). */
  readonly port: number;
  /** `host:port` of the node's DNS server, when it runs one. */
  readonly dns: string | undefined;
  /** Settles when the process has exited (and its pid is reaped). Never rejects. */
  readonly exited: Promise<ChildExit>;
  readonly hasExited: boolean;
  kill(signal: NodeJS.Signals): void;
  /** Writes one control line; false when the child is gone. */
  control(command: { cmd: 'drain'; deadlineMs?: number }): boolean;
}

const STDERR_TAIL = 20;

export function spawnChildNode(spec: ChildNodeSpec): Promise<ChildNode> {
  if (spec.signal?.aborted === true) return Promise.reject(abortError(spec.signal, `starting node ${spec.id}`));
  const child = spawn(process.execPath, [spec.cliPath, 'node', ...spec.args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, GRIDLINK_SECRET: spec.secret, GRIDLINK_CONTROL: 'stdin' },
    windowsHide: true,
  });
  child.stdin?.on('error', () => {}); // EPIPE once the child is gone: its exit is reported elsewhere
  const stderrTail: string[] = [];
  const fields = { node: spec.id, pid: child.pid };
  if (child.stderr !== null) {
    createInterface({ input: child.stderr, crlfDelay: Infinity }).on('line', (line) => {
      stderrTail.push(line);
      if (stderrTail.length > STDERR_TAIL) stderrTail.shift();
      forwardLogLine(line, spec.logger, fields);
    });
  }
  let exitInfo: ChildExit | undefined;
  const exited = new Promise<ChildExit>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
    // A spawn failure (ENOENT, EAGAIN) emits 'error' and no 'exit'; a later failed kill() emits
    // 'error' too, which must not crash the parent.
    child.on('error', (error) => {
      if (child.pid === undefined) resolve((exitInfo = { code: null, signal: null }));
      else spec.logger.warn(`node ${spec.id}: ${error.message}`, fields);
    });
  });

  return new Promise<ChildNode>((resolve, reject) => {
    const describe = (): string => (stderrTail.length > 0 ? `; its stderr ends with:\n${stderrTail.join('\n')}` : '');
    const finish = (error: Error | undefined, record?: ListeningRecord): void => {
      clearTimeout(timer);
      unsubscribe();
      lines?.off('line', onLine);
      child.off('close', onExit);
      child.off('error', onError);
      if (error === undefined && record !== undefined) {
        resolve(handle(child, record, exited, () => exitInfo !== undefined));
        return;
      }
      child.kill('SIGKILL');
      // Reject only once the process is gone, so a caller that cleans up finds nothing left behind.
      void exited.then(() => reject(error));
    };
    const onLine = (line: string): void => {
      const record = listeningRecord(line, spec.id);
      if (record !== undefined) finish(undefined, record);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
      finish(
        new ConnectError(
          'GRIDLINK_CONNECT_FAILED',
          `node ${spec.id} exited (code ${code}, signal ${signal}) before it was listening${describe()}`,
        ),
      );
    const onError = (error: Error): void =>
      finish(new ConnectError('GRIDLINK_CONNECT_FAILED', `node ${spec.id} could not be started: ${error.message}`, { cause: error }));
    const lines = child.stdout === null ? undefined : createInterface({ input: child.stdout, crlfDelay: Infinity });
    lines?.on('line', onLine);
    // 'close', not 'exit': it comes after the child's stderr is fully read, so the message has it all.
    child.once('close', onExit);
    child.once('error', onError);
    // Hang guard: a child that neither listens nor exits must not stall the cloud's start.
    const timer = setTimeout(
      () =>
        finish(
          new ConnectError('GRIDLINK_TIMEOUT', `node ${spec.id} did not report listening within ${spec.startTimeoutMs} ms${describe()}`, {
            retriable: true,
          }),
        ),
      spec.startTimeoutMs,
    );
    const unsubscribe = onAbort(spec.signal, () => finish(abortError(spec.signal as AbortSignal, `starting node ${spec.id}`)));
  });
}

function handle(child: ChildProcess, { port, dns }: ListeningRecord, exited: Promise<ChildExit>, hasExited: () => boolean): ChildNode {
  // Keep draining stdout after the listening line so a chatty child never blocks on a full pipe.
  child.stdout?.resume();
  return {
    pid: child.pid,
    port,
    dns,
    exited,
    get hasExited() {
      return hasExited();
    },
    kill(signal) {
      if (!hasExited()) child.kill(signal);
    },
    control(command) {
      if (hasExited() || child.stdin === null || child.stdin.destroyed) return false;
      child.stdin.write(`${JSON.stringify(command)}\n`);
      return true;
    },
  };
}

export interface ListeningRecord {
  readonly port: number;
  /** `host:port` of the node's DNS server (`"dns"` in the record), when it runs one. */
  readonly dns: string | undefined;
}

/** The port from `{"event":"listening","id":…,"port":…}` when the line is that record for `id`. */
export function listeningPort(line: string, id: string): number | undefined {
  return listeningRecord(line, id)?.port;
}

/** Port and DNS address from the listening record of node `id`; undefined for any other line. */
export function listeningRecord(line: string, id: string): ListeningRecord | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    if (typeof value !== 'object' || value === null) return undefined;
    const record = value as Record<string, unknown>;
    const port = record.port;
    if (record.event !== 'listening' || record.id !== id) return undefined;
    if (typeof port !== 'number' || !Number.isInteger(port) || port <= 0 || port > 65535) return undefined;
    return { port, dns: typeof record.dns === 'string' && record.dns.length <= 64 ? record.dns : undefined };
  } catch {
    return undefined;
  }
}
