#!/usr/bin/env zx
// `npm run bench`: the SDK against the C reference, in one run, as ratios.
// Each figure is the median of RUNS rounds; in a round every row runs once, side by side, each
// in its own process with its own EAL, and a ratio is taken within its round: on a shared
// machine, rounds interleaved this way see the same load, one row's median against another's
// would not.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runtimeDirFor } from '@dpdk-hotplug/ethdev';
import { $ } from 'zx';
import { ealArgs as cArgs, ealOptions as eal } from './bench/eal-options.mjs';

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
// Hotplug cycles per run: each length its own table (a leaking PMD slows a long run down).
const LENGTHS = (process.env.BENCH_CYCLES ?? '20000,100000').split(',').map(Number);
const CYCLES = LENGTHS.at(-1);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
// Neither leaks in this cycle (no configure); see the heap table below for the one that does.
const DEVICES = (process.env.BENCH_DEVICES ?? 'net_null0,net_ring0').split(',');
// BENCH_ONLY=hotplug,event-loop: only these parts (hotplug: the cycle and heap tables; mechanism:
// the async round trip's candidates; testpmd; bursts; event-loop; pmd-probe). Unset: every part.
const PARTS = ['hotplug', 'mechanism', 'testpmd', 'bursts', 'event-loop', 'pmd-probe'];
const ONLY = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',') : PARTS;
for (const part of ONLY)
  if (!PARTS.includes(part)) throw new Error(`BENCH_ONLY: no part ${part} (${PARTS.join(', ')})`);
const wants = (part) => ONLY.includes(part);

const pc = (await $`pkg-config --cflags --libs libdpdk`).stdout.trim().split(/\s+/);
await $`cc -O2 -Wall -o ${join(out, 'hotplug-loop')} ${join(here, 'bench', 'hotplug-loop.c')} ${pc}`;
await $`cc -O2 -Wall -o ${join(out, 'burst-loop')} ${join(here, 'bench', 'burst-loop.c')} ${pc}`;

/**
 * The C rows (and testpmd) end without rte_eal_cleanup, leaving their runtime folder; each row's
 * prefix is this run's own (pid, label, round), so its folder is removed after the row.
 */
const removeRuntimeDir = (prefix) => rmSync(runtimeDirFor(prefix), { recursive: true, force: true });

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/**
 * Runs every row RUNS times, interleaved (round 1 of every row, then round 2, …); each row's
 * figures are medians over rounds, its `vsFirst` the median of its per-round ratio to the
 * first row's time.
 */
async function rounds(rows) {
  const results = rows.map(() => []);
  for (let i = 0; i < RUNS; i++) {
    for (const [j, [label, fn]] of rows.entries()) {
      process.stdout.write(`  round ${i + 1}/${RUNS}: ${label}          \r`);
      const prefix = `bench-${process.pid}-${label}-${i}`;
      const text = (await fn(prefix)).stdout.trim().split('\n').at(-1);
      removeRuntimeDir(prefix);
      const r = JSON.parse(text);
      results[j].push({ ...r, us: (r.seconds / r.cycles) * 1e6, cpuUs: (r.cpuSeconds / r.cycles) * 1e6 });
    }
  }
  return results.map((rs) => ({
    initMs: rs[0].initMs === undefined ? undefined : median(rs.map((r) => r.initMs)),
    usPerCycle: median(rs.map((r) => r.us)),
    vsFirst: median(rs.map((r, i) => r.us / results[0][i].us)),
    // CPU time (every thread of the process) is not inflated by preemption: on this shared
    // machine it is the steadier figure. testpmd's is another process's: not measured.
    cpuUs: Number.isNaN(rs[0].cpuUs) ? undefined : median(rs.map((r) => r.cpuUs)),
    cpuVsFirst: Number.isNaN(rs[0].cpuUs)
      ? undefined
      : median(rs.map((r, i) => r.cpuUs / results[0][i].cpuUs)),
    initVsFirst:
      rs[0].initMs === undefined ? undefined : median(rs.map((r, i) => r.initMs / results[0][i].initMs)),
    heapGrowthBytes:
      rs[0].heapGrowthBytes === undefined ? undefined : median(rs.map((r) => r.heapGrowthBytes)),
    rssGrowthBytes: rs[0].rssGrowthBytes === undefined ? undefined : median(rs.map((r) => r.rssGrowthBytes)),
    // The async worker's spins preempted over the measured loop (each sends it home a while).
    preemptions: rs[0].preemptions === undefined ? undefined : median(rs.map((r) => r.preemptions)),
    dpdkHeapGrowthBytes:
      rs[0].dpdkHeapGrowthBytes === undefined ? undefined : median(rs.map((r) => r.dpdkHeapGrowthBytes)),
    /** The median of this row's per-round ratio to row `k`'s (wall, CPU). */
    vs: (k) => ({
      wall: median(rs.map((r, i) => r.us / results[k][i].us)),
      cpu: median(rs.map((r, i) => r.cpuUs / results[k][i].cpuUs)),
    }),
  }));
}

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  return `${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${rows.map(line).join('\n')}`;
}

