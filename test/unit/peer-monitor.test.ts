/**
 * The peer monitor and its outbound links, driven through a fake dialer under fake timers: no
 * sockets. Each test asserts the exact state sequences (monitor, link, standing) and the frames the
 * link sent; real nodes on loopback are in test/integration (peer-auth, pins, cloud).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPeerAuth } from '../../src/server/peers/auth.js';
import { B, bringUp, C, HEARTBEAT, LOAD, setupMonitor as setup } from '../helpers/peer-monitor-harness.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe('PeerMonitor: a peer comes alive', () => {
  it('dials, opens, introduces itself and counts the peer alive at its first frame', () => {
    const t = setup();
    t.monitor.start();
    const socket = t.socketOf(B.url);
    expect(t.seq('link')).toEqual(['waiting>dialing:dial']);
    socket.events.open();
    // Open is not proof of a working peer: nothing alive yet.
    expect(t.monitor.alive()).toEqual([]);
    expect(socket.sent).toEqual([{ t: 'peer-hello', id: 'a', v: 1, nonce: expect.stringMatching(/^[\w-]{16,64}$/) }, { t: 'ping', id: 1 }, LOAD]);
    socket.receive({ t: 'pong', id: 1 });
    expect(t.monitor.alive()).toEqual(['b']);
    expect(t.seq('monitor')).toEqual(['idle>running:start']);
    expect(t.seq('link')).toEqual(['waiting>dialing:dial', 'dialing>open:opened', 'open>heard:heard']);
    expect(t.seq('standing')).toEqual(['unheard>alive:heard']);
    expect(t.aliveSets).toEqual([['b']]);
    t.monitor.stop();
  });

  it('answers pings and passes on load and pins as heard', () => {
    const t = setup();
    t.monitor.start();
    const socket = t.socketOf(B.url);
    bringUp(socket);
    socket.receive({ t: 'ping', id: 7 });
    socket.receive({ t: 'load', links: 1, sessions: 2 });
    socket.receive({ t: 'pin', session: 's1', epoch: 3 });
    socket.receive({ t: 'unpin', session: 's1' });
    expect(socket.sent.at(-1)).toEqual({ t: 'pong', id: 7 });
    expect(t.heard).toEqual([
      ['b', { t: 'load', links: 1, sessions: 2 }],
      ['b', { t: 'pin', session: 's1', epoch: 3 }],
      ['b', { t: 'unpin', session: 's1' }],
    ]);
    t.monitor.stop();
  });

  it('takes the link down on a bad frame and redials', () => {
    const t = setup();
    t.monitor.start();
    const socket = t.socketOf(B.url);
    bringUp(socket);
    socket.events.message('{"t":"nonsense"}');
    expect(socket.terminated).toBe(true);
    expect(t.seq('link').slice(-1)).toEqual(['heard>waiting:protocol']);
    expect(t.monitor.alive()).toEqual([]);
    expect(t.linkDowns).toEqual(['b']);
    t.monitor.stop();
  });
});

describe('PeerMonitor: a peer goes silent', () => {
  it('is out of placement after an unanswered probe, and dead at the heartbeat timeout', async () => {
    const t = setup();
    t.monitor.start();
    const socket = t.socketOf(B.url);
    bringUp(socket); // last inbound frame at t = 0
    const probe = t.monitor.suspect('b');
    // Concurrent reports share one probe.
    expect(t.monitor.suspect('b')).toBe(probe);
    const probePing = socket.sent.at(-1)!;
    expect(probePing).toMatchObject({ t: 'ping' });
    vi.advanceTimersByTime(299);
    expect(t.monitor.alive()).toEqual(['b']);
    vi.advanceTimersByTime(1);
    await expect(probe).resolves.toBe(false);
    expect(t.monitor.alive()).toEqual([]);
    // The link itself is still up until the heartbeat timeout.
    vi.advanceTimersByTime(1000 - 300 - 1);
    expect(t.seq('link').at(-1)).toBe('open>heard:heard');
    vi.advanceTimersByTime(1);
    expect(t.seq('link').at(-1)).toBe('heard>waiting:silent');
    expect(t.seq('standing')).toEqual(['unheard>alive:heard', 'alive>probing:suspect', 'probing>unanswered:probe-timeout', 'unanswered>unheard:link-down']);
    expect(socket.terminated).toBe(true);
    expect(t.linkDowns).toEqual(['b']);
    expect(t.aliveSets).toEqual([['b'], []]);
    expect(t.warnings).toEqual(['peer did not answer a probe; out of placement', 'peer link silent; dead']);
    t.monitor.stop();
  });

  it('keeps a peer that answers the probe, and clears an unanswered probe at the next frame', async () => {
    const t = setup();
    t.monitor.start();
    const socket = t.socketOf(B.url);
    bringUp(socket);
    const answered = t.monitor.suspect('b');
    const ping = socket.sent.at(-1) as { t: 'ping'; id: number };
    socket.receive({ t: 'load', links: 0, sessions: 0 }); // life, but not the answer
    expect(t.seq('standing').at(-1)).toBe('alive>probing:suspect');
    socket.receive({ t: 'pong', id: ping.id });
    await expect(answered).resolves.toBe(true);

    const unanswered = t.monitor.suspect('b');
    vi.advanceTimersByTime(300);
    await expect(unanswered).resolves.toBe(false);
    socket.receive({ t: 'ping' });
    expect(t.monitor.alive()).toEqual(['b']);
    expect(t.seq('standing')).toEqual([
      'unheard>alive:heard',
      'alive>probing:suspect',
      'probing>alive:probe-answered',
      'alive>probing:suspect',
      'probing>unanswered:probe-timeout',
      'unanswered>alive:heard',
    ]);
    expect(t.aliveSets).toEqual([['b'], [], ['b']]);
    t.monitor.stop();
  });

  it('answers false at once for a peer that is not alive', async () => {
    const t = setup();
    t.monitor.start();
    await expect(t.monitor.suspect('b')).resolves.toBe(false);
    await expect(t.monitor.suspect('nobody')).resolves.toBe(false);
    expect(t.seq('standing')).toEqual([]);
    t.monitor.stop();
  });
});

describe('PeerMonitor: authentication', () => {
  const secret = 'cloud-secret';

  it('believes nothing before a valid welcome, then proves itself and introduces itself', () => {
    const auth = createPeerAuth(secret);
    const t = setup({ auth });
    t.monitor.start();
    const socket = t.socketOf(B.url);
    socket.events.open();
    vi.advanceTimersByTime(HEARTBEAT.intervalMs * 2);
    // Only our hello: no pings before the peer proved itself.
    expect(socket.types()).toEqual(['peer-hello']);
    const hello = socket.sent[0] as { nonce: string };
    const nonce = auth.nonce();
    socket.receive({ t: 'peer-welcome', id: 'b', nonce, mac: auth.welcomeMac('b', 'a', hello.nonce, nonce)! });
    expect(socket.sent.slice(1)).toEqual([{ t: 'peer-auth', mac: auth.authMac('a', 'b', hello.nonce, nonce) }, { t: 'ping', id: 1 }, LOAD]);
    expect(t.seq('link')).toEqual(['waiting>dialing:dial', 'dialing>proving:opened', 'proving>open:authenticated', 'open>heard:heard']);
    expect(t.monitor.alive()).toEqual(['b']);
    t.monitor.stop();
  });

  it('drops a link whose welcome does not prove the secret, and redials', () => {
    const auth = createPeerAuth(secret);
    const t = setup({ auth });
    t.monitor.start();
    const socket = t.socketOf(B.url);
    socket.events.open();
    const hello = socket.sent[0] as { nonce: string };
    const nonce = auth.nonce();
    const forged = createPeerAuth('another-secret').welcomeMac('b', 'a', hello.nonce, nonce)!;
    socket.receive({ t: 'peer-welcome', id: 'b', nonce, mac: forged });
    expect(socket.terminated).toBe(true);
    expect(socket.types()).toEqual(['peer-hello']);
    expect(t.seq('link')).toEqual(['waiting>dialing:dial', 'dialing>proving:opened', 'proving>waiting:unauthenticated']);
    expect(t.seq('standing')).toEqual([]);
    expect(t.monitor.alive()).toEqual([]);
    expect(t.monitor.isSettled()).toBe(false);
    expect(t.linkDowns).toEqual(['b']);
    expect(t.warnings).toEqual(['peer did not authenticate; link closed (do the nodes share one secret?)']);
    vi.advanceTimersByTime(50);
    expect(t.sockets).toHaveLength(2);
    t.monitor.stop();
  });

  it('refuses any other first frame, and a welcome from the wrong node', () => {
    const auth = createPeerAuth(secret);
    const t = setup({ auth });
    t.monitor.start();
    t.socketOf(B.url).events.open();
    t.socketOf(B.url).receive({ t: 'pong', id: 1 });
    expect(t.seq('link').at(-1)).toBe('proving>waiting:unauthenticated');
    vi.advanceTimersByTime(50);
    const second = t.socketOf(B.url);
    second.events.open();
    const hello = second.sent[0] as { nonce: string };
    const nonce = auth.nonce();
    second.receive({ t: 'peer-welcome', id: 'c', nonce, mac: auth.welcomeMac('c', 'a', hello.nonce, nonce)! });
    expect(t.seq('link').at(-1)).toBe('proving>waiting:unauthenticated');
    expect(t.monitor.alive()).toEqual([]);
    t.monitor.stop();
  });
});

describe('PeerMonitor: draining', () => {
  it('tells every link it may speak on, and every later link, that this node drains', () => {
    const auth = createPeerAuth('cloud-secret');
    const t = setup({ auth, peers: [B, C] });
    t.monitor.start();
    const b = t.socketOf(B.url);
    const c = t.socketOf(C.url);
    b.events.open();
    const hello = b.sent[0] as { nonce: string };
    const nonce = auth.nonce();
    b.receive({ t: 'peer-welcome', id: 'b', nonce, mac: auth.welcomeMac('b', 'a', hello.nonce, nonce)! });
    c.events.open(); // still proving: hears our drain only once it proved itself
    t.monitor.announceDrain();
    t.monitor.announceDrain(); // once is enough
    expect(b.types()).toEqual(['peer-hello', 'peer-auth', 'ping', 'load', 'peer-drain']);
    expect(c.types()).toEqual(['peer-hello']);
    const helloC = c.sent[0] as { nonce: string };
    c.receive({ t: 'peer-welcome', id: 'c', nonce, mac: auth.welcomeMac('c', 'a', helloC.nonce, nonce)! });
    expect(c.types()).toEqual(['peer-hello', 'peer-auth', 'ping', 'load', 'peer-drain']);
    expect(t.seq('monitor')).toEqual(['idle>running:start', 'running>draining:drain']);
    t.monitor.stop();
    expect(t.seq('monitor')).toEqual(['idle>running:start', 'running>draining:drain', 'draining>stopped:stop']);
  });

  it('takes a draining peer out until a new link opens', () => {
    const t = setup();
    t.monitor.start();
    const first = t.socketOf(B.url);
    bringUp(first);
    first.receive({ t: 'peer-drain' });
    first.receive({ t: 'ping' }); // still answering, still draining
    expect(t.monitor.alive()).toEqual([]);
    first.events.close();
    vi.advanceTimersByTime(50);
    bringUp(t.socketOf(B.url));
    expect(t.monitor.alive()).toEqual(['b']);
    expect(t.seq('standing')).toEqual(['unheard>alive:heard', 'alive>draining:peer-drain', 'draining>unheard:link-down', 'unheard>alive:heard']);
    expect(t.aliveSets).toEqual([['b'], [], ['b']]);
    t.monitor.stop();
  });

  it('takes a peer out on a drain heard on its inbound link, and settles a probe in flight', async () => {
    const t = setup();
    t.monitor.start();
    const socket = t.socketOf(B.url);
    bringUp(socket);
    const probe = t.monitor.suspect('b');
    t.monitor.noteDrain('b');
    t.monitor.noteDrain('b');
    await expect(probe).resolves.toBe(false);
    vi.advanceTimersByTime(300); // the probe's timer must not undo the drain
    socket.receive({ t: 'ping' });
    expect(t.monitor.alive()).toEqual([]);
    expect(t.seq('standing')).toEqual(['unheard>alive:heard', 'alive>probing:suspect', 'probing>draining:peer-drain']);
    t.monitor.stop();
  });

  it('forgets a drain noted between links when the next link opens', () => {
    const t = setup();
    t.monitor.start();
    const first = t.socketOf(B.url);
    bringUp(first);
    first.events.close();
    t.monitor.noteDrain('b');
    vi.advanceTimersByTime(50);
    bringUp(t.socketOf(B.url));
    expect(t.monitor.alive()).toEqual(['b']);
    expect(t.seq('standing')).toEqual(['unheard>alive:heard', 'alive>unheard:link-down', 'unheard>draining:peer-drain', 'draining>unheard:new-link', 'unheard>alive:heard']);
    t.monitor.stop();
  });
});

describe('PeerMonitor: settling at start', () => {
  it('settles once every peer has answered', async () => {
    const t = setup({ peers: [B, C] });
    let settled = false;
    t.monitor.start();
    void t.monitor.settled().then(() => (settled = true));
    bringUp(t.socketOf(B.url));
    // A refused dial does not settle a peer: it may answer a moment later.
    t.socketOf(C.url).events.error(new Error('ECONNREFUSED'));
    await Promise.resolve();
    expect(settled).toBe(false);
    expect(t.monitor.isSettled()).toBe(false);
    vi.advanceTimersByTime(50);
    bringUp(t.socketOf(C.url));
    await Promise.resolve();
    expect(settled).toBe(true);
    expect(t.monitor.isSettled()).toBe(true);
    t.monitor.stop();
  });

  it('settles one peer timeout after start when a peer neither answers nor fails', async () => {
    const t = setup({ peers: [B, C] });
    t.monitor.start();
    let settled = false;
    void t.monitor.settled().then(() => (settled = true));
    bringUp(t.socketOf(B.url));
    vi.advanceTimersByTime(HEARTBEAT.timeoutMs - 1);
    await Promise.resolve();
    expect(settled).toBe(false);
    vi.advanceTimersByTime(1);
    await Promise.resolve();
    expect(settled).toBe(true);
    t.monitor.stop();
  });

  it('is settled at start without peers, and stop releases waiters', async () => {
    const lonely = setup({ peers: [] });
    lonely.monitor.start();
    expect(lonely.monitor.isSettled()).toBe(true);
    await lonely.monitor.settled();
    const t = setup();
    t.monitor.start();
    const waiting = t.monitor.settled();
    t.monitor.stop();
    await waiting;
    expect(t.monitor.isSettled()).toBe(true);
  });
});

describe('PeerMonitor: redial', () => {
  it('redials with jittered exponential backoff, from the base again once the peer answered', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const t = setup();
    t.monitor.start();
    const refuse = (): void => t.socketOf(B.url).events.error(new Error('ECONNREFUSED'));
    const nextDial = (): void => {
      const before = t.dials.length;
      while (t.dials.length === before) vi.advanceTimersToNextTimer();
    };
    for (let i = 0; i < 8; i++) {
      refuse();
      nextDial();
    }
    // Half of min(2000, 50 * 2^n): 25, 50, 100, ... capped at 1000.
    const gaps = t.dials.slice(1).map((d, i) => d.at - t.dials[i]!.at);
    expect(gaps).toEqual([25, 50, 100, 200, 400, 800, 1000, 1000]);
    bringUp(t.socketOf(B.url));
    t.socketOf(B.url).events.close();
    nextDial();
    expect(t.dials.at(-1)!.at - t.dials.at(-2)!.at).toBe(25);
    expect(t.linkDowns).toEqual(['b']); // only the link that had opened lapses
    t.monitor.stop();
  });

  it('redials at once when the peer dials us while its link waits out a backoff, and only then', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.99);
    const t = setup({ peers: [B, C] });
    t.monitor.peerDialled('b'); // before start: nothing to redial yet
    expect(t.dials).toEqual([]);
    t.monitor.start();
    // b is down long enough for its backoff to reach the ceiling (a restarting node).
    for (let i = 0; i < 7; i++) {
      const before = t.dials.length;
      t.socketOf(B.url).events.error(new Error('ECONNREFUSED'));
      while (t.dials.length === before) vi.advanceTimersToNextTimer();
    }
    const dialsOfB = (): number => t.dials.filter((d) => d.url === B.url).length;
    t.socketOf(B.url).events.error(new Error('ECONNREFUSED'));
    const waited = dialsOfB();
    vi.advanceTimersByTime(500); // within the next backoff (~2 s): no dial yet
    expect(dialsOfB()).toBe(waited);
    // b is back: its link to us opened. Ours dials now, and the pending backoff is dropped.
    t.monitor.peerDialled('b');
    expect(dialsOfB()).toBe(waited + 1);
    expect(t.seq('link').slice(-2)).toEqual(['dialing>waiting:error', 'waiting>dialing:dial']);
    bringUp(t.socketOf(B.url));
    expect(t.monitor.alive()).toEqual(['b']);
    // Past when the dropped backoff would have dialled, the peer answering all along: no second dial.
    for (let i = 0; i < 8; i++) {
      vi.advanceTimersByTime(HEARTBEAT.intervalMs);
      t.socketOf(B.url).receive({ t: 'ping', id: 100 + i });
    }
    expect(dialsOfB()).toBe(waited + 1);
    expect(t.monitor.alive()).toEqual(['b']);
    // A link that is up, or one being dialled, is left alone; so is an unknown id.
    t.monitor.peerDialled('b');
    t.monitor.peerDialled('c');
    t.monitor.peerDialled('zz');
    expect(dialsOfB()).toBe(waited + 1);
    expect(t.dials.filter((d) => d.url === C.url)).toHaveLength(1);
    t.monitor.stop();
    t.monitor.peerDialled('b');
    expect(dialsOfB()).toBe(waited + 1);
  });

  it('ignores a late event from an old socket', () => {
    const t = setup();
    t.monitor.start();
    const old = t.socketOf(B.url);
    old.events.open();
    old.events.close();
    vi.advanceTimersByTime(50);
    const current = t.socketOf(B.url);
    old.receive({ t: 'pong', id: 1 });
    old.events.error(new Error('late'));
    expect(t.monitor.alive()).toEqual([]);
    expect(t.seq('link')).toEqual(['waiting>dialing:dial', 'dialing>open:opened', 'open>waiting:closed', 'waiting>dialing:dial']);
    bringUp(current);
    expect(t.monitor.alive()).toEqual(['b']);
    t.monitor.stop();
  });

  it('stops for good: no redial, sockets cut, probes answered false', async () => {
    const t = setup({ peers: [B, C] });
    t.monitor.start();
    const b = t.socketOf(B.url);
    bringUp(b);
    const probe = t.monitor.suspect('b');
    t.monitor.stop();
    await expect(probe).resolves.toBe(false);
    expect(b.terminated).toBe(true);
    expect(t.socketOf(C.url).terminated).toBe(true);
    b.events.close();
    vi.advanceTimersByTime(10_000);
    expect(t.sockets).toHaveLength(2);
    expect(t.seq('link')).toEqual(['waiting>dialing:dial', 'dialing>open:opened', 'open>heard:heard', 'heard>stopped:stopped']);
    expect(t.seq('link', 'c')).toEqual(['waiting>dialing:dial', 'dialing>stopped:stopped']);
    expect(t.monitor.alive()).toEqual([]);
  });
});
