#!/usr/bin/env zx
// `npm run bench`: the SDK against the C reference, in one run, as ratios.
// Each figure is the median of RUNS runs, each in its own process with its own EAL.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { $ } from 'zx';

$.quiet = true;
// The C reference and testpmd are built and run from pkg-config's DPDK: the SDK rows use it too.
if (process.env.DPDK_HOTPLUG_DPDK) {
  console.log(
    `DPDK_HOTPLUG_DPDK=${process.env.DPDK_HOTPLUG_DPDK} ignored: the bench measures pkg-config's DPDK`,
  );
  delete process.env.DPDK_HOTPLUG_DPDK;
  $.env = { ...process.env };
}
const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '.bench');
mkdirSync(out, { recursive: true });
const CYCLES = Number(process.env.BENCH_CYCLES ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const DEVARGS = 'net_null0';

const eal = (prefix) => ({
  noHuge: true,
  noPci: true,
  memoryMb: 256,
  noSharedConfig: true,
  filePrefix: prefix,
  logLevel: 'error',
});
const cArgs = (prefix) => [
  '-l',
  '0',
  '-m',
  '256',
  '--no-huge',
  '--no-pci',
  '--no-shconf',
  '--file-prefix',
  prefix,
  '--log-level=4',
];

const pc = (await $`pkg-config --cflags --libs libdpdk`).stdout.trim().split(/\s+/);
await $`cc -O2 -Wall -o ${join(out, 'hotplug-loop')} ${join(here, 'bench', 'hotplug-loop.c')} ${pc}`;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function runs(label, fn) {
  const results = [];
  for (let i = 0; i < RUNS; i++) {
    process.stdout.write(`  ${label} run ${i + 1}/${RUNS}\r`);
    results.push(
      JSON.parse((await fn(`bench-${process.pid}-${label}-${i}`)).stdout.trim().split('\n').at(-1)),
    );
  }
  return {
    initMs: median(results.map((r) => r.initMs)),
    usPerCycle: median(results.map((r) => (r.seconds / r.cycles) * 1e6)),
    heapGrowthBytes:
      results[0].heapGrowthBytes === undefined ? undefined : median(results.map((r) => r.heapGrowthBytes)),
  };
}

console.log(
  `attach → close → detach cycles of ${DEVARGS}, ${CYCLES} per run, median of ${RUNS} runs (DPDK ${(await $`pkg-config --modversion libdpdk`).stdout.trim()}, Node ${process.version})`,
);
const c = await runs(
  'c',
  (prefix) => $`${join(out, 'hotplug-loop')} ${CYCLES} ${DEVARGS} ${DEVARGS} vdev -- ${cArgs(prefix)}`,
);
const loop = join(here, 'bench', 'sdk-loop.mjs');
const floor = await runs(
  'koffi',
  (prefix) =>
    $`node ${join(here, 'bench', 'koffi-floor.mjs')} ${CYCLES} ${DEVARGS} ${JSON.stringify(eal(prefix))}`,
);
const sync = await runs(
  'sync',
  (prefix) => $`node --expose-gc ${loop} sync ${CYCLES} ${DEVARGS} ${JSON.stringify(eal(prefix))}`,
);
const asyn = await runs(
  'async',
  (prefix) => $`node --expose-gc ${loop} async ${CYCLES} ${DEVARGS} ${JSON.stringify(eal(prefix))}`,
);
// DTS drives testpmd one command at a time; its cycle is much slower, so it runs fewer cycles.
const TESTPMD_CYCLES = Number(process.env.BENCH_TESTPMD_CYCLES ?? 1000);
const testpmd = await runs(
  'testpmd',
  (prefix) => $`node ${join(here, 'bench', 'testpmd-driver.mjs')} ${TESTPMD_CYCLES} ${prefix}`,
);

const rows = [
  ['C reference (rte_dev_probe …)', c, ''],
  ['same DPDK calls, raw koffi (floor)', { ...floor, initMs: undefined }, ''],
  ['SDK attachSync/detachSync', sync, '≤ 1.25×'],
  ['SDK attach/detach (async)', asyn, '≤ 3×'],
  ['testpmd, interactive (DTS)', testpmd, ''],
].map(([name, r, goal]) => [
  name,
  r.usPerCycle.toFixed(2),
  String(Math.round(1e6 / r.usPerCycle)),
  `${(r.usPerCycle / c.usPerCycle).toFixed(2)}×`,
  goal,
  r.initMs === undefined ? '' : r.initMs.toFixed(1),
  r.initMs === undefined ? '' : `${(r.initMs / c.initMs).toFixed(2)}×`,
  r.heapGrowthBytes === undefined ? '' : `${(r.heapGrowthBytes / 1024).toFixed(1)} KiB`,
]);
const header = [
  'path',
  'µs/cycle',
  'cycles/s',
  'vs C',
  'goal',
  'init ms',
  'init vs C',
  `JS heap Δ over ${CYCLES}`,
];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells) =>
  cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
console.log(
  `\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${rows.map(line).join('\n')}`,
);
console.log(
  '\nInit goal ≤ 1.1×: Eal.init includes loading the DPDK libraries through koffi; the C program loads them before main.',
);
console.log(
  `testpmd's cycle (port attach, port stop, port close, device detach, each awaited at its prompt) takes ${(testpmd.usPerCycle / asyn.usPerCycle).toFixed(0)}× as long as the SDK's async cycle.`,
);

// pmd-probe: binary and source scanning speed.
process.stdout.write((await $`node ${join(here, 'bench', 'probe-speed.mjs')}`).stdout);
