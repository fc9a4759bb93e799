// Where the event loop's gaps come from, step by step: CYCLES net_tap cycles of the whole contract,
// every step async (attach → configureAsync → startAsync → stopAsync → closeAsync → detach; shared
// config, as event-loop-gap.mjs has it), under a 1 ms timer. Per step: its wall time, the part
// before its promise is returned ("sync"), the main thread's CPU (CLOCK_THREAD_CPUTIME_ID), the
// time it waited for a CPU while runnable (schedstat's run_delay), the SDK worker's CPU (its
// schedstat: it sleeps when read) and whether the worker was away (spinning on CPUs of its own)
// when the step began. Every DPDK call made on the main thread is timed (the process's binding,
// wrapped in place; `.async` calls run elsewhere and are not). Then the longest timer gaps with
// the steps and collections they overlap.
// Usage: node event-loop-steps.mjs CYCLES IFACE FILE_PREFIX (root: net_tap). Prints one JSON line.
import { readFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { Eal } from '@dpdk-hotplug/ethdev';
import koffi from 'koffi';
import { dpdk } from '../../packages/ethdev/dist/binding.js';
import { sharedEalOptions } from './eal-options.mjs';

const [count, iface, filePrefix] = process.argv.slice(2);
const binding = dpdk();
const syncCalls = {};
let timing = false;
for (const key of Object.keys(binding)) {
  const fn = binding[key];
  if (typeof fn !== 'function' || key === 'offThreadWorker') continue;
  binding[key] = Object.assign((...args) => {
    if (!timing) return fn(...args);
    const t = performance.now();
    try {
      return fn(...args);
    } finally {
      const ms = performance.now() - t;
      syncCalls[key] ??= { calls: 0, totalMs: 0, maxMs: 0 };
      const s = syncCalls[key];
      s.calls++;
      s.totalMs += ms;
      s.maxMs = Math.max(s.maxMs, ms);
    }
  }, fn);
}
const clock = koffi.load('libc.so.6').func('int clock_gettime(int clk, _Out_ int64_t *ts)');
const ts = new BigInt64Array(2);
const CLOCK_THREAD_CPUTIME_ID = 3;
function mainCpuMs() {
  clock(CLOCK_THREAD_CPUTIME_ID, ts);
  return Number(ts[0]) * 1e3 + Number(ts[1]) / 1e6;
}
/** [on CPU, waiting for one] in ms, from a thread's schedstat. */
const schedstat = (tid) =>
  readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8')
    .split(' ')
    .slice(0, 2)
    .map((ns) => Number(ns) / 1e6);

const eal = Eal.init(sharedEalOptions(filePrefix));
const devargs = `net_tap0,iface=${iface}`;
let workerTid = 0;
const steps = [];
async function step(name, start) {
  const away = workerTid ? binding.offThreadWorker().thread().spinning : false;
  const [, wait0] = schedstat(process.pid);
  const worker0 = workerTid ? schedstat(workerTid)[0] : 0;
  const cpu0 = mainCpuMs();
  const t0 = performance.now();
  const pending = start();
  const t1 = performance.now();
  const result = await pending;
  const t2 = performance.now();
  const cpu = mainCpuMs() - cpu0;
  const [, wait1] = schedstat(process.pid);
  const worker = workerTid ? schedstat(workerTid)[0] - worker0 : 0;
  steps.push({
    name,
    t0,
    t2,
    away,
    wallMs: t2 - t0,
    syncMs: t1 - t0,
    mainCpuMs: cpu,
    mainWaitMs: wait1 - wait0,
    workerCpuMs: worker,
  });
  return result;
}
async function cycle() {
  const id = await step('attach', () => eal.attach(devargs));
  const port = eal.port(id);
  await step('configure', () => eal.configureAsync(port));
  await step('start', () => eal.startAsync(port));
  await step('stop', () => eal.stopAsync(port));
  await step('close', () => eal.closeAsync(port));
  await step('detach', () => eal.detach(port));
}

// Warm-up: the first tap attach loads what the kernel and DPDK load once.
await cycle();
workerTid = binding.offThreadWorker().thread().tid;
steps.length = 0;
const collections = [];
const gc = new PerformanceObserver((list) => {
  for (const e of list.getEntries())
    collections.push({ at: e.startTime, ms: e.duration, kind: e.detail?.kind });
});
gc.observe({ entryTypes: ['gc'] });
const ticks = [];
const timer = setInterval(() => ticks.push(performance.now()), 1);
timing = true;
for (let i = 0; i < Number(count); i++) await cycle();
timing = false;
clearInterval(timer);
await new Promise((r) => setTimeout(r, 10));
gc.disconnect();
eal.cleanup();

const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
const round = (x) => Math.round(x * 1000) / 1000;
const perStep = {};
for (const name of ['attach', 'configure', 'start', 'stop', 'close', 'detach']) {
  const of = steps.filter((s) => s.name === name);
  const row = { away: of.filter((s) => s.away).length, of: of.length };
  for (const key of ['wallMs', 'syncMs', 'mainCpuMs', 'mainWaitMs', 'workerCpuMs']) {
    const values = of.map((s) => s[key]);
    row[key] = { median: round(median(values)), max: round(Math.max(...values)) };
  }
  perStep[name] = row;
}
const gaps = ticks
  .slice(1)
  .map((to, i) => ({ from: ticks[i], to, ms: to - ticks[i] }))
  .sort((a, b) => b.ms - a.ms)
  .slice(0, 5)
  .map((g) => ({
    ms: round(g.ms),
    steps: steps
      .filter((s) => s.t0 < g.to && s.t2 > g.from)
      .map(
        (s) =>
          `${s.name} cpu ${s.mainCpuMs.toFixed(2)} wait ${s.mainWaitMs.toFixed(2)} sync ${s.syncMs.toFixed(2)}`,
      ),
    collections: collections
      .filter((c) => c.at < g.to && c.at + c.ms > g.from)
      .map((c) => `kind ${c.kind} ${c.ms.toFixed(2)} ms`),
  }));
for (const s of Object.values(syncCalls)) {
  s.totalMs = round(s.totalMs);
  s.maxMs = round(s.maxMs);
}
console.log(
  JSON.stringify({
    dpdk: eal.version,
    node: process.version,
    cycles: Number(count),
    perStep,
    syncCalls,
    longestCollectionMs: round(Math.max(0, ...collections.map((c) => c.ms))),
    gaps,
  }),
);
