import { describe, expect, it } from 'vitest';
import { UsageError, parseStrict } from '../../src/process/args.js';
import { parseTuning, tuningArgs, TUNING_OPTIONS } from '../../src/process/node-flags.js';
import { parseCloudArgs } from '../../src/cli/cloud-args.js';
import { parseNodeArgs } from '../../src/cli/node-args.js';
import { main } from '../../src/cli/main.js';
import { nodeTable } from '../../src/cli/cloud-command.js';
import { parseControl } from '../../src/cli/control.js';
import { listeningPort } from '../../src/cloud/child-node.js';
import { forwardLogLine } from '../../src/process/log-lines.js';
import type { Logger } from '../../src/core/logger.js';

function run<T>(parsed: { kind: 'help' } | { kind: 'run'; options: T }): T {
  if (parsed.kind !== 'run') throw new Error('expected run');
  return parsed.options;
}

describe('gridlink node arguments', () => {
  it('parses a full command line', () => {
    const options = run(
      parseNodeArgs([
        '--id', 'a', '--port', '7001', '--host', '0.0.0.0', '--url', 'ws://127.0.0.1:9001',
        '--peer', 'b=ws://127.0.0.1:7002', '--peer', 'c=wss://c.example.com/gl',
        '--heartbeat-interval', '100', '--heartbeat-timeout', '400', '--peer-interval', '50',
        '--peer-timeout', '200', '--member-grace', '1000', '--settle', '0', '--verbose',
      ]),
    );
    expect(options).toEqual({
      id: 'a',
      port: 7001,
      host: '0.0.0.0',
      url: 'ws://127.0.0.1:9001',
      peers: [
        { id: 'b', url: 'ws://127.0.0.1:7002' },
        { id: 'c', url: 'wss://c.example.com/gl' },
      ],
      heartbeat: { intervalMs: 100, timeoutMs: 400 },
      peerHeartbeat: { intervalMs: 50, timeoutMs: 200 },
      memberGraceMs: 1000,
      settleMs: 0,
      verbose: true,
    });
  });

  it('has defaults for everything but the id', () => {
    expect(run(parseNodeArgs(['--id', 'x']))).toEqual({ id: 'x', port: 0, host: '127.0.0.1', peers: [], verbose: false });
  });

  it('answers --help and -h', () => {
    expect(parseNodeArgs(['--help'])).toEqual({ kind: 'help' });
    expect(parseNodeArgs(['-h', '--id', 'a'])).toEqual({ kind: 'help' });
  });

  it.each([
    [[], /--id is required/],
    [['--id', 'a=b'], /--id must be/],
    [['--id', 'a', '--port', '70000'], /--port must be an integer from 0 to 65535/],
    [['--id', 'a', '--port', '12x'], /--port/],
    [['--id', 'a', '--url', 'http://x'], /--url must be a ws/],
    [['--id', 'a', '--peer', 'ws://x:1'], /--peer must be id=ws-url/],
    [['--id', 'a', '--peer', 'a=ws://x:1'], /this node itself/],
    [['--id', 'a', '--peer', 'b=ws://x:1', '--peer', 'b=ws://y:1'], /given twice/],
    [['--id', 'a', '--settle', '-5'], /settle/],
    [['--id', 'a', '--bogus'], /bogus/],
    [['--id', 'a', 'extra'], /unexpected argument 'extra'/],
    [['--id'], /--id/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseNodeArgs(argv)).toThrow(UsageError);
    expect(() => parseNodeArgs(argv)).toThrow(message);
  });
});

describe('gridlink cloud arguments', () => {
  it('defaults to three nodes on loopback', () => {
    expect(run(parseCloudArgs([]))).toEqual({ nodes: 3, host: '127.0.0.1', verbose: false });
  });

  it('takes ids, and the node count from them', () => {
    expect(run(parseCloudArgs(['--ids', 'x, y']))).toMatchObject({ nodes: 2, ids: ['x', 'y'] });
    expect(run(parseCloudArgs(['--nodes', '5', '--settle', '100']))).toMatchObject({ nodes: 5, settleMs: 100 });
  });

  it.each([
    [['--nodes', '0'], /--nodes must be an integer from 1 to 26/],
    [['--nodes', '27'], /--nodes/],
    [['--nodes', '2', '--ids', 'a,b,c'], /does not match/],
    [['--ids', 'a,a'], /duplicate/],
    [['--ids', 'a,,b'], /--ids must be/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseCloudArgs(argv)).toThrow(message);
  });
});

