#!/usr/bin/env zx
// The hotplug cycle's cost in instructions, the load-independent figure beside `npm run bench`'s
// times: C (hotplug-loop.c), the four-call koffi floor (koffi-floor.mjs four), the SDK's sync
// cycle (sdk-loop.mjs sync) and its async cycle (sdk-loop.mjs async: await attach, close, await
// detach; the worker thread's instructions included, its futex waits not), each under `valgrind --tool=callgrind` (user-space instructions of
// every thread, V8's compiler and GC threads included). Each script reads DPDK's heap
// (rte_malloc_get_socket_stats) right before and right after its measured loop: callgrind dumps
// its counts at each read, so the last dump is the loop alone (no start-up, EAL init or warm-up),
// divided by its cycles.
// glibc's memset is told not to use `rep stosb`, which valgrind counts once per byte (it would
// make DPDK's zeroing of each new port's memory most of every row).
// Usage: node tools/bench/instructions.mjs [DEVICE] (default net_null0; BENCH_IR_CYCLES, default
// 30000, after the scripts' own warm-up of 2000). Needs valgrind, pkg-config's DPDK and the
// package built (npm run build). A few minutes.
// BENCH_IR_ROOT=<checkout>: the Node rows run that checkout's scripts and SDK (built there), the
// outputs staying here: a before/after pair from one script. BENCH_IR_KEEP=<tag> keeps each row's
// loop dump (tools/.bench/ir-<tag>-<row>.callgrind, with --dump-instr) for callgrind_annotate;
// BENCH_IR_ROWS=sdk,floor runs only those rows (c, floor, sdk, async).
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runtimeDirFor } from '@dpdk-hotplug/ethdev';
import { $ } from 'zx';
import { ealArgs, ealOptions } from './eal-options.mjs';

$.quiet = true;
const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', '.bench');
const scripts = process.env.BENCH_IR_ROOT ? join(process.env.BENCH_IR_ROOT, 'tools', 'bench') : here;
mkdirSync(out, { recursive: true });
const device = process.argv[2] ?? 'net_null0';
const cycles = Number(process.env.BENCH_IR_CYCLES ?? 30000);
// V8 compiles on this thread: under valgrind its compiler threads lag far behind, and the loop
// would be counted half in baseline code (with the compiler's own work); outside valgrind the
// warm-up ends in optimized code.
const node = ['node', '--no-concurrent-recompilation'];
// The async row's worker never spins between calls: a spin counts the wait, not the work.
const env = {
  ...process.env,
  GLIBC_TUNABLES: 'glibc.cpu.x86_rep_stosb_threshold=0x7fffffffffffffff',
  DPDK_HOTPLUG_WORKER_SPIN: '0',
};
delete env.DPDK_HOTPLUG_DPDK;

const pc = (await $`pkg-config --cflags --libs libdpdk`).stdout.trim().split(/\s+/);
const cLoop = join(out, 'hotplug-loop');
await $`cc -O2 -Wall -o ${cLoop} ${join(here, 'hotplug-loop.c')} ${pc}`;

const eal = (prefix) => JSON.stringify(ealOptions(prefix));
const sdkLoop = (mode) => (n, prefix) => [
  ...node,
  '--expose-gc',
  join(scripts, 'sdk-loop.mjs'),
  mode,
  n,
  device,
  eal(prefix),
];
const rows = {
  c: (n, prefix) => [cLoop, n, device, device, 'vdev', '--', ...ealArgs(prefix)],
  floor: (n, prefix) => [...node, join(scripts, 'koffi-floor.mjs'), 'four', n, device, eal(prefix)],
  sdk: sdkLoop('sync'),
  async: sdkLoop('async'),
};

const keep = process.env.BENCH_IR_KEEP;

/** Instructions per cycle of `row`'s measured loop. */
async function perCycleOf(row) {
  const prefix = `ir-${process.pid}-${row}`;
  const file = join(out, `${prefix}.callgrind`);
  // A kept dump names its functions itself: by default a later dump refers to names by numbers
  // that an earlier one defined.
  const kept = keep ? ['--dump-instr=yes', '--compress-strings=no'] : [];
  await $({
    env,
  })`valgrind --tool=callgrind ${kept} --dump-before=rte_malloc_get_socket_stats --callgrind-out-file=${file} ${rows[row](cycles, prefix)}`;
  rmSync(runtimeDirFor(prefix), { recursive: true, force: true });
  const dumps = readdirSync(out)
    .filter((f) => f.startsWith(`${prefix}.callgrind`))
    .map((f) => join(out, f));
  const numbered = dumps
    .filter((f) => /\.\d+$/.test(f))
    .sort((a, b) => Number(a.split('.').at(-1)) - Number(b.split('.').at(-1)));
  const loop = numbered.at(-1);
  const totals = loop && readFileSync(loop, 'utf8').match(/^(?:summary|totals): (\d+)/m);
  if (loop && keep) renameSync(loop, join(out, `ir-${keep}-${row}.callgrind`));
  for (const f of dumps) rmSync(f, { force: true });
  if (!totals) throw new Error(`${row}: no callgrind dump of the loop`);
  return Number(totals[1]) / cycles;
}

const perCycle = {};
const only = process.env.BENCH_IR_ROWS?.split(',');
for (const row of Object.keys(rows).filter((r) => !only || only.includes(r))) {
  process.stdout.write(`  ${row}…\r`);
  perCycle[row] = await perCycleOf(row);
}
const k = (x) => (x === undefined ? '–' : `${(x / 1000).toFixed(1)} k`);
console.log(`Instructions per ${device} attach → close → detach cycle (callgrind, ${cycles} cycles):`);
console.log(
  `  C ${k(perCycle.c)}, koffi floor ${k(perCycle.floor)}, SDK sync ${k(perCycle.sdk)}, SDK async ${k(perCycle.async)}`,
);
console.log(
  `  SDK ÷ floor ${(perCycle.sdk / perCycle.floor).toFixed(2)}×, SDK ÷ C ${(perCycle.sdk / perCycle.c).toFixed(2)}×, floor ÷ C ${(perCycle.floor / perCycle.c).toFixed(2)}×`,
);
console.log(JSON.stringify({ device, cycles, instructionsPerCycle: perCycle }));
