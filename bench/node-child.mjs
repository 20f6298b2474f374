// One gridlink node (the server kit's startNode) in its own process, with no fault proxy in front,
// for the throughput and memory benchmarks. Prints its URL as one JSON line and exits when its
// stdin closes. With the argument `events`, listeners are attached to every node event (as an
// embedding backend would: counting), to measure what observing costs the relay.
import { startNode } from '../dist/server.js';

// No join limit: the benchmarks connect 1,000 clients from one address on purpose.
const node = await startNode({ id: 'solo', port: 0, peers: [], maxJoinsPerSecond: Number.POSITIVE_INFINITY });
if (process.argv[2] === 'events') {
  let seen = 0;
  for (const event of ['join', 'leave', 'message', 'migrated-in']) node.on(event, () => void seen++);
}
process.stdout.write(`${JSON.stringify({ url: node.url })}\n`);
process.stdin.on('end', () => void node.close().finally(() => process.exit(0)));
process.stdin.resume();