const loop = join(here, 'bench', 'sdk-loop.mjs');
const floorScript = join(here, 'bench', 'koffi-floor.mjs');
// DTS drives testpmd one command at a time; its cycle is much slower, so it runs fewer cycles.
const TESTPMD_CYCLES = Number(process.env.BENCH_TESTPMD_CYCLES ?? 1000);
const DPDK_VERSION = (await $`pkg-config --modversion libdpdk`).stdout.trim();
const kib = (bytes) => (bytes === undefined ? '' : `${(bytes / 1024).toFixed(1)} KiB`);
const times = (x) => `${x.toFixed(2)}×`;

/** The figures as data, for BENCH_JSON (the release matrix's per-release table). */
const figures = {
  dpdk: DPDK_VERSION,
  node: process.version,
  cycles: CYCLES,
  runs: RUNS,
  hotplugRuns: {},
  bursts: {},
};
for (const dev of wants('hotplug') ? DEVICES : []) {
  for (const cycles of LENGTHS) {
    const withTestpmd = wants('testpmd') && dev === DEVICES[0] && cycles === CYCLES;
    const rows = [
      ['c', (prefix) => $`${join(out, 'hotplug-loop')} ${cycles} ${dev} ${dev} vdev -- ${cArgs(prefix)}`],
      ['four', (prefix) => $`node ${floorScript} four ${cycles} ${dev} ${JSON.stringify(eal(prefix))}`],
      ['shim', (prefix) => $`node ${floorScript} shim ${cycles} ${dev} ${JSON.stringify(eal(prefix))}`],
      ['sync', (prefix) => $`node --expose-gc ${loop} sync ${cycles} ${dev} ${JSON.stringify(eal(prefix))}`],
      [
        'async',
        (prefix) => $`node --expose-gc ${loop} async ${cycles} ${dev} ${JSON.stringify(eal(prefix))}`,
      ],
      // The same, the worker never spinning (off-thread.ts): the mechanism before session 12.
      [
        'async-home',
        (prefix) =>
          $({
            env: { ...process.env, DPDK_HOTPLUG_WORKER_SPIN: '0' },
          })`node --expose-gc ${loop} async ${cycles} ${dev} ${JSON.stringify(eal(prefix))}`,
      ],
      [
        'empty',
        (prefix) => $`node ${floorScript} async-empty ${cycles} ${dev} ${JSON.stringify(eal(prefix))}`,
      ],
      [
        'ashim',
        (prefix) => $`node ${floorScript} async-shim ${cycles} ${dev} ${JSON.stringify(eal(prefix))}`,
      ],
    ];
    if (withTestpmd)
      rows.push([
        'testpmd',
        (prefix) => $`node ${join(here, 'bench', 'testpmd-driver.mjs')} ${TESTPMD_CYCLES} ${prefix}`,
      ]);
    const [c, four, shim, sync, async_, asyncHome, empty, asyncShim, testpmd] = await rounds(rows);
    const named = {
      c,
      floor: four,
      shimFloor: shim,
      sync,
      async: async_,
      asyncNeverSpinning: asyncHome,
      asyncEmpty: empty,
      asyncShimFloor: asyncShim,
      ...(testpmd ? { testpmd } : {}),
    };
    figures.hotplugRuns[`${dev}@${cycles}`] = Object.fromEntries(
      Object.entries(named).map(([k, r]) => [
        k,
        {
          usPerCycle: r.usPerCycle,
          vsC: r.vsFirst,
          cpuVsC: r.cpuVsFirst,
          vsFloor: r.vs(1).wall,
          cpuVsFloor: r.vs(1).cpu,
          vsSync: r.vs(3).wall,
          cpuVsSync: r.vs(3).cpu,
          cpuUsPerCycle: r.cpuUs,
          rssGrowthBytes: r.rssGrowthBytes,
          dpdkHeapGrowthBytes: r.dpdkHeapGrowthBytes,
          heapGrowthBytes: r.heapGrowthBytes,
          preemptions: r.preemptions,
        },
      ]),
    );
    // The release matrix's table reads `hotplug`: the first device at the longest length.
    if (dev === DEVICES[0] && cycles === CYCLES) {
      figures.hotplug = figures.hotplugRuns[`${dev}@${cycles}`];
    }
    const lines = [
      ['C reference: rte_dev_probe, get_port_by_name, close, hotplug_remove', c, ''],
      ['the same four calls, each straight through koffi (floor)', four, ''],
      ["the SDK's three shim crossings, raw koffi (no SDK logic)", shim, ''],
      ['SDK attachSync → close → detachSync', sync, '≤ 1.1× floor'],
      ['SDK await attach → close → await detach', async_, '≤ 6× sync'],
      ['the same, its worker never spinning (DPDK_HOTPLUG_WORKER_SPIN=0)', asyncHome, ''],
      ["two empty async calls through the SDK's worker, awaited (no DPDK)", empty, ''],
      ["the SDK's async crossings, raw: attach and detach through its worker (no SDK logic)", asyncShim, ''],
      ...(testpmd ? [['testpmd, interactive (DTS)', testpmd, '']] : []),
    ].map(([name, r, goal]) => [
      name,
      r.usPerCycle.toFixed(2),
      times(r.vsFirst),
      r.cpuUs === undefined ? '' : r.cpuUs.toFixed(2),
      r.cpuVsFirst === undefined ? '' : times(r.cpuVsFirst),
      r === testpmd ? '' : `${times(r.vs(1).wall)} / ${times(r.vs(1).cpu)}`,
      r === async_ || r === asyncHome || r === empty || r === asyncShim
        ? `${times(r.vs(3).wall)} / ${times(r.vs(3).cpu)}`
        : '',
      goal,
      r.initMs === undefined || r === four || r === shim || r === empty || r === asyncShim
        ? ''
        : r.initMs.toFixed(1),
      kib(r.dpdkHeapGrowthBytes),
      kib(r.rssGrowthBytes),
      kib(r.heapGrowthBytes),
      r.preemptions === undefined ? '' : String(r.preemptions),
    ]);
    console.log(
      `\nattach → close → detach cycles of ${dev}, ${cycles} per run, ${RUNS} interleaved rounds, medians (DPDK ${DPDK_VERSION}, Node ${process.version})\n${table(['path', 'µs/cycle', 'vs C', 'CPU µs', 'CPU vs C', 'vs floor (wall / CPU)', 'vs sync', 'goal', 'init ms', 'DPDK heap Δ', 'RSS Δ', 'JS heap Δ', 'preempted'], lines)}`,
    );
    if (testpmd)
      console.log(
        `testpmd's cycle (port attach, port stop, port close, device detach, each awaited at its prompt) takes ${(testpmd.usPerCycle / async_.usPerCycle).toFixed(0)}× as long as the SDK's async cycle.`,
      );
  }
}
if (wants('hotplug')) {
  console.log(
    "\nDPDK heap Δ: rte_malloc_get_socket_stats' bytes in use, after the loop less before it (the C row has no warm-up: its first cycle's one-off allocations count). RSS Δ: the process's resident set growth over the measured loop (malloc, DPDK's and V8's heaps included). JS heap Δ: V8's heap in use after a gc. Preempted: how often the async worker's spin between calls lost its CPU during the measured loop (each sends it home to sleep for a while: packages/ethdev/lib/spin-backoff.ts). Init: Eal.init includes loading the DPDK libraries through koffi; the C program loads them before main.",
  );

  // DPDK heap growth in the cycle that leaks: attach → configure (one rx and one tx queue) → close
  // → detach, C and SDK, net_null (384 B a cycle on 22.11: a dummy packet per queue) beside
  // net_ring, the control. C has no warm-up: its slope is taken between LEAK_CYCLES and twice as
  // many; the SDK's loop starts after a warm-up, so its growth over the loop is the slope.
  const LEAK_CYCLES = Number(process.env.BENCH_LEAK_CYCLES ?? 1000);
  const leakRows = [];
  figures.dpdkHeap = {};
  // net_ring0 is the control that does not leak: kept even when BENCH_DEVICES leaves it out.
  const LEAK_DEVICES = (process.env.BENCH_LEAK_DEVICES ?? 'net_null0,net_ring0').split(',');
  for (const dev of LEAK_DEVICES) {
    const cLeak = (cycles, prefix) =>
      $({
        env: { ...process.env, HOTPLUG_CONFIGURE: '1' },
      })`${join(out, 'hotplug-loop')} ${cycles} ${dev} ${dev} vdev -- ${cArgs(prefix)}`;
    const [c1, c2, sdk] = await rounds([
      [`leak-c-${dev}`, (prefix) => cLeak(LEAK_CYCLES, prefix)],
      [`leak-c2-${dev}`, (prefix) => cLeak(2 * LEAK_CYCLES, prefix)],
      [
        `leak-sdk-${dev}`,
        (prefix) =>
          $`node --expose-gc ${loop} configure ${LEAK_CYCLES} ${dev} ${JSON.stringify(eal(prefix))}`,
      ],
    ]);
    const cSlope = (c2.dpdkHeapGrowthBytes - c1.dpdkHeapGrowthBytes) / LEAK_CYCLES;
    const sdkSlope = sdk.dpdkHeapGrowthBytes / LEAK_CYCLES;
    figures.dpdkHeap[dev] = { cBytesPerCycle: cSlope, sdkBytesPerCycle: sdkSlope };
    leakRows.push(
      [`${dev}: C`, kib(c1.dpdkHeapGrowthBytes), kib(c2.dpdkHeapGrowthBytes), cSlope.toFixed(1)],
      [
        `${dev}: SDK (after ${Math.min(2000, LEAK_CYCLES)} warm-up cycles)`,
        kib(sdk.dpdkHeapGrowthBytes),
        '',
        sdkSlope.toFixed(1),
      ],
    );
  }
  console.log(
    `\nDPDK heap growth (rte_malloc_get_socket_stats) over attach → configure → close → detach cycles, ${RUNS} interleaved rounds, medians\n${table(
      ['side', `over ${LEAK_CYCLES}`, `over ${2 * LEAK_CYCLES}`, 'bytes a cycle'],
      leakRows,
    )}`,
  );
}

