/**
 * The client's list of the cloud's nodes: what the resolver answered and what connected nodes
 * advertised, kept apart and merged with explicit rules. Every advertised or redirected-to node is
 * checked against the cloud the client was configured for before it is accepted: a node cannot
 * send a client to a host outside its cloud.
 *
 * Merge rules:
 * - Resolved nodes come first, in the resolver's order; advertised ones follow.
 * - One entry per node: entries with the same URL (and dial address), or the same id, are one
 *   node, and the resolved entry wins. (DNS names a node `ws://a.cloud.test:7001/` and dials it by
 *   IP; the node itself advertises `ws://127.0.0.1:7001/`: same id, same node, and the name from
 *   the cloud's DNS is the one to keep.)
 * - A node's id as the node gave it (`learnId`, from its welcome) replaces the id of an entry
 *   listed by URL only (a static list). Entries with a dial address keep the id their resolver
 *   gave: several of them can share one URL (a cloud name with several A records).
 * - Allowed hosts: the configured names and zones, plus the IP addresses the resolver answered
 *   (the cloud's own DNS vouches for them), so a node advertising its IP URL is accepted.
 * - Behind a reverse proxy every node has the proxy's URL and a sticky `cookie` that routes to it:
 *   the same URL with different cookies is different nodes (`nodeKey`), and a URL that some entry
 *   names with a cookie is shared, so it identifies no node: an id learned for it is not applied
 *   (the proxy's bare URL stays "whichever node the proxy picks"), and it goes after the nodes
 *   named by cookie.
 */
import { ConnectError, type GridlinkError } from '../core/errors.js';
import { isCookiePair } from '../protocol/codec.js';
import type { NodeInfo } from '../protocol/frames.js';
import { internList, internNode, remember } from './intern.js';
import type { ResolvedNode } from './resolver.js';

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

type Source = 'resolver' | 'advertised';

/**
 * Told when the merged list changed (members or order); `source` is the side that changed. An
 * object (the client's helper), not a closure: a process may hold thousands of lists.
 */
export interface NodeListListener {
  onNodes(event: { readonly nodes: ResolvedNode[]; readonly source: Source }): void;
}

interface ParsedUrl {
  readonly href: string;
  readonly protocol: string;
  readonly host: string;
}

/**
 * URLs parsed lately. A cloud has a handful of node URLs, and every welcome, redirect and round
 * names them again: a crowd of clients migrating at once would parse the same few strings
 * thousands of times. Bounded (intern.ts); parsing is pure, so a hit is the same answer. Throws
 * as `URL` does.
 */
function parseUrl(url: string): ParsedUrl {
  return remember(`u${url}`, () => {
    const u = new URL(url);
    return { href: u.href, protocol: u.protocol, host: u.hostname.toLowerCase().replace(/^\[|\]$/g, '') };
  });
}

export function normalizeUrl(url: string): string {
  return parseUrl(url).href;
}

export function hostOf(url: string): string {
  return parseUrl(url).host;
}

/**
 * What tells two entries apart everywhere a node is keyed (cooldown, dedupe, the connector's
 * preferred node): the URL, plus the sticky cookie when the node sits behind a proxy.
 */
export function nodeKey(node: NodeInfo): string {
  return node.cookie === undefined ? node.url : `${node.url} cookie:${node.cookie}`;
}

const keyOf = (node: ResolvedNode): string => `${nodeKey(node)} ${node.address ?? ''}`;

/** The shared copy (intern.ts) of `node` with only the fields a list entry carries, `url` normalized. */
function entry(node: NodeInfo, url: string, address?: string): ResolvedNode {
  return internNode({ id: node.id, url, cookie: node.cookie, address });
}
const ADDRESS = /^[0-9a-f.:]{2,45}$/i;

