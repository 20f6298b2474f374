// The raw baseline for the throughput benchmark: a plain `ws` server on 127.0.0.1 that relays every
// text message from one connection to all the others. Run as a child process; prints its URL as
// one JSON line and exits when its stdin closes (the parent is gone or done).
import { WebSocketServer } from 'ws';

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    for (const other of wss.clients) if (other !== ws && other.readyState === 1) other.send(data, { binary: false });
  });
});
wss.on('listening', () => process.stdout.write(`${JSON.stringify({ url: `ws://127.0.0.1:${wss.address().port}` })}\n`));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
