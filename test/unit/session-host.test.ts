/**
 * The session host with fake member links and fake timers: each test drives joins, relays, acks
 * and leaves and asserts the exact frames every member's link received, in order.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { CloseCode, PROTOCOL_VERSION, type HelloFrame, type NodeFrame, type WelcomeFrame } from '../../src/protocol/frames.js';
import { decodeNodeFrame } from '../../src/protocol/codec.js';
import { SessionHost, type MemberLink, type SessionHostOptions, type WelcomeParts } from '../../src/server/sessions/session-host.js';

class FakeLink implements MemberLink {
  readonly frames: NodeFrame[] = [];
  /** The encoded text each frame came with, when the host encoded it. */
  readonly texts: (string | undefined)[] = [];
  closed: { code: number; reason: string } | undefined;
  send(frame: NodeFrame, text?: string): void {
    this.frames.push(frame);
    this.texts.push(text);
  }
  close(code: number, reason: string): void {
    this.closed = { code, reason };
  }
  /** What arrived since the last call; a welcome shows only what the session host decided. */
  take(): unknown[] {
    return this.frames.splice(0).map((f) => (f.t === 'welcome' ? { t: 'welcome', members: f.members, base: f.base, want: f.want } : f));
  }
}

const GRACE = 5000;
const STALL = 10_000;

let host: SessionHost;
let ended: string[];

function makeHost(extra: Partial<SessionHostOptions> = {}): SessionHost {
  ended = [];
  host = new SessionHost({
    settleMs: 0,
    memberGraceMs: GRACE,
    stallMs: STALL,
    logger: silentLogger,
    // A test token is `token-of-<client>` and, when issued by a welcome here, `#<generation>`.
    verifyResume: (token, _session, client) => token !== undefined && new RegExp(`^token-of-${client}(#\\d+)?$`).test(token),
    resumeStamp: (token) => (token?.includes('#') === true ? Number(token.split('#')[1]) : undefined),
    onSessionEnded: (session) => ended.push(session),
    ...extra,
  });
  return host;
}

const welcome = (parts: WelcomeParts): WelcomeFrame => ({
  t: 'welcome',
  v: PROTOCOL_VERSION,
  node: { id: 'n', url: 'ws://n.test/' },
  session: 's',
  client: 'x',
  resume: 'r',
  nodes: [],
  heartbeat: { intervalMs: 1000, timeoutMs: 5000 },
  members: parts.members,
  base: parts.base,
  ...(parts.want === undefined ? {} : { want: parts.want }),
});

const hello = (client: string, extra: Partial<HelloFrame> = {}): HelloFrame => ({ t: 'hello', v: PROTOCOL_VERSION, session: 's', client, recv: {}, members: [], sent: 0, ...extra });

/** The token each client's last welcome carried; generations rise across the whole test. */
const tokens = new Map<string, string>();
let generation = 0;
const welcomeFor = (client: string) => (parts: WelcomeParts): WelcomeFrame => {
  const resume = `token-of-${client}#${++generation}`;
  tokens.set(client, resume);
  return { ...welcome(parts), resume };
};

function join(client: string, extra: Partial<HelloFrame> = {}): FakeLink {
  const link = new FakeLink();
  expect(host.join(link, hello(client, extra), welcomeFor(client))).toEqual({ kind: 'joined' });
  return link;
}

/** Back with the token of its last welcome, as the SDK does. */
const rejoin = (client: string, extra: Partial<HelloFrame> = {}): FakeLink => join(client, { resume: tokens.get(client), ...extra });

const msg = (seq: number) => ({ t: 'msg' as const, seq, d: `m${seq}` });
const relayed = (from: string, seq: number) => ({ t: 'msg', from, seq, d: `m${seq}` });

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  host.stop();
  vi.useRealTimers();
});

