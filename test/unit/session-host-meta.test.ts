/**
 * Member meta on the node: a joiner's hello meta reaches the others in `joined` and later joiners in
 * the welcome's `meta`; a `meta` frame is relayed to the others only; after a migration the new
 * host learns each member's meta from its hello, and a placeholder (not arrived yet) is left out of
 * the welcome rather than named with a null it never said. And what `flush()` waits for: the `acked`
 * watermark rises when a member that held the sender back leaves, or its grace period ends.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { PROTOCOL_VERSION, type HelloFrame, type NodeFrame, type WelcomeFrame } from '../../src/protocol/frames.js';
import { SessionHost, type MemberLink, type WelcomeParts } from '../../src/server/sessions/session-host.js';

class FakeLink implements MemberLink {
  readonly frames: NodeFrame[] = [];
  send(frame: NodeFrame): void {
    this.frames.push(frame);
  }
  close(): void {}
  take(): NodeFrame[] {
    return this.frames.splice(0);
  }
}

let host: SessionHost;
const welcome = (parts: WelcomeParts): WelcomeFrame => ({
  t: 'welcome', v: PROTOCOL_VERSION, node: { id: 'n', url: 'ws://n.test/' }, session: 's', client: 'x', resume: 'r', nodes: [],
  heartbeat: { intervalMs: 1000, timeoutMs: 5000 }, members: parts.members, base: parts.base, meta: parts.metas,
});
const hello = (client: string, extra: Partial<HelloFrame> = {}): HelloFrame => ({ t: 'hello', v: PROTOCOL_VERSION, session: 's', client, recv: {}, members: [], sent: 0, ...extra });
function join(client: string, extra: Partial<HelloFrame> = {}): FakeLink {
  const link = new FakeLink();
  expect(host.join(link, hello(client, extra), welcome)).toEqual({ kind: 'joined' });
  return link;
}
const metaOf = (frames: NodeFrame[]) => frames.map((f) => (f.t === 'welcome' ? { t: 'welcome', members: f.members, meta: f.meta } : f));

beforeEach(() => {
  vi.useFakeTimers();
  host = new SessionHost({ settleMs: 0, memberGraceMs: 5000, logger: silentLogger, verifyResume: () => true, verifiesForeignTokens: false });
});
afterEach(() => {
  host.stop();
  vi.useRealTimers();
});

describe('member meta on the session host', () => {
  it('hello meta goes out in joined and in later welcomes; a meta frame reaches the others only', () => {
    const ann = join('ann', { meta: { name: 'Ann' } });
    const bob = join('bob');
    expect(metaOf(ann.take())).toEqual([{ t: 'welcome', members: [], meta: {} }, { t: 'joined', client: 'bob', base: 0 }]);
    expect(metaOf(bob.take())).toEqual([{ t: 'welcome', members: ['ann'], meta: { ann: { name: 'Ann' } } }]);
    host.meta(bob, { name: 'Bob' });
    expect(ann.take()).toEqual([{ t: 'meta', client: 'bob', meta: { name: 'Bob' } }]);
    expect(bob.take()).toEqual([]);
    const cy = join('cy', { meta: 'C' });
    expect(metaOf(cy.take())[0]).toEqual({ t: 'welcome', members: ['ann', 'bob'], meta: { ann: { name: 'Ann' }, bob: { name: 'Bob' } } });
    expect(ann.take()).toEqual([{ t: 'joined', client: 'cy', base: 0, meta: 'C' }]);
  });

  it('after a migration: a member announced but not arrived is left out of the welcome meta; its joined brings its meta', () => {
    const ann = join('ann', { meta: 'A', members: ['bob'], via: 'old' });
    // bob is expected (a placeholder): listed, but with no meta it never said here
    expect(metaOf(ann.take())[0]).toEqual({ t: 'welcome', members: ['bob'], meta: {} });
    const bob = join('bob', { meta: 'B', members: ['ann'], via: 'old' });
    expect(metaOf(bob.take())[0]).toEqual({ t: 'welcome', members: ['ann'], meta: { ann: 'A' } });
    expect(ann.take().filter((f) => f.t === 'joined')).toEqual([{ t: 'joined', client: 'bob', base: 0, meta: 'B' }]);
  });

  it('a member replacing its own link with a different meta: the others get a meta frame, not a joined', () => {
    const ann = join('ann');
    join('bob', { meta: 1 });
    ann.take();
    join('bob', { meta: 2 });
    expect(ann.take().filter((f) => f.t === 'meta' || f.t === 'joined')).toEqual([{ t: 'meta', client: 'bob', meta: 2 }]);
  });

  it('a meta the server gave (authenticate) is in its own welcome too, and its meta frames change nothing', () => {
    const ann = join('ann');
    const bob = new FakeLink();
    expect(host.join(bob, hello('bob', { meta: 'claimed' }), welcome, true)).toEqual({ kind: 'joined' });
    ann.take();
    expect(metaOf(bob.take())[0]).toEqual({ t: 'welcome', members: ['ann'], meta: { ann: null, bob: 'claimed' } });
    host.meta(bob, 'changed');
    expect(ann.take()).toEqual([]);
  });
});

describe("what flush waits for: the acked watermark when a member leaves", () => {
  it('a member that never confirmed and then leaves (bye) no longer holds the sender: acked rises at once', () => {
    const ann = join('ann');
    const bob = join('bob');
    const cy = join('cy');
    ann.take();
    host.relay(ann, { t: 'msg', seq: 1, d: 'x' });
    host.ack(bob, { t: 'ack', recv: { ann: 1 } });
    expect(ann.take().filter((f) => f.t === 'acked')).toEqual([]); // cy has not confirmed
    host.bye(cy);
    expect(ann.take().filter((f) => f.t === 'acked')).toEqual([{ t: 'acked', upTo: 1 }]);
  });

  it('one that drops holds the sender for its grace period, then acked rises', () => {
    const ann = join('ann');
    const bob = join('bob');
    ann.take();
    host.relay(ann, { t: 'msg', seq: 1, d: 'x' });
    host.detach(bob);
    vi.advanceTimersByTime(4999);
    expect(ann.take().filter((f) => f.t === 'acked')).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(ann.take().filter((f) => f.t === 'acked')).toEqual([{ t: 'acked', upTo: 1 }]);
  });
});
