/**
 * The link's side of asking the cloud: a quiet link asks its witness once, dies on `dead` with the
 * heartbeat code and the cloud's word in its message (close 4008), and on `alive` waits for the
 * timeout as before. A fake transport and fake timers.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { GridlinkError } from '../../src/core/errors.js';
import type { Transport, TransportHandlers } from '../../src/dial/transport.js';
import type { Verdict } from '../../src/dial/status.js';
import { Link, type WitnessQuestion } from '../../src/link/link.js';
import type { NodeInfo, WelcomeFrame } from '../../src/protocol/frames.js';

const node: NodeInfo = { id: 'a', url: 'ws://a.test/' };
const welcome: WelcomeFrame = {
  t: 'welcome', v: 1, node, session: 's1', client: 'c1', resume: 'tok', nodes: [node, { id: 'b', url: 'ws://b.test/' }],
  heartbeat: { intervalMs: 1000, timeoutMs: 10_000 }, members: [], base: {},
};

function setup(answer: Verdict): { link: Link; closes: string[]; deaths: GridlinkError[]; asked: WitnessQuestion[]; receive: () => void } {
  let handlers: TransportHandlers | undefined;
  const closes: string[] = [];
  const transport: Transport = {
    url: node.url,
    bufferedAmount: 0,
    attach: (h) => void (handlers = h),
    send: () => {},
    close: (code, reason) => void closes.push(`${code} ${reason}`),
  };
  const asked: WitnessQuestion[] = [];
  const witness = (w: WitnessQuestion): Promise<Verdict> => {
    asked.push(w);
    return Promise.resolve(answer);
  };
  const link = new Link(transport, node, { heartbeat: { intervalMs: 1000, timeoutMs: 3000 }, maxFrameBytes: 1024, now: () => Date.now(), witness });
  const deaths: GridlinkError[] = [];
  void link.join({ t: 'hello', v: 1, session: 's1', client: 'c1', recv: {}, members: [] }, { timeoutMs: 5000, signal: new AbortController().signal });
  handlers?.onMessage(JSON.stringify(welcome));
  link.attach({ onFrame: () => {}, onDead: (e) => void deaths.push(e) });
  return { link, closes, deaths, asked, receive: () => handlers?.onMessage(JSON.stringify({ t: 'ping' })) };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Link asks the cloud about a quiet node', () => {
  it('dead: the link dies at once with the heartbeat code and the cloud named as the reason', async () => {
    const t = setup('dead');
    await vi.advanceTimersByTimeAsync(1299);
    expect(t.asked).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    // Only what the question needs, not the whole welcome (kept for the link's life).
    expect(t.asked).toEqual([{ session: welcome.session, node: welcome.node, nodes: welcome.nodes }]);
    expect(t.deaths.map((e) => e.code)).toEqual(['GRIDLINK_HEARTBEAT_TIMEOUT']);
    expect(t.deaths[0]?.message).toMatch(/the cloud confirms it is gone/);
    expect(t.closes).toEqual(['4008 GRIDLINK_HEARTBEAT_TIMEOUT']);
  });

  it('alive: nothing happens until the heartbeat timeout, which ends the link as before', async () => {
    const t = setup('alive');
    await vi.advanceTimersByTimeAsync(2999);
    expect(t.asked).toHaveLength(1);
    expect(t.deaths).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.deaths.map((e) => e.message)).toEqual([expect.not.stringMatching(/cloud/)]);
    expect(t.closes).toEqual(['4008 GRIDLINK_HEARTBEAT_TIMEOUT']);
  });

  it('a link that keeps hearing its node never asks', async () => {
    const t = setup('dead');
    for (let i = 0; i < 20; i++) {
      await vi.advanceTimersByTimeAsync(900);
      t.receive();
    }
    expect(t.asked).toEqual([]);
    expect(t.link.isOpen).toBe(true);
    t.link.close();
  });
});
