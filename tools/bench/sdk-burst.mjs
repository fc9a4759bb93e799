// SDK side of the rx/tx rows of `npm run bench`: the loop of burst-loop.c through
// @dpdk-hotplug/ethdev — a 32-packet txBurst, then an rxBurst, on one port.
// Usage: node sdk-burst.mjs copy|packed|raw CYCLES DEVARGS PACKET-BYTES EAL-OPTIONS-JSON
// `copy`: txBurst(port, buffers) / rxBurst(port) (a Buffer per packet); `packed`:
// txBurstPacked / rxBurstPacked (packets end to end in caller-owned buffers); `raw`: the shim's
// dphp_tx/dphp_rx straight through koffi with the packets left in its area (the floor: no
// copy in JS, no SDK logic).
// Prints one JSON line: {"initMs", "cycles", "seconds", "cpuSeconds", "rx"} (cpuSeconds: every
// thread of the process, over the loop).
import { Eal } from '@dpdk-hotplug/ethdev';

const [mode, cyclesText, devargs, bytesText, optionsJson] = process.argv.slice(2);
const cycles = Number(cyclesText);
const BURST = 32;
const bytes = Number(bytesText);
const t0 = performance.now();
const eal = Eal.init(JSON.parse(optionsJson));
const initMs = performance.now() - t0;
const port = eal.attachSync(devargs);
eal.configure(port);
eal.start(port);

const packets = Array.from({ length: BURST }, () => Buffer.alloc(bytes));
const packed = {
  data: Buffer.alloc(BURST * bytes),
  lengths: new Uint16Array(BURST).fill(bytes),
  count: BURST,
};
const inbox = { data: Buffer.alloc(BURST * 2048), lengths: new Uint16Array(BURST) };

let rx = 0;
// Internal on purpose, for the `raw` floor only: applications never see the binding.
const b = mode === 'raw' ? (await import('../../packages/ethdev/dist/binding.js')).dpdk() : undefined;
b?.area.lens.fill(bytes, 0, BURST);
const burst =
  mode === 'raw'
    ? () => {
        b.dphp_tx(port, 0, BURST);
        return b.dphp_rx(port, 0, BURST);
      }
    : mode === 'copy'
      ? () => {
          eal.txBurst(port, packets);
          return eal.rxBurst(port, BURST).length;
        }
      : () => {
          eal.txBurstPacked(port, packed);
          return eal.rxBurstPacked(port, inbox);
        };
for (let i = 0; i < 20000; i++) burst();
const t1 = performance.now();
const c1 = process.cpuUsage();
for (let i = 0; i < cycles; i++) rx += burst();
const seconds = (performance.now() - t1) / 1000;
const { user, system } = process.cpuUsage(c1);
eal.stop(port);
eal.cleanup();
console.log(JSON.stringify({ initMs, cycles, seconds, cpuSeconds: (user + system) / 1e6, rx }));