describe('SessionHost', () => {
  it('join: the joiner hears its welcome first, the others hear joined with where it stands', () => {
    makeHost();
    const alice = join('alice', { sent: 3 });
    // Alone, alice has delivered to everyone there is, up to where she stands.
    expect(alice.take()).toEqual([{ t: 'welcome', members: [], base: {}, want: undefined }, { t: 'acked', upTo: 3 }]);
    const bob = join('bob');
    expect(bob.take()).toEqual([{ t: 'welcome', members: ['alice'], base: { alice: 3 }, want: undefined }]);
    expect(alice.take()).toEqual([{ t: 'joined', client: 'bob', base: 0 }]);
    expect(host.stats()).toEqual({ sessions: 1, members: 2, relayed: 0 });
  });

  it('relay and ack: acked goes to the sender only when every other member confirmed, and only when it rises', () => {
    makeHost();
    const alice = join('alice');
    const bob = join('bob');
    const carol = join('carol');
    for (const l of [alice, bob, carol]) l.take();
    host.relay(alice, msg(1));
    host.relay(alice, msg(2));
    expect(bob.take()).toEqual([relayed('alice', 1), relayed('alice', 2)]);
    expect(carol.take()).toEqual([relayed('alice', 1), relayed('alice', 2)]);
    host.ack(bob, { t: 'ack', recv: { alice: 2 } });
    expect(alice.take()).toEqual([]); // carol has not confirmed
    host.ack(carol, { t: 'ack', recv: { alice: 1 } });
    expect(alice.take()).toEqual([{ t: 'acked', upTo: 1 }]);
    host.ack(carol, { t: 'ack', recv: { alice: 1 } }); // no rise
    host.ack(bob, { t: 'ack', recv: { alice: 1 } }); // watermarks never fall
    expect(alice.take()).toEqual([]);
    host.ack(carol, { t: 'ack', recv: { alice: 2 } });
    expect(alice.take()).toEqual([{ t: 'acked', upTo: 2 }]);
    expect(host.stats().relayed).toBe(2);
  });

  it('relay hands every member the encoded frame, the payload passed on as it arrived', () => {
    makeHost();
    const alice = join('alice');
    const bob = join('bob');
    const carol = join('carol');
    for (const l of [alice, bob, carol]) l.take();
    bob.texts.length = 0;
    carol.texts.length = 0;
    host.relay(alice, { t: 'msg', seq: 1, d: 'aA' }, '"a\\u0041"');
    host.relay(alice, { t: 'msg', d: 'QQ==', b: 1 });
    expect(bob.take()).toEqual([
      { t: 'msg', from: 'alice', seq: 1, d: 'aA' },
      { t: 'msg', from: 'alice', d: 'QQ==', b: 1 },
    ]);
    expect(bob.texts).toEqual(['{"t":"msg","from":"alice","seq":1,"d":"a\\u0041"}', '{"t":"msg","from":"alice","d":"QQ==","b":1}']);
    expect(carol.texts).toEqual(bob.texts);
    for (const text of bob.texts) expect(decodeNodeFrame(text as string, { maxFrameBytes: 65_536 })).toEqual(JSON.parse(text as string));
  });

  it('a sender alone has its messages acknowledged as it sends them', () => {
    makeHost();
    const alice = join('alice');
    alice.take();
    host.relay(alice, msg(1));
    host.relay(alice, { t: 'msg', d: 'volatile' });
    expect(alice.take()).toEqual([{ t: 'acked', upTo: 1 }]);
  });

  it('a placeholder announced by a migrating member blocks acks until it arrives and reports', () => {
    makeHost({ settleMs: 300 });
    const alice = join('alice', { members: ['bob'], resume: 'token-of-alice' });
    expect(alice.take()).toEqual([{ t: 'welcome', members: ['bob'], base: {}, want: undefined }]);
    host.relay(alice, msg(1));
    host.relay(alice, msg(2));
    vi.advanceTimersByTime(300); // settled; bob still holds alice back
    expect(alice.take()).toEqual([]);
    const bob = join('bob', { recv: { alice: 1 }, resume: 'token-of-bob' });
    expect(bob.take()).toEqual([{ t: 'welcome', members: ['alice'], base: {}, want: undefined }]);
    // Bob is told nothing of alice's past; alice replays what bob lacks, then learns what he has.
    expect(alice.take()).toEqual([{ t: 'joined', client: 'bob', base: 0 }, { t: 'resend', from: 2 }, { t: 'acked', upTo: 1 }]);
  });

  it('a placeholder that never comes is removed after the grace period, and stops blocking', () => {
    makeHost({ settleMs: 300, stallMs: GRACE * 2 });
    const alice = join('alice', { members: ['bob'], resume: 'token-of-alice' });
    host.relay(alice, msg(1));
    alice.take();
    vi.advanceTimersByTime(GRACE - 1);
    expect(alice.take()).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(alice.take()).toEqual([{ t: 'left', client: 'bob', reason: 'timeout' }, { t: 'acked', upTo: 1 }]);
  });

  it('a lost member is kept for the grace period, then removed with left timeout', () => {
    makeHost();
    const alice = join('alice');
    const bob = join('bob');
    alice.take();
    host.detach(bob);
    vi.advanceTimersByTime(GRACE - 1);
    expect(alice.take()).toEqual([]);
    expect(host.stats().members).toBe(2);
    vi.advanceTimersByTime(1);
    expect(alice.take()).toEqual([{ t: 'left', client: 'bob', reason: 'timeout', had: 0 }]);
    expect(host.stats().members).toBe(1);
  });

  it('a member back within the grace period stays; the old grace timer cannot remove it later', () => {
    makeHost();
    const alice = join('alice');
    const bob = join('bob');
    alice.take();
    host.detach(bob);
    vi.advanceTimersByTime(GRACE - 10);
    const bob2 = rejoin('bob', { recv: { alice: 0 } });
    expect(bob2.take()).toEqual([{ t: 'welcome', members: ['alice'], base: {}, want: 1 }]);
    expect(alice.take()).toEqual([{ t: 'joined', client: 'bob', base: 0 }, { t: 'resend', from: 1 }]);
    vi.advanceTimersByTime(GRACE * 3);
    expect(alice.take()).toEqual([]);
    expect(host.stats().members).toBe(2);
  });

  it('rejoin while attached: refused without the resume token; with it, the new link replaces the old', () => {
    makeHost();
    const alice = join('alice');
    const bob = join('bob');
    alice.take();
    bob.take();
    const intruder = new FakeLink();
    expect(host.join(intruder, hello('bob'), welcome)).toEqual({ kind: 'rejected', message: 'resume token required' });
    expect(intruder.take()).toEqual([]);
    const bob2 = rejoin('bob', { recv: { alice: 0 } });
    expect(bob2.take()).toEqual([{ t: 'welcome', members: ['alice'], base: {}, want: 1 }]);
    expect(bob.closed).toEqual({ code: CloseCode.replaced, reason: 'replaced by a newer link' });
    // Not a newcomer: alice hears no joined, only the replay bob asked for.
    expect(alice.take()).toEqual([{ t: 'resend', from: 1 }]);
    // The replaced link is no longer bob's: what it says is ignored.
    host.relay(bob, msg(1));
    host.bye(bob);
    expect(alice.take()).toEqual([]);
    host.relay(bob2, msg(1));
    expect(alice.take()).toEqual([relayed('bob', 1)]);
  });

  it('replay: a rejoining sender is told the lowest seq a member still wants', () => {
    makeHost();
    const alice = join('alice');
    const bob = join('bob');
    for (const seq of [1, 2, 3]) host.relay(alice, msg(seq));
    host.ack(bob, { t: 'ack', recv: { alice: 2 } });
    host.detach(alice);
    const alice2 = rejoin('alice', { sent: 3 });
    // She replays from 3 (bob has 1..2), and hears again, on her new link, what is confirmed.
    expect(alice2.take()).toEqual([{ t: 'welcome', members: ['bob'], base: { bob: 0 }, want: 3 }, { t: 'acked', upTo: 2 }]);
  });

  it('gap: a sender that lost messages has every other attached member told', () => {
    makeHost();
    const alice = join('alice');
    const bob = join('bob');
    const carol = join('carol');
    bob.take();
    carol.take();
    host.detach(carol);
    host.gap(alice, 4);
    expect(bob.take()).toEqual([{ t: 'gap', from: 'alice', upTo: 4 }]);
    expect(carol.take()).toEqual([]);
    expect(alice.take().filter((f) => (f as NodeFrame).t === 'gap')).toEqual([]);
  });

  it('stall: a member that confirms nothing while behind is cut after stallMs; progress restarts the clock', () => {
    makeHost();
    const alice = join('alice');
    const bob = join('bob');
    host.relay(alice, msg(1));
    host.relay(alice, msg(2));
    vi.advanceTimersByTime(STALL / 2);
    host.ack(bob, { t: 'ack', recv: { alice: 1 } }); // progress, still behind
    vi.advanceTimersByTime(STALL - 1000);
    expect(bob.closed).toBeUndefined();
    vi.advanceTimersByTime(1000);
    expect(bob.closed).toEqual({ code: CloseCode.tryAgainLater, reason: 'not confirming' });
  });

  it('stall: a member that is caught up is never cut, however long it stays quiet', () => {
    makeHost();
    const alice = join('alice');
    const bob = join('bob');
    host.relay(alice, msg(1));
    host.ack(bob, { t: 'ack', recv: { alice: 1 } });
    vi.advanceTimersByTime(STALL * 5);
    expect(bob.closed).toBeUndefined();
    expect(alice.closed).toBeUndefined();
  });

  it('settling: a session arriving by migration acknowledges nothing until settleMs passed', () => {
    makeHost({ settleMs: 300 });
    const alice = join('alice', { via: 'old' });
    host.relay(alice, msg(1));
    vi.advanceTimersByTime(299);
    expect(alice.take()).toEqual([{ t: 'welcome', members: [], base: {}, want: undefined }]);
    vi.advanceTimersByTime(1);
    expect(alice.take()).toEqual([{ t: 'acked', upTo: 1 }]);
  });

  it("a replaced link's late close changes nothing: the member stays on its newer link and is never timed out", () => {
    makeHost();
    const alice = join('alice');
    const bob = join('bob');
    const bob2 = rejoin('bob');
    for (const l of [alice, bob, bob2]) l.take();
    host.detach(bob);
    vi.advanceTimersByTime(GRACE * 2);
    expect(alice.take()).toEqual([]);
    expect(host.stats().members).toBe(2);
    host.relay(alice, msg(1));
    expect(bob2.take()).toEqual([relayed('alice', 1)]);
  });

  it('settling: a session that ends while settling cannot settle a later session under the same id early', () => {
    makeHost({ settleMs: 300 });
    const first = join('alice', { via: 'old' });
    host.bye(first);
    expect(ended).toEqual(['s']);
    vi.advanceTimersByTime(200);
    const alice = join('alice', { via: 'old' });
    host.relay(alice, msg(1));
    alice.take();
    vi.advanceTimersByTime(299); // past the first session's settling, not yet this one's
    expect(alice.take()).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(alice.take()).toEqual([{ t: 'acked', upTo: 1 }]);
  });

  it('bye: removed at once with left bye; the last one out ends the session', () => {
    makeHost();
    const alice = join('alice');
    const bob = join('bob');
    host.relay(alice, msg(1));
    alice.take();
    host.bye(bob);
    // Bob no longer holds alice's acks back.
    expect(alice.take()).toEqual([{ t: 'left', client: 'bob', reason: 'bye', had: 0 }, { t: 'acked', upTo: 1 }]);
    expect(ended).toEqual([]);
    host.bye(alice);
    expect(ended).toEqual(['s']);
    expect(host.sessionIds()).toEqual([]);
  });

  it('evict: attached links are handed to move, detached ones are forgotten, nobody hears left', () => {
    makeHost();
    const alice = join('alice');
    const bob = join('bob');
    const carol = join('carol');
    host.detach(carol);
    for (const l of [alice, bob, carol]) l.take();
    const moved: MemberLink[] = [];
    host.evict('s', (link) => moved.push(link));
    expect(moved).toEqual([alice, bob]);
    expect(ended).toEqual(['s']);
    vi.advanceTimersByTime(GRACE * 2);
    expect([...alice.take(), ...bob.take()]).toEqual([]);
  });
});

