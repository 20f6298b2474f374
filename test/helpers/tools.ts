/**
 * System tools some tests drive for real (dig, dnsmasq, …). `scripts/system-deps.sh` installs them
 * before `npm test`. Under CI=true a missing tool fails the run; elsewhere the tests that need it are
 * skipped, and the reason is in the suite's name so nobody mistakes a skip for a pass.
 */
import { spawnSync } from 'node:child_process';

export function hasTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/** True if `name` is installed; throws under CI=true if it is not. */
export function requireTool(name: string): boolean {
  if (hasTool(name)) return true;
  if (process.env.CI === 'true') throw new Error(`${name} is required under CI=true (run scripts/system-deps.sh)`);
  return false;
}

/** A suite name that says when (and why) the suite was skipped. */
export function needing(name: string, title: string): string {
  return hasTool(name) ? title : `${title} [SKIPPED: ${name} is not installed; run scripts/system-deps.sh]`;
}
