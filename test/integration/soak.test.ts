/**
 * The chaos soak in CI (60 s; GRIDLINK_SOAK_S to change): 5 nodes, 200 clients in 20 sessions,
 * seeded faults (SIGKILL, restart, black hole, latency, resets, drain, two at once, host and
 * successor, flapping), with broadcasts, messages `to` one member, requests and shared writes. The
 * seed is printed; GRIDLINK_SOAK_SEED replays a run.
 */
import { expect, it } from 'vitest';
import { reportMarkdown, runSoak } from '../../bench/soak.mjs';

const seconds = Number(process.env.GRIDLINK_SOAK_S ?? 60);
const seed = process.env.GRIDLINK_SOAK_SEED === undefined ? Math.floor(Math.random() * 1e9) : Number(process.env.GRIDLINK_SOAK_SEED);

it(`survives ${seconds} s of seeded faults (seed ${seed}) with every message exactly once and no session left split`, async () => {
  const report = await runSoak({ seconds, seed, log: () => {} });
  const summary = reportMarkdown(report);
  expect(report.violations, summary).toEqual([]);
  expect(report.lost, summary).toBe(0);
  // Messages `to` one member: only to it, exactly once, in order (violations above); none lost.
  expect(report.toSent, summary).toBeGreaterThan(0);
  expect(report.toLost, summary).toBe(0);
  // Requests: every one answered with its own reply, each handler run exactly once.
  expect(report.requests, summary).toBeGreaterThan(0);
  expect(report.unanswered, summary).toEqual({});
  expect(report.answered, summary).toBe(report.requests);
  expect(report.handlerRuns, summary).toBe(report.requests);
  // Shared state: one map per session on all its members at the quiet point.
  expect(report.sharedDiverged, summary).toEqual([]);
  expect(report.reconnected, summary).toBe(true);
  expect(report.settled, summary).toBe(true);
  expect(report.delivered, summary).toBe(true);
  expect(report.stuck, summary).toEqual([]);
  expect(report.expected, summary).toBeGreaterThan(0);
  // Nothing left behind per migration: sockets and timers are all released once clients close.
  expect(Math.abs(report.handleGrowth), summary).toBeLessThanOrEqual(5);
  // Bounded: no node process grew without limit under churn.
  expect(report.maxNodeRssBytes, summary).toBeLessThan(512 * 1024 * 1024);
}, (seconds + 150) * 1000);
