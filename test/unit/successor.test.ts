import { describe, expect, it } from 'vitest';
import { successorOf } from '../../src/choose/successor.js';
import { rendezvousOwner } from '../../src/protocol/rendezvous.js';

const nodes = ['a', 'b', 'c', 'd'].map((id) => ({ id, url: `ws://${id}.test/` }));

describe('successorOf', () => {
  it("names the node the cloud's placement picks once the host is gone", () => {
    for (let i = 0; i < 500; i++) {
      const session = `room-${i}`;
      const host = rendezvousOwner(session, nodes, (n) => n.id)!.id;
      const next = successorOf(session, nodes, host);
      expect(next?.id).not.toBe(host);
      expect(next).toBe(rendezvousOwner(session, nodes.filter((n) => n.id !== host), (n) => n.id));
    }
  });

  it('has no answer when the host is the only node', () => {
    expect(successorOf('room', [nodes[0]!], 'a')).toBeUndefined();
    expect(successorOf('room', [], 'a')).toBeUndefined();
  });
});