describe('tuning flags', () => {
  it('round-trip through tuningArgs, which the local cloud passes to its nodes', () => {
    const tuning = { heartbeat: { timeoutMs: 900 }, peerHeartbeat: { intervalMs: 40, timeoutMs: 160 }, settleMs: 5, maxMetaBytes: 64 };
    expect(parseTuning(parseStrict(tuningArgs(tuning), TUNING_OPTIONS))).toEqual(tuning);
    expect(tuningArgs({})).toEqual([]);
  });

  it('--max-meta-bytes is bounded (2..65536) and named when wrong', () => {
    expect(() => parseTuning(parseStrict(['--max-meta-bytes', '1'], TUNING_OPTIONS))).toThrow(/max-meta-bytes/);
    expect(() => parseTuning(parseStrict(['--max-meta-bytes', '70000'], TUNING_OPTIONS))).toThrow(/max-meta-bytes/);
  });

  it('round-trip maxJoinsPerSecond, Infinity included, so the local cloud can pass the join limit on', () => {
    for (const tuning of [{ maxJoinsPerSecond: 7 }, { maxJoinsPerSecond: Infinity }]) {
      expect(parseTuning(parseStrict(tuningArgs(tuning), TUNING_OPTIONS))).toEqual(tuning);
    }
  });
});

describe('gridlink main', () => {
  function io() {
    const out: string[] = [];
    const err: string[] = [];
    return { io: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) }, out, err };
  }

  it('prints usage and exits 0 for --help and no command', async () => {
    for (const argv of [[], ['--help'], ['node', '--help'], ['cloud', '-h']]) {
      const { io: cli, out } = io();
      expect(await main(argv, cli)).toBe(0);
      expect(out.join('')).toMatch(/Usage: gridlink/);
    }
  });

  it('exits 2 with the command usage on a usage error', async () => {
    const { io: cli, err } = io();
    expect(await main(['node', '--port', '1'], cli)).toBe(2);
    expect(err.join('')).toMatch(/--id is required[\s\S]*Usage: gridlink node/);
    const unknown = io();
    expect(await main(['launch'], unknown.io)).toBe(2);
    expect(unknown.err.join('')).toMatch(/unknown command 'launch'/);
  });
});

describe('small formats', () => {
  it('nodeTable pads ids', () => {
    expect(nodeTable([{ id: 'a', url: 'ws://127.0.0.1:1' }, { id: 'long-id', url: 'ws://127.0.0.1:2' }])).toBe(
      'NODE     URL\na        ws://127.0.0.1:1\nlong-id  ws://127.0.0.1:2\n',
    );
  });

  it('parseControl accepts drain lines only', () => {
    expect(parseControl('{"cmd":"drain","deadlineMs":250}')).toEqual({ deadlineMs: 250 });
    expect(parseControl('{"cmd":"drain"}')).toEqual({});
    expect(parseControl('{"cmd":"exec"}')).toBeUndefined();
    expect(parseControl('nonsense')).toBeUndefined();
  });

  it('listeningPort reads only the listening record of the expected node', () => {
    expect(listeningPort('{"event":"listening","id":"a","port":4242,"url":"ws://x"}', 'a')).toBe(4242);
    expect(listeningPort('{"event":"listening","id":"b","port":4242}', 'a')).toBeUndefined();
    expect(listeningPort('{"event":"listening","id":"a","port":0}', 'a')).toBeUndefined();
    expect(listeningPort('starting…', 'a')).toBeUndefined();
  });

  it('forwardLogLine keeps a child record level and warns on raw text', () => {
    const calls: [string, string, Record<string, unknown> | undefined][] = [];
    const record = (level: string) => (message: string, fields?: Record<string, unknown>) => void calls.push([level, message, fields]);
    const logger: Logger = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
    forwardLogLine('{"level":"info","message":"up","fields":{"port":1}}', logger, { node: 'a' });
    forwardLogLine('TypeError: boom', logger, { node: 'a' });
    forwardLogLine('', logger, { node: 'a' });
    expect(calls).toEqual([
      ['info', 'up', { port: 1, node: 'a' }],
      ['warn', 'TypeError: boom', { node: 'a' }],
    ]);
  });
});