if (wants('mechanism')) {
  // The async mechanism's own price: an empty call off the main thread and back, awaited, through
  // each candidate (round-trip.mjs); then a raw net_null0 attach → close → detach cycle (no SDK
  // logic) through those that can carry one; interleaved. The SDK uses the futex worker (lib/off-thread.ts).
  const HOPS = Number(process.env.BENCH_HOPS ?? 20_000);
  const hop = join(here, 'bench', 'round-trip.mjs');
  const mechanisms = [
    ['koffi', "empty call: koffi's async call (libuv pool thread)"],
    ['atomics', 'empty call: a persistent worker, Atomics.notify / Atomics.waitAsync'],
    ['atomics-spin', 'empty call: the same, worker spinning ≤ 50 µs, main ≤ 20 µs before they sleep'],
    ['atomics-block', 'empty call: the same, main thread blocked in Atomics.wait (stops the loop)'],
    ['futex', "empty call: a persistent worker, raw futexes, main ≤ 100 µs then waitAsync (the SDK's)"],
    ['message', 'empty call: a persistent worker, postMessage both ways'],
    ['koffi-cycle', 'raw net_null0 cycle, attach and detach through koffi async'],
    ['atomics-cycle', 'raw net_null0 cycle, attach and detach through the Atomics worker'],
    ['futex-cycle', "raw net_null0 cycle, attach and detach through the futex worker (the SDK's)"],
  ];
  const hopRuns = await rounds(
    mechanisms.map(([mode]) => [
      `hop-${mode}`,
      (prefix) =>
        mode.endsWith('-cycle')
          ? $`node ${hop} ${mode} ${HOPS} ${JSON.stringify(eal(prefix))}`
          : $`node ${hop} ${mode} ${HOPS}`,
    ]),
  );
  figures.roundTrip = Object.fromEntries(
    mechanisms.map(([mode], i) => [
      mode,
      { usPerCall: hopRuns[i].usPerCycle, cpuUsPerCall: hopRuns[i].cpuUs },
    ]),
  );
  const cycleRow = mechanisms.findIndex(([mode]) => mode === 'koffi-cycle');
  console.log(
    `\nThe async mechanism: ${HOPS} calls (or cycles) per run, ${RUNS} interleaved rounds, medians (CPU: every thread of the process)\n${table(
      ['mechanism', 'µs/call', 'CPU µs/call', 'vs koffi (wall / CPU)'],
      mechanisms.map(([mode, name], i) => {
        const base = mode.endsWith('-cycle') ? cycleRow : 0;
        const r = hopRuns[i];
        return [
          name,
          r.usPerCycle.toFixed(2),
          r.cpuUs.toFixed(2),
          `${times(r.vs(base).wall)} / ${times(r.vs(base).cpu)}`,
        ];
      }),
    )}`,
  );
}

