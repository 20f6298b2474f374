/**
 * The CLI's log format: one JSON object per line on stderr, so that a parent (the local cloud) can
 * forward a child node's records to its own logger at the right level instead of as raw text.
 */
import { redact, type Logger } from '../core/logger.js';

type Level = keyof Logger;
const LEVELS: readonly Level[] = ['debug', 'info', 'warn', 'error'];

interface LogRecord {
  level: Level;
  message: string;
  fields?: Record<string, unknown>;
}

/** A logger writing JSON lines to `stream` (stderr), fields redacted. */
export function jsonLinesLogger(stream: NodeJS.WritableStream, base: Record<string, unknown> = {}): Logger {
  const write =
    (level: Level) =>
    (message: string, fields?: Record<string, unknown>): void => {
      const record: LogRecord = { level, message, fields: { ...base, ...redact(fields) } };
      try {
        stream.write(`${JSON.stringify(record)}\n`);
      } catch {
        // Unserialisable fields or a closed stream must not take the node down.
      }
    };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

/**
 * Forwards one line a child wrote to stderr. A record from `jsonLinesLogger` keeps its level; any
 * other text (a crash's stack trace) is a warning, since a healthy node writes only records.
 */
export function forwardLogLine(line: string, logger: Logger, fields: Record<string, unknown>): void {
  const record = parseRecord(line);
  if (record === undefined) {
    if (line.trim() !== '') logger.warn(line, fields);
    return;
  }
  logger[record.level](record.message, { ...record.fields, ...fields });
}

function parseRecord(line: string): LogRecord | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    if (typeof value !== 'object' || value === null) return undefined;
    const { level, message, fields } = value as Record<string, unknown>;
    if (typeof message !== 'string' || !LEVELS.includes(level as Level)) return undefined;
    const record: LogRecord = { level: level as Level, message };
    if (typeof fields === 'object' && fields !== null) record.fields = fields as Record<string, unknown>;
    return record;
  } catch {
    return undefined;
  }
}
