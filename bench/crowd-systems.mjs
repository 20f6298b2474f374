// The systems of the crowd benchmark, behind one shape so the scenario is the same for each:
//   system.start(n) -> { victim, sessions(count), kill(), stop(), survivors(), client(rec, hooks) }
//   survivors() -> the process ids of the servers the crowd moves to (their CPU is part of the cost)
//   client -> { ready, send(text), where(), close() }; hooks: onMessage(text), onJoined()
// gridlink: 3 `gridlink node` CLI processes, default settings. The peers: 3 server processes of
// bench/peer-server.mjs, and a client as their users write one: on a lost link, the next server of
// the list at once (ws) or after socket.io's reconnection delay, then rejoin the room. And a
// diagnostic: gridlink's nodes with a minimal protocol client (`minimalClient`, idle crowds only).
import { fileURLToPath } from 'node:url';
import { io } from 'socket.io-client';
import { WebSocket } from 'ws';
import { connect } from '../dist/node.js';
import { cliCloud, sessionsOn, spawnServer } from './lib.mjs';

const PEER_SERVER = fileURLToPath(new URL('./peer-server.mjs', import.meta.url));
const PING_MS = 1000;

/** gridlink with the CLI's default settings, or extra `gridlink node` flags for a diagnostic run. */
export const gridlinkWith = (name, label, args = []) => ({
  name,
  label,
  async start(prefix) {
    const cloud = await cliCloud(['a', 'b', 'c'], { args });
    try {
      await cloud.formed();
    } catch (error) {
      await cloud.stop();
      throw error;
    }
    const victim = 'a';
    return {
      victim,
      sessions: (count) => {
        const ids = sessionsOn(cloud, victim, count, prefix);
        if (ids.length < count) throw new Error(`found only ${ids.length} sessions hosted on ${victim}`);
        return ids;
      },
      cloud,
      kill: () => cloud.kill(victim),
      stop: () => cloud.stop(),
      survivors: () => ['b', 'c'].map((id) => cloud.pid(id)),
      client(rec, hooks) {
        const c = connect({ session: rec.session, nodes: cloud.urls, clientId: rec.id, retry: { maxElapsedMs: Infinity } });
        c.on('message', (data) => hooks.onMessage(data));
        c.on('migrated', ({ to, downtimeMs }) => {
          if (to.id !== victim) hooks.onJoined(downtimeMs);
        });
        c.on('error', (error) => hooks.onError(error.code));
        return {
          ready: c.ready,
          send: (text) => {
            if (c.state === 'connected' || c.state === 'migrating') c.send(text);
          },
          where: () => c.node?.id,
          close: () => c.close(),
        };
      },
    };
  },
});

export const gridlink = gridlinkWith('gridlink', 'gridlink, defaults');

/**
 * Diagnostic: the same gridlink nodes (CLI defaults) with the least client the protocol allows: on
 * a lost link, a hello (with the resume token) straight to the session's new host, as the nodes
 * place it; a redirect is followed, a ping answered, nothing else (no heartbeat, no node list, no
 * outbox, no members). What it costs the nodes is gridlink's node side alone, and its own CPU is
 * about a bare `ws` reconnect's: beside gridlink's client it splits the crowd's cost between the two
 * ends. Idle only (it sends nothing).
 */
export const minimalClient = {
  name: 'minimal',
  label: 'diagnostic: a minimal protocol client (hello, welcome, redirect) on the same gridlink nodes',
  async start(prefix) {
    const servers = await gridlink.start(prefix);
    const { cloud } = servers;
    const urlOf = (id) => cloud.nodes.find((n) => n.id === id).url;
    return {
      ...servers,
      client(rec, hooks) {
        let ws;
        let resume;
        let closed = false;
        let readyResolve;
        const ready = new Promise((resolve) => (readyResolve = resolve));
        const open = (url) => {
          let redirect;
          ws = new WebSocket(url, 'gridlink.v1', { perMessageDeflate: false });
          ws.on('open', () => ws.send(JSON.stringify({ t: 'hello', v: 1, session: rec.session, client: rec.id, recv: {}, members: [], ...(resume === undefined ? {} : { resume }) })));
          ws.on('message', (data) => {
            const frame = JSON.parse(data.toString());
            if (frame.t === 'welcome') {
              resume = frame.resume;
              if (readyResolve !== undefined) {
                readyResolve();
                readyResolve = undefined;
              } else hooks.onJoined();
            } else if (frame.t === 'redirect') redirect = frame.node.url;
            else if (frame.t === 'ping') ws.send(JSON.stringify(frame.id === undefined ? { t: 'pong' } : { t: 'pong', id: frame.id }));
          });
          ws.on('error', () => {});
          // On close: the redirect's target, or the session's host as the live nodes place it.
          ws.on('close', () => {
            if (!closed) open(redirect ?? urlOf(cloud.hostOf(rec.session).id));
          });
        };
        open(urlOf(cloud.hostOf(rec.session).id));
        return {
          ready,
          send: () => {},
          where: () => undefined,
          close: async () => {
            closed = true;
            ws.terminate();
          },
        };
      },
    };
  },
};

