/**
 * The layering of src/, checked on the source itself: each folder imports only the folders below it
 * (resolve → choose → dial → link → session → client on the client side; the server kit shares only
 * core/ and protocol/ with it), and no file imports itself through a cycle. A move that breaks the
 * house's shape fails here, with the offending import named.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(__dirname, '../../src');

const CLIENT_LAYERS = ['core', 'protocol', 'platform', 'resolve', 'choose', 'dial', 'link', 'session', 'client'];
const below = (folder: string): string[] => CLIENT_LAYERS.slice(0, CLIENT_LAYERS.indexOf(folder));

/** What each folder (or entry file at the root) may import, besides itself. */
const ALLOWED: Record<string, readonly string[]> = {
  ...Object.fromEntries(CLIENT_LAYERS.map((folder) => [folder, below(folder)])),
  // The node process's command-line contract, shared by the CLI and the local cloud.
  process: ['core'],
  // Node only. Whatever both sides must agree on (frames, placement, cookies) lives in protocol/.
  server: ['core', 'protocol'],
  cloud: ['core', 'protocol', 'process', 'server'],
  cli: ['core', 'protocol', 'platform', 'resolve', 'choose', 'dial', 'client', 'process', 'server', 'cloud', 'node.ts'],
  'index.ts': CLIENT_LAYERS,
  'node.ts': [...CLIENT_LAYERS, 'index.ts'],
  'browser-core.ts': [...CLIENT_LAYERS, 'index.ts'],
  'browser.ts': [...CLIENT_LAYERS, 'browser-core.ts'],
  'browser-full.ts': [...CLIENT_LAYERS, 'browser.ts'],
  'server.ts': ['core', 'protocol', 'server', 'cloud'],
  'cli.ts': ['cli'],
};

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Relative imports of each file, as paths under src/ (type-only imports included). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const text = fs.readFileSync(file, 'utf8');
    const targets = [...text.matchAll(/(?:\bfrom|\bimport\()\s*'(\.{1,2}\/[^']+)'/g)].map((match) =>
      path.relative(SRC, path.resolve(path.dirname(file), match[1]!.replace(/\.js$/, '.ts'))),
    );
    graph.set(path.relative(SRC, file), targets);
  }
  return graph;
}

const folderOf = (file: string): string => file.split(path.sep)[0]!;

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

describe('source layering', () => {
  const graph = importGraph();

  it('finds the files it checks (the walk itself works)', () => {
    expect(graph.size).toBeGreaterThan(100);
    expect(graph.get(path.join('session', 'session.ts'))).toContain(path.join('link', 'link.ts'));
  });

  it('every folder imports only the folders below it', () => {
    const upward: string[] = [];
    for (const [file, targets] of graph) {
      const from = folderOf(file);
      const allowed = ALLOWED[from];
      expect(allowed, `no layering rule for src/${from}`).toBeDefined();
      for (const target of targets) {
        const to = folderOf(target);
        if (to !== from && !allowed!.includes(to)) upward.push(`${file} -> ${target}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('no file reaches itself through its imports', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('the cycle finder finds a planted cycle (it can fail)', () => {
    const planted = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(cycles(planted)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });
});