describe('SessionHost: counters for the node metrics', () => {
  it('counts relays, a session arriving by migration, and one handed over by evict; a shutdown is no migration', () => {
    makeHost();
    const alice = join('alice');
    join('bob');
    host.relay(alice, { t: 'msg', seq: 1, d: 'one' });
    host.relay(alice, { t: 'msg', d: 'volatile' });
    expect(host.counters()).toEqual({ relayed: 2, migratedIn: 0, migratedOut: 0 });
    host.evict('s', () => {});
    expect(host.counters()).toEqual({ relayed: 2, migratedIn: 0, migratedOut: 1 });
    // A member moving here from another node (`via`) brings the session with it.
    join('carol', { via: 'other-node' });
    expect(host.counters().migratedIn).toBe(1);
    host.stop();
    expect(host.counters().migratedOut).toBe(1);
  });
});

describe('SessionHost: identity cannot be borrowed', () => {
  const refuse = (client: string, extra: Partial<HelloFrame> = {}) => host.join(new FakeLink(), hello(client, extra), welcomeFor(client));
  const REQUIRED = { kind: 'rejected', message: 'resume token required' };

  it('a detached member (in grace) is taken only with its token; a stranger hears the same as for an attached one', () => {
    makeHost();
    const alice = join('alice');
    const bob = join('bob');
    host.relay(alice, msg(1));
    host.detach(bob);
    expect(refuse('bob')).toEqual(REQUIRED);
    expect(refuse('bob', { resume: 'token-of-carol#99' })).toEqual(REQUIRED);
    expect(refuse('alice')).toEqual(REQUIRED); // attached: the very same answer
    const bob2 = rejoin('bob', { recv: { alice: 0 } });
    expect(bob2.take()[0]).toMatchObject({ t: 'welcome', members: ['alice'] });
  });

  it('a placeholder is claimed only with a token; without shared secrets (verifiesForeignTokens false) it is open', () => {
    makeHost({ settleMs: 300 });
    join('alice', { members: ['bob'] });
    expect(refuse('bob')).toEqual(REQUIRED);
    join('bob', { resume: 'token-of-bob' }); // issued by another node of the cloud
    makeHost({ settleMs: 300, verifiesForeignTokens: false });
    join('alice', { members: ['bob'] });
    join('bob');
    expect(refuse('alice')).toEqual(REQUIRED); // a member welcomed here still needs its token
  });

  it('one token, one holder: once the member used a newer token, an older one is refused', () => {
    makeHost();
    join('alice');
    const bob = join('bob');
    const first = tokens.get('bob');
    host.detach(bob);
    const bob2 = rejoin('bob'); // welcomed with a newer token...
    host.ack(bob2, { t: 'ack', recv: {} }); // ...which it has (its link speaks after the welcome)
    host.detach(bob2);
    expect(refuse('bob', { resume: first })).toEqual(REQUIRED);
    rejoin('bob');
  });

  it('a welcome that never arrived does not lock the member out: its previous token still works until the new one is used', () => {
    makeHost();
    join('alice');
    const bob = join('bob');
    const first = tokens.get('bob');
    host.detach(bob);
    const lost = rejoin('bob');
    host.detach(lost); // its welcome (and token) never reached bob
    join('bob', { resume: first });
  });

  it('a brand-new id joins freely, but not beyond maxMembers', () => {
    makeHost({ maxMembers: 2 });
    join('alice');
    join('bob');
    expect(refuse('carol')).toEqual({ kind: 'rejected', message: 'session is full' });
  });
});