async function peerServers(kind) {
  const servers = await Promise.all([0, 1, 2].map(() => spawnServer(PEER_SERVER, 15_000, [kind])));
  return {
    urls: servers.map((s) => s.url),
    survivors: () => servers.slice(1).map((s) => s.pid),
    kill: () => servers[0].kill(),
    stop: () => Promise.all(servers.map((s) => s.stop())),
  };
}

/** Sessions of the peers are rooms; every client starts on server 0, the one killed. */
const rooms = (prefix) => (count) => Array.from({ length: count }, (_, i) => `${prefix}-${i}`);

export const wsLoop = {
  name: 'ws',
  label: 'hand-rolled `ws` reconnect loop (1 s ping)',
  async start(prefix) {
    const servers = await peerServers('ws');
    return {
      victim: 0,
      sessions: rooms(prefix),
      kill: servers.kill,
      stop: servers.stop,
      survivors: servers.survivors,
      client(rec, hooks) {
        let index = 0;
        let ws;
        let joined = false;
        let closed = false;
        let alive = true;
        let readyResolve;
        const ready = new Promise((resolve) => (readyResolve = resolve));
        const open = () => {
          joined = false;
          alive = true;
          ws = new WebSocket(servers.urls[index], { perMessageDeflate: false });
          ws.on('open', () => ws.send(`j${rec.session}`));
          ws.on('message', (data) => {
            const text = data.toString();
            if (text === 'j') {
              joined = true;
              if (readyResolve !== undefined) {
                readyResolve();
                readyResolve = undefined;
              } else hooks.onJoined();
            } else if (text[0] === 'm') hooks.onMessage(text.slice(1));
          });
          ws.on('pong', () => (alive = true));
          ws.on('error', () => {});
          // The loop: on any close, the next server of the list, at once.
          ws.on('close', () => {
            if (closed) return;
            index = (index + 1) % servers.urls.length;
            open();
          });
        };
        const ping = setInterval(() => {
          if (ws.readyState !== WebSocket.OPEN) return;
          if (!alive) return ws.terminate();
          alive = false;
          ws.ping();
        }, PING_MS);
        open();
        return {
          ready,
          send: (text) => {
            if (joined && ws.readyState === WebSocket.OPEN) ws.send(`m${text}`);
          },
          where: () => (joined ? index : undefined),
          close: async () => {
            closed = true;
            clearInterval(ping);
            ws.terminate();
          },
        };
      },
    };
  },
};

export const socketIo = {
  name: 'socket.io',
  label: 'socket.io-client (1 s ping, reconnectionDelay 100 ms)',
  async start(prefix) {
    const servers = await peerServers('socket.io');
    return {
      victim: 0,
      sessions: rooms(prefix),
      kill: servers.kill,
      stop: servers.stop,
      survivors: servers.survivors,
      client(rec, hooks) {
        let index = 0;
        let joined = false;
        let readyResolve;
        const ready = new Promise((resolve) => (readyResolve = resolve));
        const socket = io(servers.urls[0], {
          forceNew: true,
          transports: ['websocket'],
          reconnectionDelay: 100,
          reconnectionDelayMax: 500,
        });
        // socket.io reconnects to one URL; the documented way to move on is to change it per attempt.
        socket.io.on('reconnect_attempt', () => {
          index = (index + 1) % servers.urls.length;
          socket.io.uri = servers.urls[index];
        });
        socket.on('connect', () => {
          socket.emit('join', rec.session, () => {
            joined = true;
            if (readyResolve !== undefined) {
              readyResolve();
              readyResolve = undefined;
            } else hooks.onJoined();
          });
        });
        socket.on('disconnect', () => (joined = false));
        socket.on('m', (text) => hooks.onMessage(text));
        return {
          ready,
          // Emitted while disconnected, socket.io buffers and sends on reconnection.
          send: (text) => socket.emit('m', text),
          where: () => (joined ? index : undefined),
          close: async () => {
            socket.disconnect();
          },
        };
      },
    };
  },
};
