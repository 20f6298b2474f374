// One gridlink node (the server kit's startNode) in its own process, with no fault proxy in front,
// for the throughput and memory benchmarks. Prints its URL as one JSON line and exits when its
// stdin closes.
import { startNode } from '../dist/server.js';

// No join limit: the benchmarks connect 1,000 clients from one address on purpose.
const node = await startNode({ id: 'solo', port: 0, peers: [], maxJoinsPerSecond: Number.POSITIVE_INFINITY });
process.stdout.write(`${JSON.stringify({ url: node.url })}\n`);
process.stdin.on('end', () => void node.close().finally(() => process.exit(0)));
process.stdin.resume();
