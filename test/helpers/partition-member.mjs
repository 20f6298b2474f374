// A session member in its own process (so it can live in a network namespace): it sends a numbered
// reliable message every 50 ms while told to, checks that every message it receives is exactly the
// next one from its sender, and prints its status as a JSON line every 100 ms.
// Env: SESSION, NAME, NODES (comma-separated URLs). Stdin: {"cmd":"send","on":bool} | {"cmd":"close"}
// | {"cmd":"set","key":string,"value":json} (a shared write; the status line carries the shared map).
import { createInterface } from 'node:readline';
import { connect } from '../../dist/node.js';

const name = process.env.NAME;
const client = connect({ session: process.env.SESSION, clientId: name, nodes: process.env.NODES.split(','), retry: { maxElapsedMs: Infinity } });
const last = {};
let sent = 0;
let sending = false;
let violations = 0;
client.on('message', (data, { from }) => {
  const n = Number(String(data).split(':')[1]);
  if (n !== (last[from] ?? 0) + 1) violations++;
  last[from] = Math.max(last[from] ?? 0, n);
});
client.on('error', () => {});
const status = () =>
  process.stdout.write(`${JSON.stringify({ state: client.state, node: client.node?.id, sent, last, violations, shared: Object.fromEntries(client.shared) })}\n`);
setInterval(status, 100);
setInterval(() => {
  if (sending && client.state !== 'closed' && client.state !== 'failed') {
    client.send(`${name}:${sent + 1}`);
    sent++;
  }
}, 50);
createInterface({ input: process.stdin }).on('line', async (line) => {
  const command = JSON.parse(line);
  if (command.cmd === 'send') sending = command.on;
  if (command.cmd === 'set') client.setShared(command.key, command.value);
  if (command.cmd === 'close') {
    await client.close();
    status();
    process.exit(0);
  }
});
