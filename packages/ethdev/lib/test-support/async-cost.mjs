// What an attach → close → detach cycle of net_null0 costs, sync and async, in this process:
// 2000 cycles a run after 200 to warm up, the median of 5 runs. Prints one JSON line.
// Usage: node lib/test-support/async-cost.mjs [CYCLES]
import { Eal } from '../../dist/index.js';

const cycles = Number(process.argv[2] ?? 2000);
const eal = Eal.init({
  noHuge: true,
  noPci: true,
  memoryMb: 128,
  noSharedConfig: true,
  logLevel: 'error',
  logEcho: false,
});

function syncCycle() {
  const port = eal.attachSync('net_null0');
  eal.close(port);
  eal.detachSync(port);
}
async function asyncCycle() {
  const port = await eal.attach('net_null0');
  eal.close(port);
  await eal.detach(port);
}

async function run(mode, n) {
  const t = performance.now();
  if (mode === 'sync') for (let i = 0; i < n; i++) syncCycle();
  else for (let i = 0; i < n; i++) await asyncCycle();
  return ((performance.now() - t) * 1000) / n;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const result = {};
for (const mode of ['sync', 'async']) {
  await run(mode, 200);
  const runs = [];
  for (let i = 0; i < 5; i++) runs.push(await run(mode, cycles));
  result[`${mode}UsPerCycle`] = Number(median(runs).toFixed(2));
  result[`${mode}Runs`] = runs.map((r) => Number(r.toFixed(2)));
}
eal.cleanup();
console.log(JSON.stringify({ cycles, ...result }));
