// A local cloud in its own process, driven over IPC, so that a benchmark's client process does not
// also carry the cloud's fault proxies. Messages: {cmd:'kill'|'stop', id?} -> {ok} | {error}.
import { startLocalCloud } from '../dist/server.js';

const cloud = await startLocalCloud({ nodes: Number(process.env.NODES ?? 3) });
process.send({ ready: true, nodes: cloud.nodes });
process.on('message', async ({ seq, cmd, id }) => {
  try {
    if (cmd === 'kill') await cloud.kill(id);
    if (cmd === 'stop') await cloud.stop();
    process.send({ seq, ok: true });
    if (cmd === 'stop') process.exit(0);
  } catch (error) {
    process.send({ seq, error: String(error) });
  }
});
process.on('disconnect', () => void cloud.stop().then(() => process.exit(0)));
