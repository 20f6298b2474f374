/**
 * deploy/: what can be checked without systemd, Docker or a cluster. HAProxy checks the compose
 * cloud's configuration; every YAML file parses; the systemd unit's ExecStart and the image's
 * ENTRYPOINT + CMD (and the StatefulSet's args) run as written and drain on SIGTERM.
 *
 * "As written" with only these substitutions, since this machine has neither the installed CLI nor
 * the container's file system:
 *   - the binary: `/usr/local/bin/gridlink` (unit) and `node /app/dist/cli.js` (image) become
 *     `<this node> <repo>/dist/cli.js`;
 *   - the config path under /etc/gridlink/ becomes a temp file holding the shipped config (the one
 *     that file would be: systemd/node.yaml, compose/a.yaml, the ConfigMap's entry) with only `port`
 *     set to 0 and `host` to 127.0.0.1, so it listens here beside other tests.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { run, type Proc } from '../helpers/spawn.js';
import { needing, requireTool } from '../helpers/tools.js';

const ROOT = process.cwd();
const DEPLOY = join(ROOT, 'deploy');
const CLI = join(ROOT, 'dist/cli.js');
/** The node's default drain deadline (`drainDeadlineMs` in src/server/node/options.ts). */
const DRAIN_DEADLINE_SEC = 5;
const SECRET = { GRIDLINK_SECRET: 'deploy-test-secret-deploy-test-secret' };

const tmp = mkdtempSync(join(tmpdir(), 'gridlink-deploy-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const procs: Proc[] = [];
afterEach(async () => {
  for (const proc of procs.splice(0)) {
    if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
    await proc.exited;
  }
});

const read = (path: string): string => readFileSync(join(DEPLOY, path), 'utf8');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(entry.name) ? [path] : [];
  });
}

type Doc = Record<string, unknown> & { kind?: string; spec?: Record<string, unknown> };

function manifests(): Doc[] {
  return yamlFiles(join(DEPLOY, 'kubernetes')).flatMap((file) => parseAllDocuments(readFileSync(file, 'utf8')).map((doc) => doc.toJS() as Doc));
}

/** A shipped node config made runnable here: the same keys, but port 0 on loopback. */
function localCopy(name: string, configText: string): string {
  const config = parse(configText) as Record<string, unknown>;
  const file = join(tmp, name);
  writeFileSync(file, stringify({ ...config, port: 0, host: '127.0.0.1' }));
  return file;
}

/** Runs a command line, waits for the listening line, sends SIGTERM and checks it drained and exited 0. */
async function startsAndDrains(argv: string[], expectedId: string): Promise<void> {
  const [command, ...args] = argv as [string, ...string[]];
  const proc = run(command, args, { env: SECRET });
  procs.push(proc);
  await proc.waitForOutput(/"event":"listening"/);
  expect(proc.output()).toContain(`"id":"${expectedId}"`);
  proc.child.kill('SIGTERM');
  expect(await proc.exited).toBe(0);
  // The shipped configs set verbose: the node logs the drain SIGTERM started.
  expect(proc.output()).toContain('node draining');
}

/** systemd's `Key=value` lines of one section. */
function unitSettings(text: string): Map<string, string> {
  const settings = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (match !== null) settings.set(match[1] as string, match[2] as string);
  }
  return settings;
}

/** A Dockerfile instruction in exec (JSON array) form. */
function execForm(dockerfile: string, instruction: string): string[] {
  const line = dockerfile.split('\n').find((text) => text.startsWith(`${instruction} `));
  expect(line, `${instruction} in the Dockerfile`).toBeDefined();
  const value: unknown = JSON.parse((line as string).slice(instruction.length + 1));
  expect(Array.isArray(value) && value.every((item) => typeof item === 'string'), `${instruction} in exec form`).toBe(true);
  return value as string[];
}

