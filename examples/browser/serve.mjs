// The browser example: a local cloud (3 nodes), an echo bot in the session, and this page served
// on 127.0.0.1. Open the printed URL (in several tabs, if you like), then type into this terminal:
//
//   kill a | restart a | blackhole b | heal b | drain c | hosts | quit
//
// and watch the page move to another node with nothing lost. The page finds the cloud through the
// nodes' discovery documents (/.well-known/gridlink), so no DNS is needed.
//
//   npm run example:browser            # port 8080, or PORT=… / --port …
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import { connect } from 'gridlink';
import { startLocalCloud } from 'gridlink/server';

const flag = process.argv.indexOf('--port');
const port = Number(flag > 0 ? process.argv[flag + 1] : (process.env.PORT ?? 8080));
const session = process.env.GRIDLINK_SESSION ?? 'browser-demo';
const files = {
  '/': [new URL('./index.html', import.meta.url), 'text/html; charset=utf-8'],
  '/gridlink.iife.js': [new URL('../../dist/gridlink.iife.js', import.meta.url), 'text/javascript; charset=utf-8'],
  '/gridlink.iife.js.map': [new URL('../../dist/gridlink.iife.js.map', import.meta.url), 'application/json'],
};

const cloud = await startLocalCloud({ nodes: 3 });
const discovery = cloud.urls.map((url) => `${url.replace(/^ws/, 'http').replace(/\/$/, '')}/.well-known/gridlink`);

// The echo bot: answers each page's probe, so the page can show a round trip through the session.
const bot = connect({ session, clientId: 'echo-bot', nodes: cloud.urls });
bot.on('message', (data) => {
  const text = String(data);
  if (text.startsWith('ping:')) bot.send(`pong:${text.slice(5)}`, { volatile: true });
});
bot.on('migrated', ({ from, to, reason }) => console.log(`echo bot moved ${from.id} -> ${to.id} (${reason.code})`));

const server = createServer(async (req, res) => {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  if (path === '/config.json') {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify({ session, discovery }));
    return;
  }
  const file = files[path];
  if (file === undefined) return void res.writeHead(404).end('not found\n');
  try {
    res.writeHead(200, { 'content-type': file[1], 'cache-control': 'no-store' }).end(await readFile(file[0]));
  } catch {
    res.writeHead(500).end('run `npm run build` first\n');
  }
});
await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
await bot.ready;
console.log(`gridlink browser example: http://127.0.0.1:${server.address().port}/`);
console.log(`nodes: ${cloud.nodes.map((n) => `${n.id}=${n.url}`).join('  ')}; session '${session}' is hosted on ${cloud.hostOf(session)?.id}`);
console.log('commands: kill <id> | restart <id> | blackhole <id> | heal <id> | drain <id> | hosts | quit');

const commands = {
  kill: (id) => cloud.kill(id),
  restart: (id) => cloud.restart(id),
  blackhole: (id) => cloud.blackhole(id),
  heal: (id) => cloud.heal(id),
  drain: (id) => cloud.drain(id),
  hosts: () => console.log(`session '${session}' is hosted on ${cloud.hostOf(session)?.id}; the bot is on ${bot.node?.id}`),
  quit: () => shutdown(),
};

createInterface({ input: process.stdin }).on('line', async (line) => {
  const [name, id] = line.trim().split(/\s+/);
  if (!name) return;
  const command = commands[name];
  if (command === undefined) return console.log(`unknown command '${name}'`);
  try {
    await command(id);
    if (name !== 'hosts' && name !== 'quit') console.log(`${name} ${id ?? ''}: done`);
  } catch (error) {
    console.log(`${name} failed: ${error.message}`);
  }
});

let stopping;
function shutdown() {
  stopping ??= (async () => {
    server.close();
    await bot.close();
    await cloud.stop();
    process.exit(0);
  })();
  return stopping;
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
