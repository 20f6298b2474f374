/**
 * `to`, requests and shared state on the session host (routing.ts, shared-state.ts), with fake
 * links and fake timers: a targeted message goes whole to its target and as a stub (same from and
 * seq, no data) to everyone else, so confirmations work unchanged; a message to a non-member is
 * refused; a shared write is ordered once and reaches everyone (its writer too), a replay is not
 * applied twice; a joiner's copy is merged and the others corrected; `left` says what the leaver had.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { decodeNodeFrame, extendNodeDecoding, isProtocolId } from '../../src/protocol/codec.js';
import { nodeExtrasDecoder } from '../../src/protocol/codec-ext.js';
import { PROTOCOL_VERSION, type HelloFrame, type MsgFrame, type NodeFrame, type WelcomeFrame } from '../../src/protocol/frames.js';
import { SessionHost, type MemberLink, type WelcomeParts } from '../../src/server/sessions/session-host.js';

class FakeLink implements MemberLink {
  readonly frames: NodeFrame[] = [];
  send(frame: NodeFrame, text?: string): void {
    // What the member decodes: the text when the host encoded one (stubs and full frames differ).
    this.frames.push(text === undefined ? frame : decodeNodeFrame(text, { maxFrameBytes: 1 << 20 }));
  }
  close(): void {}
  take(): NodeFrame[] {
    return this.frames.splice(0).filter((f) => f.t !== 'welcome' && f.t !== 'joined' && f.t !== 'acked');
  }
}

let host: SessionHost;
let welcomes: WelcomeParts[];
const welcome = (parts: WelcomeParts): WelcomeFrame => {
  welcomes.push(parts);
  return { t: 'welcome', v: PROTOCOL_VERSION, node: { id: 'n', url: 'ws://n.test/' }, session: 's', client: 'x', resume: 'r', nodes: [], heartbeat: { intervalMs: 1000, timeoutMs: 5000 }, members: parts.members, base: parts.base };
};
/** A client with the `extras` piece says so with `shared` in its hello. */
const hello = (client: string, extra: Partial<HelloFrame> = {}): HelloFrame => ({ t: 'hello', v: PROTOCOL_VERSION, session: 's', client, recv: {}, members: [], sent: 0, shared: {}, ...extra });
function join(client: string, extra: Partial<HelloFrame> = {}): FakeLink {
  const link = new FakeLink();
  expect(host.join(link, hello(client, extra), welcome)).toEqual({ kind: 'joined' });
  return link;
}
const to = (seq: number, target: string, d: string, more: Partial<MsgFrame> = {}): MsgFrame => ({ t: 'msg', seq, to: target, d, ...more });

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(1_000_000);
  extendNodeDecoding(nodeExtrasDecoder(isProtocolId));
  welcomes = [];
  host = new SessionHost({ settleMs: 0, memberGraceMs: 5000, logger: silentLogger, verifyResume: () => true, verifiesForeignTokens: false, maxSharedKeys: 3, maxSharedBytes: 100 });
});
afterEach(() => {
  host.stop();
  vi.useRealTimers();
});

