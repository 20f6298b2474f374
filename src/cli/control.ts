/**
 * The control channel between the local cloud and a child node: JSON lines on the child's stdin.
 * It exists because a signal carries no data (a drain deadline) and because stdin closing is the one
 * notice a child gets when its parent was SIGKILLed.
 */
import { createInterface } from 'node:readline';

export function listenForControl(onDrain: (command: { deadlineMs?: number }) => void, onParentGone: () => void): void {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  lines.on('line', (line) => {
    const command = parseControl(line);
    if (command !== undefined) onDrain(command);
  });
  lines.on('close', onParentGone);
}

/** A drain control line, or undefined for anything else (ignored: the channel is internal). */
export function parseControl(line: string): { deadlineMs?: number } | undefined {
  try {
    const value: unknown = JSON.parse(line);
    if (typeof value !== 'object' || value === null) return undefined;
    const { cmd, deadlineMs } = value as Record<string, unknown>;
    if (cmd !== 'drain') return undefined;
    const valid = typeof deadlineMs === 'number' && Number.isFinite(deadlineMs) && deadlineMs >= 0;
    return valid ? { deadlineMs } : {};
  } catch {
    return undefined;
  }
}

