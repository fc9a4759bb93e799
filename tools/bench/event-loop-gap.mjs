// The event loop during slow attaches, for `npm run bench`: CYCLES async attach → close → detach
// cycles of a net_tap port (the kernel makes and removes its interface: milliseconds a call),
// with a 1 ms interval timer and Node's event-loop delay histogram running. Root only (net_tap).
// `lifecycle` runs the whole contract instead, every step async: attach → configureAsync →
// startAsync → stopAsync → closeAsync → detach.
// `idle` runs the same timer and histogram for MS milliseconds with nothing else: this shared
// machine's own noise, the row to read the tap row against.
// Usage: node event-loop-gap.mjs tap|lifecycle CYCLES IFACE FILE_PREFIX | idle MS
// Prints one JSON line: {"cycles", "seconds", "worstGapMs", "p99DelayMs", "maxDelayMs", and the
// slowest step: "worstAttachMs", "worstCloseMs" (tap) or "attach" … "detach" (lifecycle)}.
import { Eal } from '@dpdk-hotplug/ethdev';
import { timedAsyncCycles, timedLifecycleCycles, watchEventLoop } from '@dpdk-hotplug/ethdev/testing';

const [mode, count, iface, filePrefix] = process.argv.slice(2);
const report = ({ result, ...r }) => console.log(JSON.stringify({ ...r, ...result }));

if (mode === 'idle') {
  report(await watchEventLoop(() => new Promise((r) => setTimeout(() => r({}), Number(count)))));
  process.exit(0);
}

const cycles = Number(count);
// Shared config, as an application's primary has it: close then waits for the device's removal,
// which runs on the worker thread (with noSharedConfig net_tap's close runs here, up to 43 ms).
const eal = Eal.init({
  noHuge: true,
  noPci: true,
  memoryMb: 256,
  filePrefix,
  logLevel: 'error',
  logEcho: false,
});
const devargs = `net_tap0,iface=${iface}`;
const cyclesOf = mode === 'lifecycle' ? timedLifecycleCycles : timedAsyncCycles;
// Warm-up: the first tap attach loads what the kernel and DPDK load once.
await cyclesOf(eal, devargs, 1);
const watched = await watchEventLoop(() => cyclesOf(eal, devargs, cycles));
eal.cleanup();
report({ ...watched, result: { cycles, ...watched.result } });
