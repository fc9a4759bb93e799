// The floor of any koffi-based SDK, for `npm run bench`, in two forms (the first argument):
// - `four`: the C cycle's own four DPDK calls (rte_dev_probe, rte_eth_dev_get_port_by_name,
//   rte_eth_dev_close, rte_eal_hotplug_remove, as hotplug-loop.c makes them), each straight
//   through koffi's sync call: four crossings, no SDK logic, no check of what a remove left.
// - `shim`: the SDK's own crossings for one cycle (dphp_attach_area: snapshot, probe, port lookup;
//   rte_eth_dev_close; dphp_detach_area: remove and what it left), with no SDK logic around them.
// - `async-shim`: the SDK's async cycle with no SDK logic: dphp_attach_area through the SDK's
//   worker (off-thread.ts), rte_eth_dev_close on this thread, dphp_detach_area through the worker,
//   each awaited (their results in the shim's area, as the SDK's async forms read them).
// - `async-empty`: the async cycle's mechanism with nothing in it: two async calls of an
//   empty C function (dphp_abi) through the SDK's worker (off-thread.ts), each awaited, as the SDK's async
//   cycle makes two (attach, detach); no DPDK call at all.
// The gap between `four` and C is koffi's price per call; between the SDK rows and these, the SDK's own.
// Usage: node koffi-floor.mjs four|shim|async-shim|async-empty CYCLES DEVARGS EAL-OPTIONS-JSON
// Prints one JSON line: {"initMs", "cycles", "seconds", "cpuSeconds", "rssGrowthBytes",
// "dpdkHeapGrowthBytes", "preemptions"} (DPDK's heap alone, as rte_malloc_get_socket_stats counts it).
import { Eal } from '@dpdk-hotplug/ethdev';
// Internal on purpose: a benchmark of the binding itself; applications never see it.
import { dpdk } from '../../packages/ethdev/dist/binding.js';
import { warmUp } from './warm-up.mjs';

const [mode, cyclesText, devargs, optionsJson] = process.argv.slice(2);
const cycles = Number(cyclesText);
const t0 = performance.now();
const eal = Eal.init(JSON.parse(optionsJson));
const initMs = performance.now() - t0;
const b = dpdk();
const ids = b.area.ports;
// The floor rows call koffi's functions themselves (the SDK's sync calls may go through its worker).
const raw = { ...b, ...b.direct };
const port = new Uint16Array(1);

function fourCalls() {
  if (raw.rte_dev_probe(devargs) !== 0) throw new Error('probe failed');
  if (raw.rte_eth_dev_get_port_by_name(devargs, port) !== 0) throw new Error('port lookup failed');
  if (raw.rte_eth_dev_close(port[0]) !== 0) throw new Error('close failed');
  if (raw.rte_eal_hotplug_remove('vdev', devargs) !== 0) throw new Error('remove failed');
}
function shimCalls() {
  if (raw.dphp_attach_area(devargs, devargs) !== 1) throw new Error('probe failed');
  if (raw.rte_eth_dev_close(ids[0]) !== 0) throw new Error('close failed');
  if (raw.dphp_detach_area('vdev', devargs) !== 0) throw new Error('remove failed');
}
const viaWorker = (fn, ...args) =>
  new Promise((resolve, reject) => fn.async(...args, (error, rc) => (error ? reject(error) : resolve(rc))));
async function asyncShimCalls() {
  if ((await viaWorker(b.dphp_attach_area, devargs, devargs)) !== 1) throw new Error('probe failed');
  if (b.rte_eth_dev_close(ids[0]) !== 0) throw new Error('close failed');
  if ((await viaWorker(b.dphp_detach_area, 'vdev', devargs)) !== 0 || b.area.left[0] !== 0)
    throw new Error('remove failed');
}
const emptyHop = () =>
  new Promise((resolve, reject) => b.dphp_abi.async((error, rc) => (error ? reject(error) : resolve(rc))));
async function emptyHops() {
  await emptyHop();
  await emptyHop();
}
const cycle = { four: fourCalls, shim: shimCalls, 'async-shim': asyncShimCalls, 'async-empty': emptyHops }[
  mode
];
if (!cycle) throw new Error(`mode: four, shim, async-shim or async-empty, not ${mode}`);

const warm = warmUp(cycles);
for (let i = 0; i < warm; i++) await cycle();
const rssBefore = process.memoryUsage.rss();
const dpdkHeapBefore = b.dphp_heap_in_use();
const preempted = () => b.offThreadWorker()?.thread().preemptions;
const preemptionsBefore = preempted();
const t1 = performance.now();
const c1 = process.cpuUsage();
if (mode.startsWith('async')) for (let i = 0; i < cycles; i++) await cycle();
else for (let i = 0; i < cycles; i++) cycle();
const seconds = (performance.now() - t1) / 1000;
const { user, system } = process.cpuUsage(c1);
const rssGrowthBytes = process.memoryUsage.rss() - rssBefore;
const preemptions = mode.startsWith('async') ? preempted() - preemptionsBefore : undefined;
const dpdkHeapGrowthBytes = b.dphp_heap_in_use() - dpdkHeapBefore;
eal.cleanup();
console.log(
  JSON.stringify({
    initMs,
    cycles,
    seconds,
    cpuSeconds: (user + system) / 1e6,
    rssGrowthBytes,
    dpdkHeapGrowthBytes,
    preemptions,
  }),
);
