#!/usr/bin/env zx
// The sync cycle before and after a change, side by side: C (hotplug-loop.c), the four-call koffi
// floor, this checkout's SDK sync cycle and another checkout's (BENCH_AB_ROOT, built there), each
// in its own process, the rows interleaved round by round; per row the median µs a cycle (wall,
// CPU of every thread) and the median of its per-round ratios to the floor and to C. Each Node row
// also runs once more with a warm-up of 30,000 cycles (BENCH_WARMUP, warm-up.mjs): V8's compiler
// done, the steady state beside the bench's default.
// Usage: BENCH_AB_ROOT=/path/to/checkout node tools/bench/sync-ab.mjs [DEVICE] (BENCH_CYCLES,
// default 20000,100000; BENCH_RUNS, default 3).
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runtimeDirFor } from '@dpdk-hotplug/ethdev';
import { $ } from 'zx';
import { ealArgs, ealOptions } from './eal-options.mjs';

$.quiet = true;
const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', '.bench');
mkdirSync(out, { recursive: true });
const device = process.argv[2] ?? 'net_null0';
const other = process.env.BENCH_AB_ROOT;
if (!other) throw new Error('BENCH_AB_ROOT: the checkout to compare with (built)');
const lengths = (process.env.BENCH_CYCLES ?? '20000,100000').split(',').map(Number);
const runs = Number(process.env.BENCH_RUNS ?? 3);
const pc = (await $`pkg-config --cflags --libs libdpdk`).stdout.trim().split(/\s+/);
const cLoop = join(out, 'hotplug-loop');
await $`cc -O2 -Wall -o ${cLoop} ${join(here, 'hotplug-loop.c')} ${pc}`;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const eal = (prefix) => JSON.stringify(ealOptions(prefix));
const warm = { ...process.env, BENCH_WARMUP: '30000' };
const rowsFor = (n) => [
  ['C', (p) => $`${cLoop} ${n} ${device} ${device} vdev -- ${ealArgs(p)}`],
  ['floor', (p) => $`node ${join(here, 'koffi-floor.mjs')} four ${n} ${device} ${eal(p)}`],
  [
    'sync, this checkout',
    (p) => $`node --expose-gc ${join(here, 'sdk-loop.mjs')} sync ${n} ${device} ${eal(p)}`,
  ],
  [
    `sync, ${other}`,
    (p) => $`node --expose-gc ${join(other, 'tools', 'bench', 'sdk-loop.mjs')} sync ${n} ${device} ${eal(p)}`,
  ],
  [
    'floor, warm',
    (p) => $({ env: warm })`node ${join(here, 'koffi-floor.mjs')} four ${n} ${device} ${eal(p)}`,
  ],
  [
    'sync, this checkout, warm',
    (p) => $({ env: warm })`node --expose-gc ${join(here, 'sdk-loop.mjs')} sync ${n} ${device} ${eal(p)}`,
  ],
];

for (const n of lengths) {
  const rows = rowsFor(n);
  const results = rows.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (const [j, [label, run]] of rows.entries()) {
      process.stdout.write(`  ${n} cycles, round ${i + 1}/${runs}: ${label}          \r`);
      const prefix = `ab-${process.pid}-${j}-${i}`;
      const r = JSON.parse((await run(prefix)).stdout.trim().split('\n').at(-1));
      rmSync(runtimeDirFor(prefix), { recursive: true, force: true });
      results[j].push({ us: (r.seconds / r.cycles) * 1e6, cpu: (r.cpuSeconds / r.cycles) * 1e6 });
    }
  }
  const load = (await $`cat /proc/loadavg`).stdout.split(' ').slice(0, 3).join(' ');
  console.log(`\n${device}, ${n} cycles, ${runs} interleaved rounds, medians (load average now ${load})`);
  console.log('row | µs wall | µs CPU | ÷ floor wall / CPU | ÷ C wall / CPU');
  const ratio = (j, k, key) => median(results[j].map((r, i) => r[key] / results[k][i][key])).toFixed(2);
  for (const [j, [label]] of rows.entries()) {
    const floorRow = label.endsWith('warm') ? 4 : 1;
    console.log(
      `${label} | ${median(results[j].map((r) => r.us)).toFixed(2)} | ${median(results[j].map((r) => r.cpu)).toFixed(2)} | ${ratio(j, floorRow, 'us')} / ${ratio(j, floorRow, 'cpu')} | ${ratio(j, 0, 'us')} / ${ratio(j, 0, 'cpu')}`,
    );
  }
}
