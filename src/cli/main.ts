/**
 * The CLI's dispatcher: `gridlink <command> [options]`. Returns the exit code instead of exiting,
 * so it can be called (and tested) in-process; `src/cli.ts` is the executable that exits with it.
 * Exit codes: 0 done, 1 failed, 2 usage error, 130 interrupted.
 */
import { isGridlinkError } from '../core/errors.js';
import { installSuggestions } from '../core/suggest.js';
import { CLOUD_USAGE, parseCloudArgs } from './cloud-args.js';
import { NODE_USAGE, parseNodeArgs } from './node-args.js';
import { PROBE_USAGE, parseProbeArgs } from './probe-args.js';
import { UsageError } from '../process/args.js';
import type { CliIo } from './io.js';

export type { CliIo } from './io.js';

// An option misspelt in a config file or a flag's value gets its "did you mean …?" (validate.ts).
installSuggestions();

export const USAGE = `Usage: gridlink <command> [options]

Commands:
  node     run one cloud node
  cloud    run a local cloud (nodes on loopback behind fault proxies) in the foreground
  demo     watch a session survive its host's death on a local cloud
  probe    resolve a cloud like a client does and show its nodes' health and load
  publish-key  print the cloud's publish key (derived from GRIDLINK_SECRET) for a backend

Run 'gridlink <command> --help' for a command's options.`;

const processIo: CliIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};

export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'node': {
        const parsed = parseNodeArgs(rest);
        if (parsed.kind === 'help') return help(io, NODE_USAGE);
        const { runNode } = await import('./node-command.js');
        return await runNode(parsed.options);
      }
      case 'cloud': {
        const parsed = parseCloudArgs(rest);
        if (parsed.kind === 'help') return help(io, CLOUD_USAGE);
        const { runCloud } = await import('./cloud-command.js');
        return await runCloud(parsed.options);
      }
      case 'probe': {
        const parsed = parseProbeArgs(rest);
        if (parsed.kind === 'help') return help(io, PROBE_USAGE);
        const { runProbe } = await import('./probe.js');
        return await runProbe(parsed.options, io);
      }
      case 'publish-key': {
        if (rest.length > 0) throw new UsageError('publish-key takes no options: it reads GRIDLINK_SECRET');
        const secret = process.env.GRIDLINK_SECRET;
        if (secret === undefined || secret === '') throw new UsageError('publish-key: set GRIDLINK_SECRET to the cloud\'s secret');
        const { publishKey } = await import('../server/publish/publish-options.js');
        io.out(`${publishKey(secret)}\n`);
        return 0;
      }
      case 'demo': {
        const { runDemo } = await import('./demo.js');
        return await runDemo(rest);
      }
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        return help(io, USAGE);
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`gridlink: ${error.message}\n\n${usageOf(command)}\n`);
      return 2;
    }
    const code = isGridlinkError(error) ? ` [${error.code}]` : '';
    io.err(`gridlink ${command ?? ''}: ${error instanceof Error ? error.message : String(error)}${code}\n`);
    return 1;
  }
}

function help(io: CliIo, text: string): number {
  io.out(`${text}\n`);
  return 0;
}

function usageOf(command: string | undefined): string {
  if (command === 'node') return NODE_USAGE;
  if (command === 'cloud') return CLOUD_USAGE;
  if (command === 'probe') return PROBE_USAGE;
  return USAGE;
}