export class NodeList {
  /**
   * Each side's entries, kept apart: the resolver's answer and what connected nodes advertised.
   * Every list here is a shared copy (intern.ts): clients of one cloud hold the same few nodes.
   */
  readonly #lists: Record<Source, readonly ResolvedNode[]> = { resolver: [], advertised: [] };
  /** Ids learned from nodes themselves, by URL; made by the first (memory per idle client). */
  #ids: Map<string, string> | undefined;
  /** IP addresses the resolver answered; oldest forgotten first past the cap. Made by the first. */
  #addresses: Set<string> | undefined;
  /**
   * The last answers taken, as given: a resolver repeats itself (a static list, a cached answer)
   * and nodes advertise the same list in every welcome, and a crowd of migrating clients must not
   * re-parse every URL each time. Taking the same answer again could change nothing: the list, its
   * order and what it trusts depend only on the answers and the learned ids (learnId).
   */
  readonly #last: Partial<Record<Source, readonly ResolvedNode[]>> = {};
  /** The merged list as all() last built it; dropped whenever an input changes. */
  #merged: readonly ResolvedNode[] | undefined;

  readonly #allow: Allowlist;
  readonly #maxNodes: number;
  readonly #onChange?: NodeListListener;

  constructor(
    allow: Allowlist,
    maxNodes: number,
    onChange?: NodeListListener,
  ) {
    this.#allow = allow;
    this.#maxNodes = maxNodes;
    this.#onChange = onChange;
  }

