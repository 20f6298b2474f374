/**
 * Argument helpers shared by the CLI commands and the node's own flags: strict parsing, typed values,
 * and one usage error.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { OptionsError } from '../core/errors.js';

/** A command line that cannot work; the CLI prints it with the usage text and exits with code 2. */
export class UsageError extends OptionsError {
  override name = 'UsageError';

  constructor(message: string) {
    super('GRIDLINK_INVALID_ARGUMENT', message);
  }
}

/** What a command's parser returns: run with these options, or print its help. */
export type Parsed<T> = { kind: 'help' } | { kind: 'run'; options: T };

export type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** `parseArgs` in strict mode, with its TypeErrors turned into usage errors. */
export function parseStrict(argv: string[], options: Options): Values {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    return values;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

export function stringValue(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export function stringList(values: Values, name: string): string[] {
  const value = values[name];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** An integer flag within [min, max], or undefined when absent. */
export function intValue(values: Values, name: string, min: number, max: number): number | undefined {
  const text = stringValue(values, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got '${text}'`);
  }
  return value;
}

/** A ws:// or wss:// URL flag, checked here so a typo fails before anything starts. */
export function wsUrl(name: string, text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--${name} must be a ws:// or wss:// URL, got '${text}'`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new UsageError(`--${name} must be a ws:// or wss:// URL, got '${text}'`);
  }
  return text;
}