describe('SessionHost: a hello claims only so much', () => {
  it('announces at most maxClaimedMembers placeholders, and never past maxMembers', () => {
    makeHost({ maxMembers: 10, maxClaimedMembers: 3 });
    const alice = join('alice', { members: ['alice', 'g1', 'g2', 'g3', 'g4', 'g5'] });
    expect(alice.take()[0]).toMatchObject({ members: ['g1', 'g2', 'g3'] });
    join('bob', { members: Array.from({ length: 20 }, (_, i) => `h${i}`) });
    join('carol', { members: Array.from({ length: 20 }, (_, i) => `k${i}`) });
    expect(host.stats().members).toBe(10);
  });

  it('a real joiner displaces a placeholder that holds nobody back when the session is full', () => {
    makeHost({ maxMembers: 3 });
    join('alice', { members: ['ghost1', 'ghost2'] }); // not migrating into a settling session: they hold nobody
    join('bob');
    expect(host.stats().members).toBe(3);
  });

  it('placeholders announced outside a migration never hold senders back', () => {
    makeHost();
    const alice = join('alice');
    const bob = join('bob');
    const stranger = join('mallory', { members: ['ghost1', 'ghost2'] });
    for (const l of [alice, bob, stranger]) l.take();
    host.relay(alice, msg(1));
    host.ack(bob, { t: 'ack', recv: { alice: 1 } });
    host.ack(stranger, { t: 'ack', recv: { alice: 1 } });
    expect(alice.take()).toEqual([{ t: 'acked', upTo: 1 }]);
  });

  it("one hello's placeholders expire together, one recompute, each announced as left", () => {
    makeHost({ settleMs: 10, stallMs: GRACE * 2 });
    const alice = join('alice', { members: ['g1', 'g2', 'g3'], resume: 'token-of-alice' });
    host.relay(alice, msg(1));
    alice.take();
    vi.advanceTimersByTime(GRACE);
    expect(alice.take()).toEqual([
      { t: 'left', client: 'g1', reason: 'timeout' },
      { t: 'left', client: 'g2', reason: 'timeout' },
      { t: 'left', client: 'g3', reason: 'timeout' },
      { t: 'acked', upTo: 1 },
    ]);
  });

  it('positions past what the session has seen are bounded: no resend or want beyond the largest seq', () => {
    makeHost();
    const alice = join('alice', { sent: 2 });
    alice.take();
    const mallory = join('mallory', { recv: { alice: 2 ** 53 } });
    expect(alice.take()).toEqual([{ t: 'joined', client: 'mallory', base: 0 }, { t: 'resend', from: 3 }]);
    host.ack(mallory, { t: 'ack', recv: { alice: Number.MAX_SAFE_INTEGER, nobody: Number.MAX_SAFE_INTEGER } });
    host.detach(alice);
    const alice2 = rejoin('alice', { sent: 2 });
    const welcomeFrame = alice2.take()[0] as { want?: number };
    expect(welcomeFrame.want).toBe(3);
    // A sender that never said where it stands: bounded below the largest seq all the same.
    const eve = join('eve', { recv: { nobody: Number.MAX_SAFE_INTEGER } });
    eve.take();
    const nobody = join('nobody', { recv: {} });
    expect((nobody.take()[0] as { want?: number }).want).toBeLessThanOrEqual(Number.MAX_SAFE_INTEGER);
  });
});

