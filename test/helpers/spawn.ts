/** Child processes for tests: collect output, wait for a line, always reaped. */
import { spawn, type ChildProcess } from 'node:child_process';
import { waitFor } from './wait.js';

export interface Proc {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
  waitForOutput(text: string | RegExp, guardMs?: number): Promise<void>;
}

/** `stdin: 'pipe'` keeps the child's stdin open for `child.stdin.write`; by default it reads nothing. */
export function run(command: string, args: string[], options: { env?: Record<string, string>; cwd?: string; stdin?: 'pipe' } = {}): Proc {
  const stdio = [options.stdin ?? 'ignore', 'pipe', 'pipe'] as const;
  const child = spawn(command, args, { cwd: options.cwd ?? process.cwd(), env: { ...process.env, ...options.env }, stdio: [...stdio] });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    exited,
    waitForOutput: (text, guardMs = 30_000) =>
      waitFor(`output ${String(text)} from ${command} ${args.join(' ')}`, () => (typeof text === 'string' ? out.includes(text) : text.test(out)), {
        guardMs,
        detail: () => `got: ${out.slice(-500)}`,
      }),
  };
}