describe('targeted messages on the host', () => {
  it('the target gets the message, every other member a stub with the same seq; acks count the stubs', () => {
    const ann = join('ann');
    const bob = join('bob');
    const cy = join('cy');
    ann.take();
    host.relay(ann, to(1, 'bob', 'secret'));
    host.relay(ann, { t: 'msg', seq: 2, d: 'all' });
    expect(bob.take()).toEqual([{ t: 'msg', from: 'ann', seq: 1, to: 'bob', d: 'secret' }, { t: 'msg', from: 'ann', seq: 2, d: 'all' }]);
    expect(cy.take()).toEqual([{ t: 'msg', from: 'ann', seq: 1, to: 'bob', d: '' }, { t: 'msg', from: 'ann', seq: 2, d: 'all' }]);
    host.ack(bob, { t: 'ack', recv: { ann: 2 } });
    expect(ann.frames).toEqual([]);
    host.ack(cy, { t: 'ack', recv: { ann: 2 } });
    expect(ann.frames).toEqual([{ t: 'acked', upTo: 2 }]);
  });

  it('requests and replies keep their ids; a request to a member without the piece is refused NO_HANDLER; to a non-member MEMBER_LEFT', () => {
    const ann = join('ann');
    const bob = join('bob');
    const old = join('old', { shared: undefined });
    host.relay(ann, to(1, 'bob', 'q', { q: 7 }));
    host.relay(bob, to(1, 'ann', 'r', { r: 7, e: 'APP_X' }));
    expect(bob.take()).toEqual([{ t: 'msg', from: 'ann', seq: 1, to: 'bob', q: 7, d: 'q' }]);
    expect(ann.take()).toEqual([{ t: 'msg', from: 'bob', seq: 1, to: 'ann', r: 7, e: 'APP_X', d: 'r' }]);
    expect(old.take()).toEqual([{ t: 'msg', from: 'ann', seq: 1, to: 'bob', d: '' }, { t: 'msg', from: 'bob', seq: 1, to: 'ann', d: '' }]);
    host.relay(ann, to(2, 'old', 'q', { q: 8 }));
    host.relay(ann, to(3, 'ghost', 'x'));
    expect(ann.take()).toEqual([{ t: 'refused', seq: 2, code: 'GRIDLINK_NO_HANDLER' }, { t: 'refused', seq: 3, code: 'GRIDLINK_MEMBER_LEFT' }]);
    // Still whole for everyone else: stubs.
    expect(bob.take()).toEqual([{ t: 'msg', from: 'ann', seq: 2, to: 'old', d: '' }, { t: 'msg', from: 'ann', seq: 3, to: 'ghost', d: '' }]);
    old.take();
    // A member without the piece is never sent a frame it does not know.
    host.relay(old, to(1, 'ghost', 'x'));
    expect(old.take()).toEqual([]);
  });

  it('a volatile message `to` one member goes to it alone, with no stubs (it has no place in an order)', () => {
    const ann = join('ann');
    const bob = join('bob');
    const cy = join('cy');
    ann.take();
    bob.take();
    cy.take();
    host.relay(ann, { t: 'msg', to: 'bob', d: 'psst' });
    expect(bob.take()).toEqual([{ t: 'msg', from: 'ann', to: 'bob', d: 'psst' }]);
    expect(cy.take()).toEqual([]);
    host.relay(ann, { t: 'msg', to: 'ghost', d: 'lost' });
    expect(ann.take()).toEqual([]);
  });

  it('left says, to each member, what the leaver had delivered of its messages', () => {
    const ann = join('ann');
    const bob = join('bob');
    const cy = join('cy');
    host.relay(ann, to(1, 'bob', 'a'));
    host.relay(cy, to(1, 'bob', 'c'));
    host.ack(bob, { t: 'ack', recv: { ann: 1 } });
    ann.take();
    cy.take();
    host.bye(bob);
    expect(ann.take()).toEqual([{ t: 'left', client: 'bob', reason: 'bye', had: 1 }]);
    expect(cy.take()).toEqual([{ t: 'left', client: 'bob', reason: 'bye', had: 0 }]);
  });
});

