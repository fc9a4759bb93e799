// SDK side of `npm run bench`: the same cycle as hotplug-loop.c, through @dpdk-hotplug/ethdev.
// `configure`: the sync cycle with a configure (one rx and one tx queue) before the close, the
// cycle in which net_null leaks (HOTPLUG_CONFIGURE=1 hotplug-loop.c's).
// Usage: node --expose-gc sdk-loop.mjs sync|async|configure CYCLES DEVARGS EAL-OPTIONS-JSON
// Prints one JSON line: {"initMs", "cycles", "seconds", "cpuSeconds", "heapGrowthBytes", "rssGrowthBytes",
// "dpdkHeapGrowthBytes", "preemptions"} (JS heap growth after a gc; the process's RSS growth, C's malloc and
// DPDK's included; DPDK's heap alone, as rte_malloc_get_socket_stats counts it).
import { Eal } from '@dpdk-hotplug/ethdev';
// Internal on purpose: the async worker's preempted spins, for the bench's table.
import { dpdk } from '../../packages/ethdev/dist/binding.js';
import { warmUp } from './warm-up.mjs';

const [mode, cyclesText, devargs, optionsJson] = process.argv.slice(2);
const cycles = Number(cyclesText);
const t0 = performance.now();
const eal = Eal.init(JSON.parse(optionsJson));
const initMs = performance.now() - t0;

function syncCycle() {
  const port = eal.attachSync(devargs);
  eal.close(port);
  eal.detachSync(port);
}
function configureCycle() {
  const port = eal.attachSync(devargs);
  eal.configure(port, { rxQueues: 1, txQueues: 1 });
  eal.close(port);
  eal.detachSync(port);
}
async function asyncCycle() {
  const port = await eal.attach(devargs);
  eal.close(port);
  await eal.detach(port);
}

// Warm up the JIT and DPDK's first-use allocations, then measure.
const cycle = { sync: syncCycle, async: asyncCycle, configure: configureCycle }[mode];
if (!cycle) throw new Error(`mode: sync, async or configure, not ${mode}`);
const warm = warmUp(cycles);
for (let i = 0; i < warm; i++) await cycle();
globalThis.gc?.();
const heapBefore = process.memoryUsage().heapUsed;
const rssBefore = process.memoryUsage.rss();
const dpdkHeapBefore = eal.resources().dpdkHeapBytes;
const preempted = () => dpdk().offThreadWorker()?.thread().preemptions;
const preemptionsBefore = preempted();
const t1 = performance.now();
const c1 = process.cpuUsage();
if (mode === 'async') for (let i = 0; i < cycles; i++) await asyncCycle();
else for (let i = 0; i < cycles; i++) cycle();
const seconds = (performance.now() - t1) / 1000;
const { user, system } = process.cpuUsage(c1);
const rssGrowthBytes = process.memoryUsage.rss() - rssBefore;
const preemptions = mode === 'async' ? preempted() - preemptionsBefore : undefined;
// Read before the gc: instructions.mjs counts from one DPDK heap read to the next.
const dpdkHeapGrowthBytes = eal.resources().dpdkHeapBytes - dpdkHeapBefore;
globalThis.gc?.();
const heapGrowthBytes = process.memoryUsage().heapUsed - heapBefore;
eal.cleanup();
console.log(
  JSON.stringify({
    initMs,
    cycles,
    seconds,
    cpuSeconds: (user + system) / 1e6,
    heapGrowthBytes,
    rssGrowthBytes,
    dpdkHeapGrowthBytes,
    preemptions,
  }),
);
