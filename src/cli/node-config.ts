/**
 * `gridlink node --config node.yaml`: the node's flags written down as a YAML file.
 *
 * One rule maps flags to keys: a key is its flag's name without the dashes (`--dns-port 5353` is
 * `dns-port: 5353`), and a flag that repeats takes a list (`peer: [b=ws://…, c=ws://…]`, or one value).
 * The file becomes the same values object the flag parser produces, so one validation serves both;
 * a flag given on the command line replaces the file's key whole (a `--peer` replaces the file's list,
 * it does not add to it), because "the command line wins" is easier to reason about than a merge.
 *
 * The cloud's secret never goes in the file: a config file is copied, committed and pasted into
 * tickets. It stays in GRIDLINK_SECRET, as on the command line.
 */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { suggestKey } from '../core/suggest.js';
import { UsageError, type Options, type Values } from '../process/args.js';

/** Flags that make no sense inside the file they would name or replace. */
const NOT_IN_FILE = new Set(['config', 'help']);

// Keys that hold a secret (or look like someone tried to put one here); `auth-jwt-secret-env` names
// a variable, not a secret, and is a flag like any other.
const SECRET_KEY = /secret|password|passwd/i;

/** The file's text, or a usage error naming it: a missing file is a typo, not a crash. */
export function readConfigFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--config: cannot read '${file}' (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}

/**
 * The file's keys as the values `parseStrict` would give for the same flags, each checked for its
 * shape (string, list, boolean) and named in the error. Pure: the caller reads the file.
 */
export function configValues(text: string, file: string, options: Options): Values {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  const problem = doc.errors[0];
  if (problem !== undefined) throw new UsageError(`${file}: not valid YAML: ${problem.message.split('\n')[0] ?? ''}`);
  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) throw new UsageError(`${file}: must be a mapping of keys to values (key: value lines)`);
  const known = Object.keys(options).filter((name) => !NOT_IN_FILE.has(name));
  const values: Values = {};
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    const option = NOT_IN_FILE.has(key) ? undefined : options[key];
    if (option === undefined) throw new UsageError(unknownKey(file, key, known));
    values[key] = fileValue(file, key, value, option.type, option.multiple === true);
  }
  return values;
}

function unknownKey(file: string, key: string, known: string[]): string {
  // The value is never echoed: a key we do not know may be holding a secret.
  if (SECRET_KEY.test(key)) {
    return `${file}: key '${key}': a secret does not go in the config file; the cloud's secret comes from the GRIDLINK_SECRET environment variable (a JWT key: name its variable with auth-jwt-secret-env)`;
  }
  if (NOT_IN_FILE.has(key)) return `${file}: key '${key}' is a command-line flag only`;
  const hint = suggestKey(key, known);
  return `${file}: unknown key '${key.slice(0, 64)}'${hint === undefined ? '' : ` (did you mean '${hint}'?)`}; a key is its flag's name without --`;
}

function fileValue(file: string, key: string, value: unknown, type: 'string' | 'boolean', multiple: boolean): Values[string] {
  if (type === 'boolean') {
    if (typeof value !== 'boolean') throw new UsageError(`${file}: key '${key}' must be true or false, got ${kindOf(value)}`);
    return value;
  }
  if (multiple) {
    const items = Array.isArray(value) ? value : [value];
    return items.map((item) => scalar(file, key, item, true));
  }
  return scalar(file, key, value, false);
}

/** A string key also takes a YAML number (`port: 7001`): the flag's own check then reads it as text. */
function scalar(file: string, key: string, value: unknown, inList: boolean): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  const what = inList ? 'a list of strings (or one string)' : 'a string or a number';
  throw new UsageError(`${file}: key '${key}' must be ${what}, got ${kindOf(value)}`);
}

function kindOf(value: unknown): string {
  if (value === null || value === undefined) return 'no value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value}`;
}

/**
 * Runs `parse` on the file's values under the flags' (flags win, key by key) and rewrites its usage
 * error to name the file's key when the flag it is about came from the file: "node.yaml: key 'port'
 * must be an integer…", not a `--port` the user never typed.
 */
export function withConfigFile<T>(file: string, fileValues: Values, flags: Values, parse: (values: Values) => T): T {
  const merged: Values = { ...fileValues };
  for (const [name, value] of Object.entries(flags)) if (value !== undefined) merged[name] = value;
  try {
    return parse(merged);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    const subject = /^--([a-z0-9-]+)/.exec(error.message)?.[1];
    if (subject === undefined || fileValues[subject] === undefined || flags[subject] !== undefined) throw error;
    throw new UsageError(`${file}: key '${subject}'${error.message.slice(subject.length + 2)}`);
  }
}