describe('shared state on the host', () => {
  it('a write is ordered and reaches every member, its writer too; a member without the piece gets a stub', () => {
    const ann = join('ann');
    const bob = join('bob');
    const old = join('old', { shared: undefined });
    host.relay(ann, { t: 'msg', seq: 1, k: 'owner', d: '"ann"' });
    const ordered = { t: 'shared', k: 'owner', v: 1_000_000, val: 'ann', from: 'ann', seq: 1 };
    expect(ann.take()).toEqual([ordered]);
    expect(bob.take()).toEqual([ordered]);
    expect(old.take()).toEqual([{ t: 'msg', from: 'ann', seq: 1, to: 'ann', d: '' }]);
    host.relay(bob, { t: 'msg', seq: 1, k: 'owner', d: '' });
    expect(ann.take()).toEqual([{ t: 'shared', k: 'owner', v: 1_000_001, from: 'bob', seq: 1 }]);
  });

  it('a replay (a member already has it, or this host applied it) is not applied again: stubs only', () => {
    const ann = join('ann');
    const bob = join('bob');
    host.relay(ann, { t: 'msg', seq: 1, k: 'a', d: '1' });
    host.relay(bob, { t: 'msg', seq: 1, k: 'a', d: '2' });
    ann.take();
    bob.take();
    host.relay(ann, { t: 'msg', seq: 1, k: 'a', d: '1' }); // ann replays after a reconnect
    expect(ann.take()).toEqual([]);
    expect(bob.take()).toEqual([{ t: 'msg', from: 'ann', seq: 1, to: 'ann', d: '' }]);
    // A new host: bob reports having delivered ann's seq 2, so her replay of it is not applied.
    host.stop();
    host = new SessionHost({ settleMs: 0, memberGraceMs: 5000, logger: silentLogger, verifyResume: () => true, verifiesForeignTokens: false });
    const bob2 = join('bob', { recv: { ann: 2 }, members: ['ann'], shared: { a: [1_000_002, 3] } });
    const ann2 = join('ann', { sent: 3, members: ['bob'], shared: { a: [1_000_001, 2] } });
    host.relay(ann2, { t: 'msg', seq: 2, k: 'a', d: '3' });
    host.relay(ann2, { t: 'msg', seq: 3, k: 'b', d: '4' });
    expect(welcomes.at(-1)?.shared).toEqual({ a: [1_000_002, 3] });
    expect(bob2.take()).toEqual([{ t: 'msg', from: 'ann', seq: 2, to: 'ann', d: '' }, { t: 'shared', k: 'b', v: 1_000_003, val: 4, from: 'ann', seq: 3 }]);
  });

  it('a member that never heard the writer (its start is the host\'s assumption, not a report) does not make a write count as applied', () => {
    const ann = join('ann', { sent: 5, members: ['bob'] }); // on a new host, her seq 5 never applied before
    join('zed'); // brand new: starts after ann's position 5 without having delivered anything
    host.relay(ann, { t: 'msg', seq: 5, k: 'a', d: '1' });
    expect(ann.take()).toEqual([{ t: 'shared', k: 'a', v: 1_000_000, val: 1, from: 'ann', seq: 5 }]);
  });

  it('a joiner\'s copy is merged: newer keys correct the others, older ones lose; the joiner\'s welcome has the whole map', () => {
    const ann = join('ann', { shared: { x: [5, 'old'], y: [9, 'ann'] } });
    expect(welcomes.at(-1)?.shared).toEqual({ x: [5, 'old'], y: [9, 'ann'] });
    join('bob', { shared: { x: [7, 'new'], y: [8, 'bob'], z: [3] } });
    expect(ann.take()).toEqual([{ t: 'shared', k: 'x', v: 7, val: 'new' }, { t: 'shared', k: 'z', v: 3 }]);
    expect(welcomes.at(-1)?.shared).toEqual({ x: [7, 'new'], y: [9, 'ann'], z: [3] });
    expect(welcomes.at(-1)?.sharedLimits).toEqual({ keys: 3, bytes: 100 });
  });

  it('past the bounds a write is refused to its writer and stubbed for the others; the oldest tombstone makes room first', () => {
    const ann = join('ann');
    const bob = join('bob');
    for (const [seq, k, d] of [[1, 'a', '1'], [2, 'b', ''], [3, 'c', '1']] as const) host.relay(ann, { t: 'msg', seq, k, d });
    ann.take();
    bob.take();
    host.relay(ann, { t: 'msg', seq: 4, k: 'd', d: '1' });
    expect(bob.take()).toEqual([{ t: 'shared', k: 'd', v: 1_000_003, val: 1, from: 'ann', seq: 4 }, { t: 'shared', k: 'b' }]);
    host.relay(ann, { t: 'msg', seq: 5, k: 'e', d: '1' });
    host.relay(ann, { t: 'msg', seq: 6, k: 'a', d: JSON.stringify('x'.repeat(100)) });
    expect(ann.take()).toEqual([
      { t: 'shared', k: 'd', v: 1_000_003, val: 1, from: 'ann', seq: 4 },
      { t: 'shared', k: 'b' },
      { t: 'refused', seq: 5, code: 'GRIDLINK_SHARED_TOO_LARGE' },
      { t: 'refused', seq: 6, code: 'GRIDLINK_SHARED_TOO_LARGE' },
    ]);
    expect(bob.take()).toEqual([{ t: 'msg', from: 'ann', seq: 5, to: 'ann', d: '' }, { t: 'msg', from: 'ann', seq: 6, to: 'ann', d: '' }]);
  });

  it('the map lives as long as the session: gone once its last member is removed after its grace period', () => {
    const ann = join('ann');
    host.relay(ann, { t: 'msg', seq: 1, k: 'a', d: '1' });
    host.detach(ann);
    vi.advanceTimersByTime(5000);
    expect(host.sessionIds()).toEqual([]);
    join('ann');
    expect(welcomes.at(-1)?.shared).toEqual({});
  });
});