describe('SessionHost: nobody holds a sender back for more than stallMs', () => {
  it('a slow confirmer (one message at a time) is released and cut: a trickle does not restart the clock', () => {
    makeHost();
    const alice = join('alice');
    const bob = join('bob');
    const carol = join('carol');
    for (let seq = 1; seq <= 20; seq++) host.relay(alice, msg(seq));
    host.ack(carol, { t: 'ack', recv: { alice: 20 } });
    for (const l of [alice, bob, carol]) l.take();
    // Confirming 1 reaches the first checkpoint (the first message, at 1 s): from then on bob owes
    // all 20, and a message a second does not get him there within stallMs.
    for (let seq = 1; seq <= 10; seq++) {
      vi.advanceTimersByTime(1000);
      host.ack(bob, { t: 'ack', recv: { alice: seq } });
    }
    expect(bob.closed).toBeUndefined();
    vi.advanceTimersByTime(1000);
    expect(bob.closed).toEqual({ code: CloseCode.tryAgainLater, reason: 'not confirming' });
    // Released: alice's acks no longer wait for bob.
    expect(alice.take().at(-1)).toEqual({ t: 'acked', upTo: 20 });
  });

  it('a detached member holds a sender back until stallMs, and gets it all if back in time', () => {
    makeHost({ memberGraceMs: 60_000 });
    const alice = join('alice');
    const bob = join('bob');
    host.detach(bob);
    host.relay(alice, msg(1));
    alice.take();
    vi.advanceTimersByTime(STALL - 1000);
    expect(alice.take()).toEqual([]);
    const bob2 = rejoin('bob', { recv: { alice: 0 } });
    expect(alice.take()).toEqual([{ t: 'joined', client: 'bob', base: 0 }, { t: 'resend', from: 1 }]);
    host.ack(bob2, { t: 'ack', recv: { alice: 1 } });
    expect(alice.take()).toEqual([{ t: 'acked', upTo: 1 }]);
  });

  it('a detached member holds senders back through its grace period: the stall rule judges members on a link', () => {
    makeHost({ memberGraceMs: STALL * 2 });
    const alice = join('alice');
    const bob = join('bob');
    host.detach(bob);
    host.relay(alice, msg(1));
    alice.take();
    vi.advanceTimersByTime(STALL);
    expect(alice.take()).toEqual([]); // bob is away, not slow: it may come back for what it missed
    vi.advanceTimersByTime(STALL);
    expect(alice.take()).toEqual([{ t: 'left', client: 'bob', reason: 'timeout', had: 0 }, { t: 'acked', upTo: 1 }]);
  });

  it("a stranger's hello may name members, but they hold nobody back; a proven member's do", () => {
    for (const [resume, held] of [[undefined, false], ['token-of-alice', true]] as const) {
      makeHost({ settleMs: 300 });
      const alice = join('alice', { members: ['ghost-1', 'ghost-2'], ...(resume === undefined ? {} : { resume }) });
      const bob = join('bob');
      host.relay(alice, msg(1));
      host.ack(bob, { t: 'ack', recv: { alice: 1 } });
      vi.advanceTimersByTime(300); // the settle period after a migration holds every ack back
      expect(alice.take().some((frame) => (frame as { t: string }).t === 'acked'), String(resume)).toBe(!held);
    }
  });
});