/** The image's entry command with the container's `node /app/dist/cli.js` replaced by this checkout's. */
function localEntrypoint(entrypoint: string[]): string[] {
  expect(entrypoint.slice(0, 2)).toEqual(['node', '/app/dist/cli.js']);
  return [process.execPath, CLI, ...entrypoint.slice(2)];
}

const haveHaproxy = requireTool('haproxy');

describe.skipIf(!haveHaproxy)(needing('haproxy', 'deploy/compose/haproxy.cfg'), () => {
  it('is a valid HAProxy configuration with a server and cookie for each compose node', () => {
    const check = spawnSync('haproxy', ['-c', '-f', join(DEPLOY, 'compose/haproxy.cfg')], { encoding: 'utf8' });
    expect(check.stdout + check.stderr).toContain('Configuration file is valid');
    expect(check.status).toBe(0);
    const servers = read('compose/haproxy.cfg').match(/^\s*server s\d \w+:7620 cookie S\d/gm) ?? [];
    expect(servers).toHaveLength(3);
  });
});

describe('deploy/ files', () => {
  it('every YAML file parses, and so does each node config the ConfigMap carries', () => {
    const files = yamlFiles(DEPLOY);
    expect(files.length).toBeGreaterThanOrEqual(9);
    for (const file of files) {
      const docs = parseAllDocuments(readFileSync(file, 'utf8'));
      for (const doc of Array.isArray(docs) ? docs : [docs]) expect(doc.errors.map(String), relative(ROOT, file)).toEqual([]);
    }
    const configMap = manifests().find((doc) => doc.kind === 'ConfigMap') as { data: Record<string, string> };
    expect(Object.keys(configMap.data).sort()).toEqual(['gridlink-0.yaml', 'gridlink-1.yaml', 'gridlink-2.yaml']);
    for (const [name, text] of Object.entries(configMap.data)) expect((parse(text) as { id: string }).id).toBe(name.replace('.yaml', ''));
  });

  it('Kubernetes: a StatefulSet behind a headless Service, a PDB, /healthz probes, a preStop drain within the grace period', () => {
    const docs = manifests();
    const kinds = docs.map((doc) => doc.kind);
    expect(kinds).toEqual(expect.arrayContaining(['Namespace', 'ConfigMap', 'Service', 'StatefulSet', 'PodDisruptionBudget']));
    const service = docs.find((doc) => doc.kind === 'Service') as { spec: { clusterIP: string; publishNotReadyAddresses: boolean } };
    expect(service.spec.clusterIP).toBe('None');
    const set = docs.find((doc) => doc.kind === 'StatefulSet') as { spec: { serviceName: string; template: { spec: { terminationGracePeriodSeconds: number; containers: Record<string, unknown>[] } } } };
    expect(set.spec.serviceName).toBe('gridlink');
    const pod = set.spec.template.spec;
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(DRAIN_DEADLINE_SEC);
    const container = pod.containers[0] as { readinessProbe: { httpGet: { path: string } }; livenessProbe: { httpGet: { path: string } }; lifecycle: { preStop: { exec: { command: string[] } } } };
    expect(container.readinessProbe.httpGet.path).toBe('/healthz');
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container.lifecycle.preStop.exec.command.join(' ')).toMatch(/kill -TERM 1/);
  });

  it('compose: three nodes from the image and HAProxy, each node given longer than the drain to stop', () => {
    const compose = parse(read('compose/compose.yaml'), { merge: true }) as { services: Record<string, { image: string; stop_grace_period?: string; volumes?: string[] }> };
    expect(Object.keys(compose.services).sort()).toEqual(['a', 'b', 'c', 'haproxy']);
    for (const id of ['a', 'b', 'c']) {
      const service = compose.services[id]!;
      expect(service.volumes).toEqual([`./${id}.yaml:/etc/gridlink/node.yaml:ro`]);
      expect(Number.parseInt(service.stop_grace_period ?? '10', 10)).toBeGreaterThan(DRAIN_DEADLINE_SEC);
    }
  });

  it("the systemd unit's ExecStart starts a node that drains and exits 0 on SIGTERM, stopped later than the drain deadline", async () => {
    const unit = unitSettings(read('systemd/gridlink-node.service'));
    expect(unit.get('KillSignal')).toBe('SIGTERM');
    expect(Number(unit.get('TimeoutStopSec'))).toBeGreaterThan(DRAIN_DEADLINE_SEC);
    const execStart = unit.get('ExecStart') as string;
    // No quoting or specifiers: systemd splits this line on spaces, as we do.
    expect(execStart).not.toMatch(/["'%$\\]/);
    const argv = execStart.split(/\s+/);
    expect(argv.slice(0, 4)).toEqual(['/usr/local/bin/gridlink', 'node', '--config', '/etc/gridlink/node.yaml']);
    const config = localCopy('systemd-node.yaml', read('systemd/node.yaml'));
    await startsAndDrains([process.execPath, CLI, ...argv.slice(1).map((arg) => (arg === '/etc/gridlink/node.yaml' ? config : arg))], 'a');
  });

  it("the image's ENTRYPOINT with --help (`docker run gridlink --help`) prints the node's usage", () => {
    const [command, ...args] = localEntrypoint(execForm(read('docker/Dockerfile'), 'ENTRYPOINT')) as [string, ...string[]];
    const help = spawnSync(command, [...args, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: gridlink node/);
  });

  it("the image's ENTRYPOINT + CMD with compose's a.yaml mounted starts node a, which drains and exits 0 on SIGTERM", async () => {
    const dockerfile = read('docker/Dockerfile');
    const cmd = execForm(dockerfile, 'CMD');
    expect(cmd).toEqual(['--config', '/etc/gridlink/node.yaml']);
    const config = localCopy('compose-a.yaml', read('compose/a.yaml'));
    await startsAndDrains([...localEntrypoint(execForm(dockerfile, 'ENTRYPOINT')), ...cmd.map((arg) => (arg === '/etc/gridlink/node.yaml' ? config : arg))], 'a');
  });

  it("the image's ENTRYPOINT + the StatefulSet's args for pod gridlink-1 start node gridlink-1, which drains on SIGTERM", async () => {
    const docs = manifests();
    const set = docs.find((doc) => doc.kind === 'StatefulSet') as { spec: { template: { spec: { containers: { args: string[] }[] } } } };
    const configMap = docs.find((doc) => doc.kind === 'ConfigMap') as { data: Record<string, string> };
    const config = localCopy('gridlink-1.yaml', configMap.data['gridlink-1.yaml'] as string);
    // The kubelet expands $(POD_NAME); the ConfigMap is mounted at /etc/gridlink.
    const args = set.spec.template.spec.containers[0]!.args.map((arg) => arg.replace('$(POD_NAME)', 'gridlink-1').replace('/etc/gridlink/gridlink-1.yaml', config));
    await startsAndDrains([...localEntrypoint(execForm(read('docker/Dockerfile'), 'ENTRYPOINT')), ...args], 'gridlink-1');
  });

  it('every other shipped node config is accepted by the CLI (started on loopback with --port 0 --host 127.0.0.1)', async () => {
    const configMap = manifests().find((doc) => doc.kind === 'ConfigMap') as { data: Record<string, string> };
    const configs: [string, string][] = [
      ['b', join(DEPLOY, 'compose/b.yaml')],
      ['c', join(DEPLOY, 'compose/c.yaml')],
      ['gridlink-0', localCopy('gridlink-0.yaml', configMap.data['gridlink-0.yaml'] as string)],
      ['gridlink-2', localCopy('gridlink-2.yaml', configMap.data['gridlink-2.yaml'] as string)],
    ];
    await Promise.all(configs.map(([id, file]) => startsAndDrains([process.execPath, CLI, 'node', '--config', file, '--port', '0', '--host', '127.0.0.1'], id)));
  });
});
