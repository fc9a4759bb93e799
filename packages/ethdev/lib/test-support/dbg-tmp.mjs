import { dpdk } from '../../dist/binding.js';
import { Eal } from '../../dist/index.js';
const eal = Eal.init({ noHuge: true, noPci: true, memoryMb: 256, noSharedConfig: true, filePrefix: 'dbg' + process.pid, logLevel: 'error' });
const N = Number(process.argv[2] ?? 2000);
let away = 0, awayUs = 0, homeUs = 0; const A = [], H = [];
const t0 = performance.now(); const c0 = process.cpuUsage();
for (let i = 0; i < N; i++) {
  const a = dpdk().offThreadWorker?.()?.thread().spinning;
  const t = performance.now();
  const port = await eal.attach('net_null0');
  eal.close(port);
  await eal.detach(port);
  const d = (performance.now() - t) * 1000;
  if (a) { away++; awayUs += d; A.push(d); } else { homeUs += d; H.push(d); }
}
const us = (performance.now() - t0) * 1000 / N; const c = process.cpuUsage(c0);
const q = (x, f) => { x.sort((p, r) => p - r); return x.length ? +x[Math.floor(x.length * f)].toFixed(1) : null; };
console.log(JSON.stringify({ awayP10: q(A, 0.1), awayP50: q(A, 0.5), homeP10: q(H, 0.1), homeP50: q(H, 0.5), us: +us.toFixed(1), cpuUs: +((c.user + c.system) / N).toFixed(1), away, awayUs: +(awayUs / away).toFixed(1), homeUs: +(homeUs / (N - away)).toFixed(1) }));
