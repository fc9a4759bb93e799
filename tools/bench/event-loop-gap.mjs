// The event loop during slow attaches, for `npm run bench`: CYCLES async attach → close → detach
// cycles of a net_tap port (the kernel makes and removes its interface: milliseconds a call),
// with a 1 ms interval timer and Node's event-loop delay histogram running. Root only (net_tap).
// `idle` runs the same timer and histogram for MS milliseconds with nothing else: this shared
// machine's own noise, the row to read the tap row against.
// Usage: node event-loop-gap.mjs tap CYCLES IFACE FILE_PREFIX | idle MS
// Prints one JSON line: {"cycles", "seconds", "worstGapMs", "p99DelayMs", "maxDelayMs", "worstAttachMs", "worstCloseMs"}.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Eal } from '@dpdk-hotplug/ethdev';

const [mode, count, iface, filePrefix] = process.argv.slice(2);

/** Runs `work` under the 1 ms timer and the delay histogram; returns what they saw. */
async function underTimer(work) {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  let last = performance.now();
  let worstGapMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worstGapMs = Math.max(worstGapMs, now - last);
    last = now;
  }, 1);
  histogram.enable();
  const t0 = performance.now();
  const extra = await work();
  const seconds = (performance.now() - t0) / 1000;
  histogram.disable();
  clearInterval(timer);
  // The histogram counts delay beyond its 1 ms resolution, in nanoseconds.
  return {
    seconds,
    worstGapMs,
    p99DelayMs: histogram.percentile(99) / 1e6,
    maxDelayMs: histogram.max / 1e6,
    ...extra,
  };
}

if (mode === 'idle') {
  console.log(
    JSON.stringify(await underTimer(() => new Promise((r) => setTimeout(() => r({}), Number(count))))),
  );
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

// Warm-up: the first tap attach loads what the kernel and DPDK load once.
const first = await eal.attach(devargs);
eal.close(first);
await eal.detach(first);

const r = await underTimer(async () => {
  let worstAttachMs = 0;
  let worstCloseMs = 0;
  for (let i = 0; i < cycles; i++) {
    const ta = performance.now();
    const port = await eal.attach(devargs);
    worstAttachMs = Math.max(worstAttachMs, performance.now() - ta);
    const tc = performance.now();
    eal.close(port);
    worstCloseMs = Math.max(worstCloseMs, performance.now() - tc);
    await eal.detach(port);
  }
  return { worstAttachMs, worstCloseMs };
});
eal.cleanup();
console.log(JSON.stringify({ cycles, ...r }));
