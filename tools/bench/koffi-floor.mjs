// The floor of any koffi-based SDK, for `npm run bench`: the SDK's own DPDK calls for one cycle
// (dphp_probe_area, rte_eth_dev_close, dphp_remove: remove and its proof) made straight through its koffi
// binding, with no SDK logic around them. The gap between this row and C is koffi's price per
// call; the gap between the SDK rows and this one is the SDK's own.
// Usage: node koffi-floor.mjs CYCLES DEVARGS EAL-OPTIONS-JSON
import { Eal } from '@dpdk-hotplug/ethdev';
// Internal on purpose: a benchmark of the binding itself; applications never see it.
import { dpdk } from '../../packages/ethdev/dist/binding.js';

const [cyclesText, devargs, optionsJson] = process.argv.slice(2);
const cycles = Number(cyclesText);
const t0 = performance.now();
const eal = Eal.init(JSON.parse(optionsJson));
const initMs = performance.now() - t0;
const b = dpdk();
const ids = b.area.ports;

function cycle() {
  if (b.dphp_probe_area(devargs, devargs) !== 1) throw new Error('probe failed');
  if (b.rte_eth_dev_close(ids[0]) !== 0) throw new Error('close failed');
  if (b.dphp_remove('vdev', devargs) !== 0) throw new Error('remove failed');
}

for (let i = 0; i < Math.min(2000, cycles); i++) cycle();
const t1 = performance.now();
const c1 = process.cpuUsage();
for (let i = 0; i < cycles; i++) cycle();
const seconds = (performance.now() - t1) / 1000;
const { user, system } = process.cpuUsage(c1);
eal.cleanup();
console.log(JSON.stringify({ initMs, cycles, seconds, cpuSeconds: (user + system) / 1e6 }));
