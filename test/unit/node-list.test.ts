/**
 * The node list: URL normalization, the allow-list every advertised host is checked against, and the
 * merge rules for resolved (DNS) and advertised nodes, one entry per node id.
 */
import { describe, expect, it } from 'vitest';
import { hostOf, NodeList, normalizeUrl } from '../../src/resolve/node-list.js';
import { ConnectError, GridlinkError } from '../../src/core/errors.js';
import type { ResolvedNode } from '../../src/resolve/resolver.js';

const allow = { hosts: new Set(['10.0.0.7', '::1', 'single.example.org']), zones: ['cloud.example.com'] };
const list = (maxNodes = 64) => new NodeList(allow, maxNodes);
const n = (id: string, url: string) => ({ id, url });

/** A list for a cloud named by DNS (zone cloud.test) that records every change it reports. */
const cloud = () => {
  const changes: Array<{ source: string; ids: string[] }> = [];
  const list = new NodeList({ hosts: new Set(), zones: ['cloud.test'] }, 64, { onNodes: ({ nodes, source }) => void changes.push({ source, ids: nodes.map((n) => n.id) }) });
  return { list, changes };
};
const dnsNode = (id: string, port: number): ResolvedNode => ({ id, url: `ws://${id}.cloud.test:${port}/`, address: '127.0.0.1' });
const ipNode = (id: string, port: number) => ({ id, url: `ws://127.0.0.1:${port}/` });

describe('URL normalization', () => {
  it('normalizes scheme and host case, default ports and the empty path', () => {
    expect(normalizeUrl('WS://A.Cloud.Example.COM')).toBe('ws://a.cloud.example.com/');
    expect(normalizeUrl('ws://a.cloud.example.com:80/')).toBe('ws://a.cloud.example.com/');
    expect(normalizeUrl('wss://a.cloud.example.com:443/x')).toBe('wss://a.cloud.example.com/x');
    expect(hostOf('ws://[::1]:9000/')).toBe('::1');
    expect(hostOf('ws://A.Cloud.Example.com/')).toBe('a.cloud.example.com');
  });

  it('dedupes resolved nodes that differ only in spelling, keeping the first', () => {
    const nl = list();
    nl.setResolved([n('1', 'ws://A.cloud.example.com:80'), n('2', 'ws://a.cloud.example.com/'), n('3', 'ws://b.cloud.example.com/')]);
    expect(nl.all()).toEqual([n('1', 'ws://a.cloud.example.com/'), n('3', 'ws://b.cloud.example.com/')]);
  });
});

