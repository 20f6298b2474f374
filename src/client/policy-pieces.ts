/**
 * The named policies other than `assigned`, as pieces: `policy: 'latency'` needs `latencyPolicy`
 * in `use`, and so on. A policy function needs no piece.
 */
import { latencyPolicy as measured } from '../choose/latency.js';
import { affinityPolicy as affinity, roundRobinPolicy as roundRobin } from '../choose/policy.js';
import { probeHealth } from '../dial/health.js';
import { OptionsError } from '../core/errors.js';
import type { Piece } from './pieces.js';

/** `policy: 'latency'`: the closest of the first candidates by a measured health round trip. */
export const latencyPolicy: Piece = {
  piece: 'policy',
  name: 'latency',
  build(platform) {
    if (platform.fetch === undefined) throw new OptionsError('GRIDLINK_INVALID_OPTION', `policy 'latency' needs HTTP, which the ${platform.name} platform lacks`);
    return measured({
      // The policy bounds each measurement with its own timeout, through `signal`.
      measure: async (node, signal) => (await probeHealth(platform, node, { signal })).rttMs,
      now: platform.now,
    });
  },
};

/** `policy: 'affinity'`: rendezvous hash of the session id, so members go straight to its host. */
export const affinityPolicy: Piece = { piece: 'policy', name: 'affinity', build: () => affinity };

/** `policy: 'round-robin'`: rotate the start, to spread load when the cloud gives no order. */
export const roundRobinPolicy: Piece = { piece: 'policy', name: 'round-robin', build: () => roundRobin() };
