import { describe, expect, it } from 'vitest';
import { internList, internNode } from '../../src/resolve/intern.js';
import { NodeList } from '../../src/resolve/node-list.js';
import { staticResolver } from '../../src/resolve/resolver.js';

// Memory per idle client (issue 12): equal node entries and lists are one frozen object.
describe('shared node entries and lists', () => {
  it('gives equal entries one frozen copy with only the node fields', () => {
    const a = internNode({ id: 'a', url: 'ws://a/', extra: 1 } as { id: string; url: string });
    const b = internNode({ id: 'a', url: 'ws://a/' });
    expect(a).toBe(b);
    expect(a).toEqual({ id: 'a', url: 'ws://a/' });
    expect(Object.isFrozen(a)).toBe(true);
  });

  it('tells entries apart by every field, an absent one from any string', () => {
    const plain = internNode({ id: 'a', url: 'ws://a/' });
    expect(internNode({ id: 'a', url: 'ws://a/', cookie: 'S=1' })).not.toBe(plain);
    expect(internNode({ id: 'a', url: 'ws://a/', address: '10.0.0.1' })).not.toBe(plain);
    expect(internNode({ id: 'a', url: 'ws://b/' })).not.toBe(plain);
    expect(internNode({ id: 'a', url: 'ws://a/', cookie: 'null' })).toEqual({ id: 'a', url: 'ws://a/', cookie: 'null' });
  });

  it('tells entries and lists apart whatever their fields hold, and a list from an entry', () => {
    const plain = internNode({ id: 'a', url: 'ws://a/' });
    expect(internNode({ id: 'a', url: 'ws://a/', cookie: '' })).not.toBe(plain); // empty is not absent
    const split = internNode({ id: 'a\nws://a/', url: '' });
    expect(split).not.toBe(plain);
    expect(split).toEqual({ id: 'a\nws://a/', url: '' });
    expect(internNode({ id: 'a\r', url: 'ws://a/' })).toEqual({ id: 'a\r', url: 'ws://a/' });
    // A list of one entry is not taken for an entry, nor an entry for a list.
    const list = internList([{ id: 'x', url: 'ws://x/' }]);
    const lookalike = internNode({ id: 'l', url: 'ws://x/' });
    expect(Array.isArray(list)).toBe(true);
    expect(lookalike).toEqual({ id: 'l', url: 'ws://x/' });
    // Two entries cannot pass for one whose fields hold what separates them.
    const pair = internList([{ id: 'p', url: 'ws://p/\r' }, { id: 'q', url: 'ws://q/' }]);
    expect(internList([{ id: 'p', url: 'ws://p/\r"],["q","ws://q/' }])).not.toBe(pair);
    expect(pair.map((n) => n.id)).toEqual(['p', 'q']);
    expect(internList([{ id: 'p', url: 'ws://p/\r' }, { id: 'q', url: 'ws://q/' }])).toBe(pair);
  });

  it('returns a shared copy or list as it is', () => {
    const list = internList([{ id: 'a', url: 'ws://a/' }]);
    expect(internList(list)).toBe(list);
    expect(internNode(list[0]!)).toBe(list[0]);
  });

  it('gives equal lists one frozen array of shared entries, in order', () => {
    const one = internList([{ id: 'a', url: 'ws://a/' }, { id: 'b', url: 'ws://b/' }]);
    expect(internList([{ id: 'a', url: 'ws://a/' }, { id: 'b', url: 'ws://b/' }])).toBe(one);
    expect(internList([{ id: 'b', url: 'ws://b/' }, { id: 'a', url: 'ws://a/' }])).not.toBe(one);
    expect(Object.isFrozen(one)).toBe(true);
    expect(one[0]).toBe(internNode({ id: 'a', url: 'ws://a/' }));
  });

  it('lets clients of one cloud share their static answer and node list', async () => {
    const nodes = [{ id: 'n1', url: 'ws://n1.cloud.test/' }];
    const first = await staticResolver(nodes).resolve(new AbortController().signal);
    const second = await staticResolver([{ ...nodes[0]! }]).resolve(new AbortController().signal);
    expect(second).toBe(first);
    const allow = { hosts: new Set<string>(), zones: ['cloud.test'] };
    const a = new NodeList(allow, 64);
    const b = new NodeList(allow, 64);
    a.setResolved(first);
    b.setResolved(second);
    expect(a.all()[0]).toBe(b.all()[0]);
  });

  it('takes a repeated answer as no change, and a changed one as a change', () => {
    const changes: string[][] = [];
    const list = new NodeList({ hosts: new Set(), zones: ['cloud.test'] }, 64, { onNodes: ({ nodes }) => void changes.push(nodes.map((n) => n.id)) });
    list.setResolved([{ id: 'a', url: 'ws://a.cloud.test/' }]);
    expect(list.setResolved([{ id: 'a', url: 'ws://a.cloud.test/' }])).toEqual({ added: [], deleted: [], refused: [] });
    list.setResolved([{ id: 'b', url: 'ws://b.cloud.test/' }]);
    expect(changes).toEqual([['a'], ['b']]);
  });
});
