/** The node list's merge rules for resolved (DNS) and advertised nodes: one entry per node id. */
import { describe, expect, it } from 'vitest';
import { NodeList } from '../../src/resolve/node-list.js';
import type { ResolvedNode } from '../../src/resolve/resolver.js';

const cloud = () => {
  const changes: Array<{ source: string; ids: string[] }> = [];
  const list = new NodeList({ hosts: new Set(), zones: ['cloud.test'] }, 64, (nodes, source) => changes.push({ source, ids: nodes.map((n) => n.id) }));
  return { list, changes };
};
const dnsNode = (id: string, port: number): ResolvedNode => ({ id, url: `ws://${id}.cloud.test:${port}/`, address: '127.0.0.1' });
const ipNode = (id: string, port: number) => ({ id, url: `ws://127.0.0.1:${port}/` });

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
