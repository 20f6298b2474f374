/**
 * `gridlink node`: runs one node until a signal (or the parent, over stdin) says stop.
 *
 * SIGTERM is a planned shutdown: drain (clients migrate away), then exit 0. SIGINT closes at once.
 * Under the local cloud (GRIDLINK_CONTROL=stdin) stdin also carries control lines, e.g.
 * `{"cmd":"drain","deadlineMs":2000}`, and its end means the parent died: the node closes and exits
 * rather than lingering as an orphan.
 */
import { readFileSync } from 'node:fs';
import { isGridlinkError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { startNode, type NodeServer, type NodeServerOptions } from '../server/node/node-server.js';
import { jwtAuthenticator, type JwtAuthenticator, type JwtAuthOptions } from '../server/auth/jwt.js';
import { UsageError } from '../process/args.js';
import { metricsOption } from '../process/node-flags.js';
import { acceptedSecretsFrom, publishOption } from '../process/publish-flags.js';
import { listenForControl } from './control.js';
import { jsonLinesLogger } from '../process/log-lines.js';
import type { NodeAuthFlags, NodeCommandOptions } from './node-args.js';

// An orphaned node gives its clients this long to see a clean close before it just exits.
const ORPHAN_CLOSE_MS = 1000;

export async function runNode(options: NodeCommandOptions): Promise<number> {
  const logger = options.verbose ? jsonLinesLogger(process.stderr, { node: options.id }) : undefined;
  const server = await startNode(serverOptions(options, logger));
  const dns = server.dns === undefined ? {} : { dns: server.dns.address };
  const exitCode = new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (how: 'drain' | 'close', deadlineMs?: number): void => {
      if (stopping) {
        // A second Ctrl-C while draining means "now".
        if (how === 'close') resolve(130);
        return;
      }
      stopping = true;
      void shutdown(server, how, deadlineMs, logger).then(resolve);
    };
    process.on('SIGTERM', () => stop('drain'));
    process.on('SIGINT', () => stop('close'));
    if (process.env.GRIDLINK_CONTROL === 'stdin') {
      listenForControl((command) => stop('drain', command.deadlineMs), () => {
        setTimeout(() => resolve(0), ORPHAN_CLOSE_MS).unref();
        stop('close');
      });
    }
  });
  // Announce only once the handlers are in place: a parent that signals as soon as it reads this
  // line must reach them, not Node's default SIGTERM action (which exits without draining).
  process.stdout.write(`${JSON.stringify({ event: 'listening', id: server.id, port: server.port, url: server.url, ...dns })}\n`);
  return exitCode;
}

async function shutdown(server: NodeServer, how: 'drain' | 'close', deadlineMs: number | undefined, logger: Logger | undefined): Promise<number> {
  try {
    if (how === 'drain') await server.drain(deadlineMs === undefined ? undefined : { deadlineMs });
    await server.close();
    return 0;
  } catch (error) {
    logger?.error('shutdown failed', { error: error instanceof Error ? error.message : String(error) });
    return 1;
  }
}

export function serverOptions(options: NodeCommandOptions, logger: Logger | undefined): NodeServerOptions {
  const out: NodeServerOptions = { id: options.id, port: options.port, host: options.host, peers: options.peers };
  const secret = process.env.GRIDLINK_SECRET;
  if (secret !== undefined && secret !== '') out.secret = secret;
  const accepted = acceptedSecretsFrom(process.env);
  if (accepted !== undefined) out.acceptedSecrets = accepted;
  if (options.url !== undefined) out.url = options.url;
  if (options.peersFrom !== undefined) Object.assign(out, { peers: undefined, peersFrom: options.peersFrom, peersDnsServers: options.peersDnsServers });
  if (options.proxy !== undefined) out.proxy = options.proxy;
  if (options.trustedProxies !== undefined) out.trustedProxies = options.trustedProxies;
  if (options.heartbeat !== undefined) out.heartbeat = options.heartbeat;
  if (options.peerHeartbeat !== undefined) out.peerHeartbeat = options.peerHeartbeat;
  if (options.memberGraceMs !== undefined) out.memberGraceMs = options.memberGraceMs;
  if (options.settleMs !== undefined) out.settleMs = options.settleMs;
  if (options.maxJoinsPerSecond !== undefined) out.maxJoinsPerSecond = options.maxJoinsPerSecond;
  if (options.maxMetaBytes !== undefined) out.maxMetaBytes = options.maxMetaBytes;
  if (options.cloud !== undefined) out.cloud = options.cloud;
  if (options.dnsPort !== undefined) out.dnsPort = options.dnsPort;
  if (options.dnsHost !== undefined) out.dnsHost = options.dnsHost;
  if (options.dnsTtlSec !== undefined) out.dnsTtlSec = options.dnsTtlSec;
  if (options.address !== undefined) out.address = options.address;
  if (options.region !== undefined) out.region = options.region;
  if (options.subnets !== undefined) out.subnets = options.subnets;
  if (logger !== undefined) out.logger = logger;
  if (options.metrics !== undefined) out.metrics = metricsOption(options.metrics, process.env);
  if (options.publish !== undefined) out.publish = publishOption(options.publish, process.env);
  if (options.auth !== undefined) out.authenticate = nodeAuthenticator(options.auth, process.env, (file) => readFileSync(file, 'utf8'), logger);
  return out;
}

/**
 * The node's `authenticate` hook from the `--auth-…` flags, the key read from where they point.
 * A mistake is a usage error naming the flag, never quoting the key.
 */
export function nodeAuthenticator(auth: NodeAuthFlags, env: NodeJS.ProcessEnv, readFile: (file: string) => string, logger: Logger | undefined): JwtAuthenticator {
  const { options, flag } = jwtOptions(auth, env, readFile, logger);
  try {
    return jwtAuthenticator(options);
  } catch (error) {
    // Our checks name the option (`secret must be at least 32 bytes`); the user typed a flag.
    if (isGridlinkError(error)) throw new UsageError(`${flag}: ${error.message}`);
    throw error;
  }
}

function jwtOptions(auth: NodeAuthFlags, env: NodeJS.ProcessEnv, readFile: (file: string) => string, logger: Logger | undefined): { options: JwtAuthOptions; flag: string } {
  const out: JwtAuthOptions = {};
  let flag: string;
  switch (auth.key.kind) {
    case 'secret-env': {
      flag = '--auth-jwt-secret-env';
      const secret = env[auth.key.name];
      if (secret === undefined || secret === '') throw new UsageError(`${flag}: the environment variable it names is not set (or empty)`);
      out.secret = secret;
      break;
    }
    case 'public-key': {
      flag = '--auth-jwt-public-key';
      try {
        out.publicKey = readFile(auth.key.file);
      } catch (error) {
        throw new UsageError(`${flag}: cannot read '${auth.key.file}' (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
      }
      break;
    }
    case 'jwks-url':
      flag = '--auth-jwks-url';
      out.jwksUrl = auth.key.url;
      break;
  }
  if (auth.issuer !== undefined) out.issuer = auth.issuer;
  if (auth.audience !== undefined) out.audience = auth.audience;
  // Who was refused and why, never the token: enough to tell a clock or key problem from an attack.
  if (logger !== undefined) out.onReject = (rejection) => logger.info('client refused: token not accepted', { ...rejection });
  return { options: out, flag };
}
