// The event loop during slow attaches, for `npm run bench`: CYCLES async attach → close → detach
// cycles of a net_tap port (the kernel makes and removes its interface: milliseconds a call),
// with a 1 ms interval timer and Node's event-loop delay histogram running. Root only (net_tap).
// `lifecycle` runs the whole contract instead, every step async: attach → configureAsync →
// startAsync → stopAsync → closeAsync → detach.
// Each cycle is followed by an idle window as long in the same process (EAL up, its worker alive,
// the main thread pinned to its lcore as during the cycles): this shared machine's own noise,
// measured interleaved in the same conditions; the excess over it is what the SDK adds.
// `idle` runs the same timer and histogram for MS milliseconds in a process without EAL.
// Usage: node event-loop-gap.mjs tap|lifecycle CYCLES IFACE FILE_PREFIX | idle MS
// Prints one JSON line: {"cycles", "seconds", "worstGapMs", "p99DelayMs", "maxDelayMs", the
// slowest step: "worstAttachMs", "worstCloseMs" (tap) or "attach" … "detach" (lifecycle), and
// the idle control's "idleWorstGapMs" and "excessMs" (worst gap less idle's); "p99DelayMs" is the worst cycle's}.
import { Eal } from '@dpdk-hotplug/ethdev';
import {
  timedAsyncCycles,
  timedLifecycleCycles,
  watchAgainstIdle,
  watchEventLoop,
} from '@dpdk-hotplug/ethdev/testing';
import { sharedEalOptions } from './eal-options.mjs';

const [mode, count, iface, filePrefix] = process.argv.slice(2);
const report = ({ result, ...r }) => console.log(JSON.stringify({ ...r, ...result }));

if (mode === 'idle') {
  report(await watchEventLoop(() => new Promise((r) => setTimeout(() => r({}), Number(count)))));
  process.exit(0);
}

const cycles = Number(count);
// Shared config, as an application's primary has it: close then waits for the device's removal,
// which runs on the worker thread (with noSharedConfig net_tap's close runs here, up to 43 ms).
const eal = Eal.init(sharedEalOptions(filePrefix));
const devargs = `net_tap0,iface=${iface}`;
const cyclesOf = mode === 'lifecycle' ? timedLifecycleCycles : timedAsyncCycles;
// Warm-up: the first tap attach loads what the kernel and DPDK load once.
await cyclesOf(eal, devargs, 1);
// Each cycle, then an idle window as long, alternately (watchAgainstIdle).
const w = await watchAgainstIdle(() => cyclesOf(eal, devargs, 1), cycles);
eal.cleanup();
report({
  seconds: w.seconds,
  worstGapMs: w.worstGapMs,
  p99DelayMs: w.p99DelayMs,
  result: { cycles, ...w.slowest, idleWorstGapMs: w.idleWorstGapMs, excessMs: w.excessMs },
});