describe('NodeList merge rules', () => {
  it('lists resolved nodes first, then advertised ones not already listed', () => {
    const nl = list();
    nl.setResolved([n('r1', 'ws://r1.cloud.example.com/'), n('r2', 'ws://r2.cloud.example.com/')]);
    const change = nl.setAdvertised([n('a1', 'ws://a1.cloud.example.com/'), n('r2-id', 'ws://r2.cloud.example.com/')]);
    expect(nl.all().map((x) => x.url)).toEqual(['ws://r1.cloud.example.com/', 'ws://r2.cloud.example.com/', 'ws://a1.cloud.example.com/']);
    expect(change.added).toEqual([n('a1', 'ws://a1.cloud.example.com/')]);
    expect(change.deleted).toEqual([]);
    expect(change.refused).toEqual([]);
  });

  it('reports added and deleted on each update', () => {
    const nl = list();
    expect(nl.setResolved([n('1', 'ws://a.cloud.example.com/')]).added.map((x) => x.id)).toEqual(['1']);
    const change = nl.setResolved([n('2', 'ws://b.cloud.example.com/')]);
    expect(change.added.map((x) => x.id)).toEqual(['2']);
    expect(change.deleted.map((x) => x.id)).toEqual(['1']);
    expect(nl.setResolved([n('2', 'ws://b.cloud.example.com/')])).toEqual({ added: [], deleted: [], refused: [] });
  });

  it('refuses unusable resolver entries one by one instead of losing the whole answer', () => {
    const nl = list();
    const change = nl.setResolved([n('bad', 'not a url'), n('http', 'http://a.cloud.example.com/'), n('ok', 'ws://a.cloud.example.com/')]);
    expect(change.refused.map((e) => e.code)).toEqual(['GRIDLINK_NO_NODES', 'GRIDLINK_NO_NODES']);
    expect(nl.all().map((x) => x.id)).toEqual(['ok']);
  });

  it('refuses advertised foreign hosts with GRIDLINK_FOREIGN_NODE and never lists them', () => {
    const nl = list();
    nl.setResolved([n('r1', 'ws://r1.cloud.example.com/')]);
    const foreign = [
      n('x1', 'ws://evil.example.net/'),
      n('x2', 'ws://evilcloud.example.com/'),
      n('x3', 'ws://cloud.example.com.evil.net/'),
      n('x4', 'ws://cloud.example.com@evil.net/'),
      n('x5', 'http://a.cloud.example.com/'),
      n('x6', 'not a url'),
      n('x7', 'ws://10.0.0.8/'),
    ];
    const change = nl.setAdvertised([...foreign, n('ok', 'wss://ok.cloud.example.com/')]);
    expect(change.refused).toHaveLength(foreign.length);
    for (const error of change.refused) {
      expect(error).toBeInstanceOf(ConnectError);
      expect(error.code).toBe('GRIDLINK_FOREIGN_NODE');
    }
    expect(nl.all().map((x) => x.id)).toEqual(['r1', 'ok']);
    expect(change.added.map((x) => x.id)).toEqual(['ok']);
  });

  it('zones admit their sub-names and the zone itself, not look-alikes', () => {
    const nl = list();
    expect(nl.isAllowed('ws://a.cloud.example.com/')).toBe(true);
    expect(nl.isAllowed('wss://deep.a.cloud.example.com:9000/x')).toBe(true);
    expect(nl.isAllowed('ws://cloud.example.com/')).toBe(true);
    expect(nl.isAllowed('ws://A.CLOUD.EXAMPLE.COM/')).toBe(true);
    expect(nl.isAllowed('ws://evilcloud.example.com/')).toBe(false);
    expect(nl.isAllowed('ws://example.com/')).toBe(false);
    expect(nl.isAllowed('ws://a.cloud.example.com.evil.net/')).toBe(false);
  });

  it('hosts admit exact names and IP literals only', () => {
    const nl = list();
    expect(nl.isAllowed('ws://10.0.0.7:4000/')).toBe(true);
    expect(nl.isAllowed('ws://[::1]:4000/')).toBe(true);
    expect(nl.isAllowed('ws://single.example.org/')).toBe(true);
    expect(nl.isAllowed('ws://sub.single.example.org/')).toBe(false);
    expect(nl.isAllowed('ws://10.0.0.70/')).toBe(false);
  });

  it('caps the list at maxNodes', () => {
    const nl = list(3);
    nl.setResolved(Array.from({ length: 5 }, (_, i) => n(`r${i}`, `ws://r${i}.cloud.example.com/`)));
    expect(nl.all().map((x) => x.id)).toEqual(['r0', 'r1', 'r2']);
    nl.setAdvertised(Array.from({ length: 5 }, (_, i) => n(`a${i}`, `ws://a${i}.cloud.example.com/`)));
    expect(nl.all()).toHaveLength(3);

    const adv = list(2);
    adv.setAdvertised(Array.from({ length: 10 }, (_, i) => n(`a${i}`, `ws://a${i}.cloud.example.com/`)));
    expect(adv.all().map((x) => x.id)).toEqual(['a0', 'a1']);
  });

  it('learnId renames a node listed by URL', () => {
    const nl = list();
    nl.setResolved([n('ws://a.cloud.example.com/', 'ws://a.cloud.example.com/')]);
    nl.learnId('WS://A.cloud.example.com:80', 'node-a');
    expect(nl.all()).toEqual([n('node-a', 'ws://a.cloud.example.com/')]);
  });

  it('check() returns the node normalized or throws a retriable GRIDLINK_FOREIGN_NODE', () => {
    const nl = list();
    expect(nl.check(n('a', 'WS://A.cloud.example.com:80'), 'a redirect')).toEqual(n('a', 'ws://a.cloud.example.com/'));
    for (const url of ['http://a.cloud.example.com/', 'https://a.cloud.example.com/', 'file:///etc/passwd', 'ws://evil.net/']) {
      let error: unknown;
      try {
        nl.check(n('a', url), 'a redirect');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(GridlinkError);
      expect((error as GridlinkError).code).toBe('GRIDLINK_FOREIGN_NODE');
      expect((error as GridlinkError).retriable).toBe(true);
      expect((error as GridlinkError).message).toContain('a redirect');
    }
  });
});

describe('NodeList: merge by id', () => {
  it('a node named by DNS and advertised by IP is one node; the resolved entry (name, address, order) wins', () => {
    const { list } = cloud();
    list.setResolved([dnsNode('b', 7002), dnsNode('a', 7001)]);
    const change = list.setAdvertised([ipNode('a', 7001), ipNode('b', 7002), ipNode('c', 7003)]);
    expect(list.all()).toEqual([dnsNode('b', 7002), dnsNode('a', 7001), ipNode('c', 7003)]);
    expect(change.refused).toEqual([]);
    expect(change.added).toEqual([ipNode('c', 7003)]);
  });

  it('admits the IPs the resolver answered (the cloud vouches for them) and nothing else', () => {
    const { list } = cloud();
    expect(list.isAllowed('ws://127.0.0.1:7001/')).toBe(false);
    list.setResolved([dnsNode('a', 7001)]);
    expect(list.isAllowed('ws://127.0.0.1:7009/')).toBe(true);
    expect(list.isAllowed('ws://127.0.0.2:7001/')).toBe(false);
    const change = list.setAdvertised([ipNode('x', 7001), { id: 'evil', url: 'ws://10.6.6.6:7001/' }]);
    expect(change.refused.map((e) => e.code)).toEqual(['GRIDLINK_FOREIGN_NODE']);
  });

  it('forgets the oldest vouched-for addresses past 4 × maxNodes', () => {
    const list = new NodeList({ hosts: new Set(), zones: [] }, 1);
    for (let i = 1; i <= 5; i++) list.setResolved([{ id: `n${i}`, url: 'ws://n.cloud.test/', address: `10.0.0.${i}` }]);
    expect(list.isAllowed('ws://10.0.0.1/')).toBe(false);
    expect(list.isAllowed('ws://10.0.0.2/')).toBe(true);
    expect(list.isAllowed('ws://10.0.0.5/')).toBe(true);
  });

  it('check() maps a redirect target to the listed node of the same id (dialled by name and address)', () => {
    const { list } = cloud();
    list.setResolved([dnsNode('a', 7001), dnsNode('b', 7002)]);
    expect(list.check(ipNode('b', 7002), 'a redirect')).toEqual(dnsNode('b', 7002));
    expect(list.check({ id: 'z', url: 'ws://z.cloud.test:7009' }, 'a redirect')).toEqual({ id: 'z', url: 'ws://z.cloud.test:7009/' });
    expect(() => list.check({ id: 'b', url: 'ws://evil.example/' }, 'a redirect')).toThrow(/outside the configured cloud/);
  });

  it('several addresses behind one name (no SRV) stay separate nodes; learnId does not merge them', () => {
    const { list } = cloud();
    const url = 'wss://cloud.test/';
    list.setResolved([
      { id: '10.0.0.1', url, address: '10.0.0.1' },
      { id: '10.0.0.2', url, address: '10.0.0.2' },
    ]);
    list.learnId(url, 'a');
    expect(list.all().map((n) => n.address)).toEqual(['10.0.0.1', '10.0.0.2']);
  });

  it('reports changes of members or order, saying which side changed, and stays quiet otherwise', () => {
    const { list, changes } = cloud();
    list.setResolved([dnsNode('a', 1), dnsNode('b', 2)]);
    list.setResolved([dnsNode('a', 1), dnsNode('b', 2)]);
    list.setResolved([dnsNode('b', 2), dnsNode('a', 1)]);
    list.setAdvertised([ipNode('a', 1), ipNode('b', 2)]);
    list.setAdvertised([ipNode('a', 1), ipNode('b', 2), ipNode('c', 3)]);
    expect(changes).toEqual([
      { source: 'resolver', ids: ['a', 'b'] },
      { source: 'resolver', ids: ['b', 'a'] },
      { source: 'advertised', ids: ['b', 'a', 'c'] },
    ]);
  });

  it('refuses a resolver entry whose address is not an IP', () => {
    const { list } = cloud();
    const change = list.setResolved([{ id: 'a', url: 'ws://a.cloud.test/', address: 'evil.example' }, dnsNode('b', 2)]);
    expect(change.refused).toHaveLength(1);
    expect(list.all().map((n) => n.id)).toEqual(['b']);
  });
});

describe('repeated answers', () => {
  it('an answer equal to the last one changes nothing and reports nothing; a different one does', () => {
    const { list: nl, changes } = cloud();
    const answer = [dnsNode('a', 7001), dnsNode('b', 7002)];
    nl.setResolved(answer);
    expect(nl.setResolved(answer.map((node) => ({ ...node })))).toEqual({ added: [], deleted: [], refused: [] });
    nl.setAdvertised([ipNode('a', 7001), ipNode('c', 7003)]);
    expect(nl.setAdvertised([ipNode('a', 7001), ipNode('c', 7003)])).toEqual({ added: [], deleted: [], refused: [] });
    expect(changes.map((c) => c.source)).toEqual(['resolver', 'advertised']);
    const reordered = nl.setResolved([dnsNode('b', 7002), dnsNode('a', 7001)]);
    expect(reordered.refused).toEqual([]);
    expect(changes.at(-1)).toEqual({ source: 'resolver', ids: ['b', 'a', 'c'] });
    // Mutating the caller's array afterwards must not fool the comparison.
    const mutable = [dnsNode('d', 7004)];
    nl.setResolved(mutable);
    (mutable[0] as { url: string }).url = 'ws://e.cloud.test:7005/';
    expect(nl.setResolved(mutable).added.map((node) => node.id)).toEqual(['d']);
  });
});