// rx/tx: a 32-packet tx burst then an rx burst, packets copied from and to buffers, against
// burst-loop.c doing the same copies in C with the same libraries.
const BURSTS = Number(process.env.BENCH_BURSTS ?? 100_000);
const PACKET = 64;
const burstRows = [];
for (const dev of wants('bursts') ? ['net_ring0', 'net_null0'] : []) {
  const burst = join(here, 'bench', 'sdk-burst.mjs');
  const [cb, raw, copy, packed] = await rounds([
    [
      `c-${dev}`,
      (prefix) => $`${join(out, 'burst-loop')} ${BURSTS} ${dev} ${dev} ${PACKET} -- ${cArgs(prefix)}`,
    ],
    [
      `raw-${dev}`,
      (prefix) => $`node ${burst} raw ${BURSTS} ${dev} ${PACKET} ${JSON.stringify(eal(prefix))}`,
    ],
    [
      `copy-${dev}`,
      (prefix) => $`node ${burst} copy ${BURSTS} ${dev} ${PACKET} ${JSON.stringify(eal(prefix))}`,
    ],
    [
      `packed-${dev}`,
      (prefix) => $`node ${burst} packed ${BURSTS} ${dev} ${PACKET} ${JSON.stringify(eal(prefix))}`,
    ],
  ]);
  figures.bursts[dev] = Object.fromEntries(
    Object.entries({ c: cb, raw, copy, packed }).map(([k, r]) => [
      k,
      { usPerBurstPair: r.usPerCycle, vsC: r.vsFirst, cpuVsC: r.cpuVsFirst },
    ]),
  );
  for (const [name, r, goal] of [
    [`${dev}: C reference (rte_eth_tx_burst, rx_burst)`, cb, ''],
    [`${dev}: shim's dphp_tx/dphp_rx, raw koffi (floor)`, raw, ''],
    [`${dev}: SDK txBurst/rxBurst (a Buffer a packet)`, copy, '≤ 1.2×'],
    [`${dev}: SDK txBurstPacked/rxBurstPacked`, packed, '≤ 1.2×'],
  ]) {
    burstRows.push([
      name,
      r.usPerCycle.toFixed(2),
      (r.usPerCycle / 32 / 2).toFixed(3),
      `${r.vsFirst.toFixed(2)}×`,
      r.cpuUs.toFixed(2),
      `${r.cpuVsFirst.toFixed(2)}×`,
      goal,
    ]);
  }
}
if (burstRows.length)
  console.log(
    `\n32-packet bursts of ${PACKET}-byte packets, tx then rx, ${BURSTS} per run, ${RUNS} interleaved rounds, medians\n${table(['path', 'µs/burst pair', 'µs/packet', 'vs C', 'CPU µs', 'CPU vs C', 'goal'], burstRows)}`,
  );

