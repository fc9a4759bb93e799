#!/usr/bin/env zx
// The async cycle before and after a change, side by side: each checkout's sync cycle and async
// cycle (sdk-loop.mjs: await attach → close → await detach), this checkout's and another's
// (BENCH_AB_ROOT, built there), each in its own process, the rows interleaved round by round (the
// sides' order alternating from round to round); per row the median µs a cycle (wall, CPU of
// every thread: the spinning worker's included), and per side the median of its per-round
// async ÷ sync ratios. With BENCH_AB_GAP=1, each round also runs
// each side's event-loop row (event-loop-gap.mjs lifecycle: the whole contract async on net_tap,
// 20 cycles under a 1 ms timer; root only): its worst gap less its idle control.
// Usage: BENCH_AB_ROOT=/path/to/checkout node tools/bench/async-ab.mjs [DEVICE] (BENCH_CYCLES,
// default 20000,100000; BENCH_RUNS, default 3).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runtimeDirFor } from '@dpdk-hotplug/ethdev';
import { $ } from 'zx';
import { ealOptions } from './eal-options.mjs';

$.quiet = true;
const here = dirname(fileURLToPath(import.meta.url));
const device = process.argv[2] ?? 'net_null0';
const other = process.env.BENCH_AB_ROOT;
if (!other) throw new Error('BENCH_AB_ROOT: the checkout to compare with (built)');
const lengths = (process.env.BENCH_CYCLES ?? '20000,100000').split(',').map(Number);
const runs = Number(process.env.BENCH_RUNS ?? 3);
const sides = [
  ['this checkout', here],
  [other, join(other, 'tools', 'bench')],
];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const eal = (prefix) => JSON.stringify(ealOptions(prefix));
const loop = (dir, mode, n) => (p) =>
  $`node --expose-gc ${join(dir, 'sdk-loop.mjs')} ${mode} ${n} ${device} ${eal(p)}`;
const load = async () => (await $`cat /proc/loadavg`).stdout.split(' ').slice(0, 3).join(' ');

for (const n of lengths) {
  const rows = sides.flatMap(([label, dir]) => [
    [`sync, ${label}`, loop(dir, 'sync', n)],
    [`async, ${label}`, loop(dir, 'async', n)],
  ]);
  const results = rows.map(() => []);
  const loadBefore = await load();
  for (let i = 0; i < runs; i++) {
    // Odd rounds run the other checkout's rows first: a row's place in the round does not favour a side.
    const order = i % 2 === 0 ? [0, 1, 2, 3] : [2, 3, 0, 1];
    for (const j of order) {
      const [label, run] = rows[j];
      process.stderr.write(`  ${n} cycles, round ${i + 1}/${runs}: ${label}          \r`);
      const prefix = `async-ab-${process.pid}-${j}-${i}`;
      const r = JSON.parse((await run(prefix)).stdout.trim().split('\n').at(-1));
      await $`rm -rf --one-file-system ${runtimeDirFor(prefix)}`;
      results[j].push({ us: (r.seconds / r.cycles) * 1e6, cpu: (r.cpuSeconds / r.cycles) * 1e6 });
    }
  }
  console.log(
    `\n${device}, ${n} cycles, ${runs} interleaved rounds, medians (load average ${loadBefore} → ${await load()})`,
  );
  console.log('row | µs wall | µs CPU | async ÷ sync wall / CPU (per-round medians) | per round CPU');
  const ratio = (j, key) => median(results[j].map((r, i) => r[key] / results[j - 1][i][key])).toFixed(2);
  for (const [j, [label]] of rows.entries()) {
    const ratios = j % 2 === 1 ? `${ratio(j, 'us')} / ${ratio(j, 'cpu')}` : '';
    console.log(
      `${label} | ${median(results[j].map((r) => r.us)).toFixed(2)} | ${median(results[j].map((r) => r.cpu)).toFixed(2)} | ${ratios} | ${results[j].map((r) => r.cpu.toFixed(1)).join(' ')}`,
    );
  }
  // This checkout's async row against the other's, round by round: the change alone.
  const vs = (key) => median(results[1].map((r, i) => r[key] / results[3][i][key])).toFixed(2);
  console.log(`async, this ÷ other: wall ${vs('us')}, CPU ${vs('cpu')}`);
}

if (process.env.BENCH_AB_GAP === '1') {
  const gaps = sides.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (const [j, [label, dir]] of sides.entries()) {
      process.stderr.write(`  event loop, round ${i + 1}/${runs}: ${label}          \r`);
      const prefix = `async-ab-${process.pid}-gap-${j}-${i}`;
      const iface = `dhab${process.pid % 100000}`;
      const r = JSON.parse(
        (await $`node ${join(dir, 'event-loop-gap.mjs')} lifecycle 20 ${iface} ${prefix}`).stdout.trim(),
      );
      await $`rm -rf --one-file-system ${runtimeDirFor(prefix)}`;
      gaps[j].push(r);
    }
  }
  console.log(
    `\nThe whole contract async on net_tap, 20 cycles, ${runs} rounds (load average ${await load()})`,
  );
  console.log('side | worst gap ms | idle ms | excess ms (goal < 5) | per round: gap/idle');
  for (const [j, [label]] of sides.entries()) {
    const rs = gaps[j];
    console.log(
      `${label} | ${median(rs.map((r) => r.worstGapMs)).toFixed(2)} | ${median(rs.map((r) => r.idleWorstGapMs)).toFixed(2)} | ${median(rs.map((r) => r.excessMs)).toFixed(2)} | ${rs.map((r) => `${r.worstGapMs.toFixed(1)}/${r.idleWorstGapMs.toFixed(1)}`).join(' ')}`,
    );
  }
}
