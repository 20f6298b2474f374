// A gridlink client you can start from: join a session, print what the other members say and
// every migration, send a line every second, and leave cleanly on Ctrl-C.
//
//   npm run example                                   # starts its own local cloud (3 nodes)
//   GRIDLINK_NODES=ws://127.0.0.1:7001,ws://127.0.0.1:7002 GRIDLINK_SESSION=room-42 node examples/chat.mjs
//
// Kill nodes while it runs (`gridlink cloud` prints their pids) and watch the session move.
import { connect } from 'gridlink';
import { startLocalCloud } from 'gridlink/server';

const session = process.env.GRIDLINK_SESSION ?? 'room-42';
const name = process.env.GRIDLINK_NAME ?? `node-${process.pid}`;
const cloud = process.env.GRIDLINK_NODES ? undefined : await startLocalCloud({ nodes: 3 });
const nodes = cloud ? cloud.urls : process.env.GRIDLINK_NODES.split(',');

const controller = new AbortController();
// `meta` is what the others see of us (client.members, member events); setMeta() changes it.
const client = connect({ session, clientId: name, nodes, meta: { name, since: new Date().toISOString() }, signal: controller.signal });

client.on('state', (state, { reason }) => console.log(`state: ${state} (${reason.code})`));
client.on('message', (data, { from }) => console.log(`${from}: ${data}`));
client.on('joined', ({ clientId, meta }) => console.log(`${clientId} joined ${JSON.stringify(meta)} (${client.members.size} others here)`));
client.on('left', ({ clientId }) => console.log(`${clientId} left`));
client.on('member', ({ clientId, meta }) => console.log(`${clientId} is now ${JSON.stringify(meta)}`));
client.on('migrated', ({ from, to, reason, downtimeMs }) =>
  console.log(`migrated ${from.id} -> ${to.id} (${reason.code}) in ${downtimeMs.toFixed(1)} ms`),
);
client.on('error', (error) => console.log(`error: ${error.code}: ${error.message}`));

await client.ready;
console.log(`joined ${session} as ${name} on node ${client.node.id}`);

let n = 0;
const timer = setInterval(() => {
  if (client.state === 'connected' || client.state === 'migrating') client.send(`hello #${++n} from ${name}`);
}, 1000);

async function shutdown() {
  clearInterval(timer);
  controller.abort(); // same as client.close(): the other members are told we left
  await client.close();
  await cloud?.stop();
  console.log('bye');
  process.exit(0);
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