// The event loop during slow attaches: async net_tap cycles (the kernel makes and removes an
// interface each time) under a 1 ms timer; after each cycle the same process watches its idle
// loop for as long (the control: this machine's own noise, EAL's pinning and the worker alike,
// interleaved), so each round gives the excess over its own control. Root only: net_tap makes network devices.
const GAP_CYCLES = 20;
const GAP_GOAL_MS = 5;
if (wants('event-loop') && process.getuid() !== 0)
  console.log('\nThe event loop: skipped (net_tap needs root)');
if (wants('event-loop') && process.getuid() === 0) {
  const gap = join(here, 'bench', 'event-loop-gap.mjs');
  const runs = { tap: [], lifecycle: [] };
  for (let i = 0; i < RUNS; i++) {
    process.stdout.write(`  round ${i + 1}/${RUNS}: event loop          \r`);
    for (const mode of ['tap', 'lifecycle']) {
      const prefix = `bench-${process.pid}-gap-${mode}-${i}`;
      const run = JSON.parse(
        (
          await $`node ${gap} ${mode} ${GAP_CYCLES} ${`dhbench${process.pid % 100000}`} ${prefix}`
        ).stdout.trim(),
      );
      removeRuntimeDir(prefix);
      runs[mode].push(run);
    }
  }
  const of = (rs) => ({
    worstGapMs: median(rs.map((r) => r.worstGapMs)),
    p99DelayMs: median(rs.map((r) => r.p99DelayMs)),
    idleWorstGapMs: median(rs.map((r) => r.idleWorstGapMs)),
    excessMs: median(rs.map((r) => r.excessMs)),
    bestRoundWorstGapMs: Math.min(...rs.map((r) => r.worstGapMs)),
    bestRoundIdleWorstGapMs: Math.min(...rs.map((r) => r.idleWorstGapMs)),
    rounds: rs.map(({ worstGapMs, idleWorstGapMs, excessMs }) => ({ worstGapMs, idleWorstGapMs, excessMs })),
  });
  figures.eventLoop = {
    cycles: GAP_CYCLES,
    goalMs: GAP_GOAL_MS,
    tap: of(runs.tap),
    lifecycle: of(runs.lifecycle),
  };
  const gapRows = [
    [`net_tap, ${GAP_CYCLES} async attach/close/detach cycles`, figures.eventLoop.tap],
    [
      `net_tap, ${GAP_CYCLES} cycles of the whole contract, all async (attach … detach)`,
      figures.eventLoop.lifecycle,
    ],
  ].map(([name, f]) => [
    name,
    f.worstGapMs.toFixed(2),
    f.idleWorstGapMs.toFixed(2),
    f.excessMs.toFixed(2),
    f.rounds.map((r) => `${r.worstGapMs.toFixed(1)}/${r.idleWorstGapMs.toFixed(1)}`).join(' '),
    f.p99DelayMs.toFixed(2),
    `excess < ${GAP_GOAL_MS} ms`,
  ]);
  console.log(
    `\nThe event loop during slow attaches: a 1 ms interval timer, ${RUNS} rounds, medians; the idle control: a window as long after each cycle, in the same process\n${table(['while', 'worst gap ms', 'idle control ms', 'excess ms', 'per round: gap/idle', 'p99 delay ms', 'goal'], gapRows)}`,
  );
}

if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, `${JSON.stringify(figures, null, 2)}\n`);

// pmd-probe: binary and source scanning speed.
if (wants('pmd-probe'))
  process.stdout.write((await $`node ${join(here, 'bench', 'probe-speed.mjs')}`).stdout);
