import { scenario } from './crowd.mjs';
import { gridlink, wsLoop } from './crowd-systems.mjs';
const N = Number(process.argv[2] ?? 200);
for (const base of [gridlink, wsLoop, gridlink, wsLoop]) {
  let cpu0, t0, joined = 0, cpuAll, tAll;
  const sys = { ...base, async start(prefix) {
    const s = await base.start(prefix);
    return { ...s, kill: () => { cpu0 = process.cpuUsage(); t0 = performance.now(); return s.kill(); },
      client(rec, hooks) { return s.client(rec, { ...hooks, onJoined: (d) => { hooks.onJoined(d); if (t0 !== undefined && ++joined === N) { cpuAll = process.cpuUsage(cpu0); tAll = performance.now() - t0; } } }); } };
  } };
  await scenario(sys, N, 20, 0);
  console.log(base.name, 'all joined after', tAll?.toFixed(0), 'ms; client-process CPU in that window', cpuAll ? ((cpuAll.user + cpuAll.system) / 1000).toFixed(0) : '?', 'ms =', cpuAll ? ((cpuAll.user + cpuAll.system) / 1000 / N).toFixed(2) : '?', 'ms/client');
}
process.exit(0);