  isAllowed(url: string): boolean {
    let host: string;
    try {
      const { protocol, host: parsedHost } = parseUrl(url);
      if (!/^wss?:$/.test(protocol)) return false;
      host = parsedHost;
    } catch {
      return false;
    }
    if (this.#allow.hosts.has(host) || this.#addresses?.has(host) === true) return true;
    return this.#allow.zones.some((zone) => host === zone || host.endsWith(`.${zone}`));
  }

  /**
   * Throws `GRIDLINK_FOREIGN_NODE` unless `node` belongs to this cloud. Returns the listed entry
   * for that node (same id) when there is one — so a redirect to `b` dials `b` as the resolver
   * named it — and `node` normalized otherwise.
   */
  check(node: NodeInfo, source: string): ResolvedNode {
    if (!this.isAllowed(node.url)) throw foreign(node, source);
    return this.all().find((listed) => listed.id === node.id) ?? entry(node, normalizeUrl(node.url));
  }

  /**
   * Replaces the resolver's answer. The resolver is trusted to name the cloud (it was configured
   * by the caller), but each entry must still be a ws(s) URL; bad ones are returned, not thrown.
   */
  setResolved(nodes: readonly ResolvedNode[]): NodeListChange & { refused: GridlinkError[] } {
    return this.#take('resolver', nodes, (node) => {
      try {
        if (!/^wss?:$/.test(parseUrl(node.url).protocol)) throw new TypeError('not a ws:// or wss:// URL');
        if (node.address !== undefined && !(typeof node.address === 'string' && ADDRESS.test(node.address))) throw new TypeError('not an IP address');
        const url = normalizeUrl(node.url);
        if (node.cookie !== undefined && !isCookiePair(node.cookie)) throw new TypeError('not a name=value cookie pair');
        if (node.address === undefined) return entry(node, url);
        const address = node.address.toLowerCase();
        this.#trust(address);
        return entry(node, url, address);
      } catch (cause) {
        throw new ConnectError('GRIDLINK_NO_NODES', `the resolver answered an unusable node address: ${String(node.url).slice(0, 200)}`, { cause, retriable: true });
      }
    });
  }

  /** Accepts a connected node's list; returns the change and the entries it refused. */
  setAdvertised(nodes: readonly NodeInfo[]): NodeListChange & { refused: GridlinkError[] } {
    return this.#take('advertised', nodes, (node) => {
      if (!this.isAllowed(node.url)) throw foreign(node, 'an advertised node list');
      const checked = entry(node, normalizeUrl(node.url));
      if (checked.cookie === undefined) (this.#ids ??= new Map()).set(checked.url, checked.id);
      return checked;
    });
  }

  /** One side's new answer: each entry as `accept` lists it, or refused with the error it throws. */
  #take(source: Source, nodes: readonly ResolvedNode[], accept: (node: ResolvedNode) => ResolvedNode): NodeListChange & { refused: GridlinkError[] } {
    // Shared copies are one object per value: the same answer again is the same list.
    const given = internList(nodes);
    if (given === this.#last[source]) return { added: [], deleted: [], refused: [] };
    this.#last[source] = given;
    const before = this.all();
    const refused: GridlinkError[] = [];
    const accepted: ResolvedNode[] = [];
    for (const node of nodes.slice(0, this.#maxNodes)) {
      try {
        accepted.push(accept(node));
      } catch (error) {
        refused.push(error as GridlinkError);
      }
    }
    this.#lists[source] = internList(dedupe(accepted));
    this.#merged = undefined;
    return { ...this.#report(before, source), refused };
  }

  /** Records the id a node gave for itself in its welcome. */
  learnId(url: string, id: string): void {
    if (this.#ids?.get(url) === id) return; // known, under its normalized URL (as the list dials it)
    (this.#ids ??= new Map()).set(normalizeUrl(url), id);
    this.#merged = undefined;
  }

  /** Resolved nodes first (the cloud's order), then advertised ones that are not the same node. */
  all(): ResolvedNode[] {
    // Built once per change, not per call: every connection round and every redirect asks.
    this.#merged ??= this.#merge();
    return this.#merged.slice();
  }

  #merge(): readonly ResolvedNode[] {
    const keys = new Set<string>();
    const ids = new Set<string>();
    const out: ResolvedNode[] = [];
    const all = [...this.#lists.resolver, ...this.#lists.advertised];
    const shared = new Set(all.filter((node) => node.cookie !== undefined).map((node) => node.url));
    for (const node of all) {
      if (out.length >= this.#maxNodes) break;
      const address = (node as ResolvedNode).address;
      const learned = address === undefined && node.cookie === undefined && !shared.has(node.url) ? this.#ids?.get(node.url) : undefined;
      const listed = entry({ ...node, id: learned ?? node.id }, node.url, address);
      if (keys.has(keyOf(listed)) || ids.has(listed.id)) continue;
      keys.add(keyOf(listed));
      ids.add(listed.id);
      out.push(listed);
    }
    // Once the nodes behind a proxy are known by cookie, the bare proxy URL ("whichever backend the
    // proxy picks, with whatever cookie the jar holds", possibly a dead one's) is the fallback.
    const bare = (node: ResolvedNode): boolean => node.cookie === undefined && shared.has(node.url);
    return internList([...out.filter((node) => !bare(node)), ...out.filter(bare)]);
  }

  #trust(address: string): void {
    const addresses = (this.#addresses ??= new Set());
    addresses.delete(address);
    addresses.add(address);
    // Bounded: a resolver answering ever new addresses cannot grow this without end.
    if (addresses.size > this.#maxNodes * 4) addresses.delete(addresses.values().next().value as string);
  }

  #report(before: ResolvedNode[], source: Source): NodeListChange {
    const after = this.all();
    const change = diff(before, after);
    const same = before.length === after.length && before.every((n, i) => keyOf(n) === keyOf(after[i] as ResolvedNode) && n.id === after[i]?.id);
    if (!same) this.#onChange?.onNodes({ nodes: after, source });
    return change;
  }
}

function foreign(node: NodeInfo, source: string): GridlinkError {
  return new ConnectError('GRIDLINK_FOREIGN_NODE', `${source} named ${node.url}, which is outside the configured cloud`, { retriable: true });
}

function dedupe<T extends ResolvedNode>(nodes: readonly T[]): T[] {
  const seen = new Set<string>();
  return nodes.filter((n) => !seen.has(keyOf(n)) && seen.add(keyOf(n)));
}

function diff(before: ResolvedNode[], after: ResolvedNode[]): NodeListChange {
  const had = new Set(before.map(keyOf));
  const has = new Set(after.map(keyOf));
  return { added: after.filter((n) => !had.has(keyOf(n))), deleted: before.filter((n) => !has.has(keyOf(n))) };
}
