/**
 * The client's list of the cloud's nodes: what the resolver answered and what connected nodes
 * advertised, kept apart and merged with explicit rules. Entries are keyed by URL (a static list
 * gives URLs before any node has told us its id). Every advertised or redirected-to node is checked
 * against the cloud the client was configured for before it is accepted: a node cannot send a
 * client to a host outside its cloud.
 */
import { ConnectError, type GridlinkError } from '../core/errors.js';
import type { NodeInfo } from '../protocol/frames.js';

export interface NodeListChange {
  readonly added: NodeInfo[];
  readonly deleted: NodeInfo[];
}

export interface Allowlist {
  /** Exact host names (or IP literals) of the cloud. */
  readonly hosts: ReadonlySet<string>;
  /** Zones whose sub-names belong to the cloud (e.g. 'cloud.example.com'). */
  readonly zones: readonly string[];
}

export function normalizeUrl(url: string): string {
  return new URL(url).href;
}

export function hostOf(url: string): string {
  return new URL(url).hostname.toLowerCase().replace(/^\[|\]$/g, '');
}

export class NodeList {
  #resolved: NodeInfo[] = [];
  #advertised: NodeInfo[] = [];
  /** Ids learned from nodes themselves, by URL. */
  readonly #ids = new Map<string, string>();

  constructor(
    private readonly allow: Allowlist,
    private readonly maxNodes: number,
  ) {}

  isAllowed(url: string): boolean {
    let host: string;
    try {
      if (!/^wss?:$/.test(new URL(url).protocol)) return false;
      host = hostOf(url);
    } catch {
      return false;
    }
    if (this.allow.hosts.has(host)) return true;
    return this.allow.zones.some((zone) => host === zone || host.endsWith(`.${zone}`));
  }

  /** Throws `GRIDLINK_FOREIGN_NODE` unless `node` belongs to this cloud; returns it normalized. */
  check(node: NodeInfo, source: string): NodeInfo {
    if (!this.isAllowed(node.url)) {
      throw new ConnectError('GRIDLINK_FOREIGN_NODE', `${source} named ${node.url}, which is outside the configured cloud`, { retriable: true });
    }
    return { id: node.id, url: normalizeUrl(node.url) };
  }

  /**
   * Replaces the resolver's answer. The resolver is trusted to name the cloud (it was configured
   * by the caller), but each entry must still be a ws(s) URL; bad ones are returned, not thrown.
   */
  setResolved(nodes: readonly NodeInfo[]): NodeListChange & { refused: GridlinkError[] } {
    const before = this.all();
    const refused: GridlinkError[] = [];
    const accepted: NodeInfo[] = [];
    for (const node of nodes.slice(0, this.maxNodes)) {
      try {
        if (!/^wss?:$/.test(new URL(node.url).protocol)) throw new TypeError('not a ws:// or wss:// URL');
        accepted.push({ id: node.id, url: normalizeUrl(node.url) });
      } catch (cause) {
        refused.push(new ConnectError('GRIDLINK_NO_NODES', `the resolver answered an unusable node address: ${String(node.url).slice(0, 200)}`, { cause, retriable: true }));
      }
    }
    this.#resolved = dedupe(accepted);
    return { ...diff(before, this.all()), refused };
  }

  /** Accepts a connected node's list; returns the change and the entries it refused. */
  setAdvertised(nodes: readonly NodeInfo[]): NodeListChange & { refused: GridlinkError[] } {
    const before = this.all();
    const refused: GridlinkError[] = [];
    const accepted: NodeInfo[] = [];
    for (const node of nodes.slice(0, this.maxNodes)) {
      try {
        const checked = this.check(node, 'an advertised node list');
        this.#ids.set(checked.url, checked.id);
        accepted.push(checked);
      } catch (error) {
        refused.push(error as GridlinkError);
      }
    }
    this.#advertised = dedupe(accepted);
    return { ...diff(before, this.all()), refused };
  }

  /** Records the id a node gave for itself in its welcome. */
  learnId(url: string, id: string): void {
    this.#ids.set(normalizeUrl(url), id);
  }

  /** Resolved nodes first (the cloud's order), then advertised ones not already listed. */
  all(): NodeInfo[] {
    const seen = new Set<string>();
    const out: NodeInfo[] = [];
    for (const node of [...this.#resolved, ...this.#advertised]) {
      if (seen.has(node.url) || out.length >= this.maxNodes) continue;
      seen.add(node.url);
      out.push({ id: this.#ids.get(node.url) ?? node.id, url: node.url });
    }
    return out;
  }
}

function dedupe(nodes: NodeInfo[]): NodeInfo[] {
  const seen = new Set<string>();
  return nodes.filter((n) => !seen.has(n.url) && seen.add(n.url));
}

function diff(before: NodeInfo[], after: NodeInfo[]): NodeListChange {
  const had = new Set(before.map((n) => n.url));
  const has = new Set(after.map((n) => n.url));
  return { added: after.filter((n) => !had.has(n.url)), deleted: before.filter((n) => !has.has(n.url)) };
}
