// The peers' servers for the crowd and joins benchmarks, one process each, as their users run them:
//   node bench/peer-server.mjs ws         a plain `ws` server relaying text within a room
//   node bench/peer-server.mjs socket.io  a socket.io server (1 s ping) relaying within a room
// Protocol (ws): `j<room>` joins the room and is answered `j`; `m<text>` sends <text> to the room's
// other members. socket.io: emit('join', room, ack) and emit('m', text) -> the others get ('m', text).
// Prints its URL as one JSON line; exits when its stdin closes.
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';

const kind = process.argv[2];
const http = createServer();

if (kind === 'ws') {
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  const rooms = new Map();
  wss.on('connection', (ws) => {
    let room;
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const text = data.toString();
      if (text[0] === 'j') {
        room = text.slice(1);
        if (!rooms.has(room)) rooms.set(room, new Set());
        rooms.get(room).add(ws);
        ws.send('j');
      } else if (text[0] === 'm' && room !== undefined) {
        for (const other of rooms.get(room)) if (other !== ws && other.readyState === 1) other.send(text);
      }
    });
    ws.on('close', () => {
      const members = rooms.get(room);
      members?.delete(ws);
      if (members?.size === 0) rooms.delete(room);
    });
  });
} else if (kind === 'socket.io') {
  const { Server } = await import('socket.io');
  const io = new Server(http, { pingInterval: 1000, pingTimeout: 1000, perMessageDeflate: false });
  io.on('connection', (socket) => {
    socket.on('join', (room, ack) => {
      socket.data.room = room;
      socket.join(room);
      if (typeof ack === 'function') ack();
    });
    socket.on('m', (text) => {
      if (socket.data.room !== undefined) socket.to(socket.data.room).emit('m', text);
    });
  });
} else {
  process.stderr.write(`usage: peer-server.mjs ws|socket.io\n`);
  process.exit(2);
}

http.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ url: `ws://127.0.0.1:${http.address().port}` })}\n`));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
