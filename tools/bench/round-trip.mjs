// The async mechanism's own price, for `npm run bench`: one empty C call (the shim's dphp_abi,
// no DPDK) made off the main thread and awaited, through each candidate mechanism:
// - `koffi`: koffi's async call (a libuv pool thread; its result comes back through the loop),
//   the SDK's mechanism;
// - `atomics`: a persistent worker_threads worker that makes the call synchronously, woken with
//   Atomics.notify on a SharedArrayBuffer, its answer awaited with Atomics.waitAsync;
// - `atomics-spin`: the same, with the worker polling for up to 50 µs before it sleeps and the
//   main thread polling (setImmediate, the loop keeps running) for up to 50 µs before it waits;
// - `message`: the same worker, asked and answered with postMessage.
// Usage: node round-trip.mjs koffi|atomics|atomics-spin|message CALLS
// Prints one JSON line: {"cycles", "seconds", "cpuSeconds"} (CPU: every thread of the process).
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import koffi from 'koffi';

const REQUEST = 1;
const IDLE = 0;
/** Int32 slots of the shared page: [state, result, worker asleep]. */
const [STATE, RESULT, ASLEEP] = [0, 1, 2];

if (!isMainThread) {
  const { shared, shimPath, spinUs, mode } = workerData;
  const abi = koffi.load(shimPath).func('int dphp_abi(void)');
  const s = new Int32Array(shared);
  if (mode === 'message') {
    parentPort.on('message', () => parentPort.postMessage(abi()));
  } else {
    parentPort.postMessage('ready');
    for (;;) {
      const t0 = performance.now();
      while (Atomics.load(s, STATE) !== REQUEST && (performance.now() - t0) * 1000 < spinUs);
      if (Atomics.load(s, STATE) !== REQUEST) {
        Atomics.store(s, ASLEEP, 1);
        Atomics.wait(s, STATE, IDLE);
        Atomics.store(s, ASLEEP, 0);
        continue;
      }
      s[RESULT] = abi();
      Atomics.store(s, STATE, IDLE);
      Atomics.notify(s, STATE);
    }
  }
} else {
  // Internal on purpose: a benchmark of the binding itself.
  const { dpdk, loadedShim } = await import('../../packages/ethdev/dist/binding.js');
  const [mode, callsText] = process.argv.slice(2);
  const calls = Number(callsText);
  const b = dpdk();
  const shared = new SharedArrayBuffer(16);
  const s = new Int32Array(shared);
  const spinUs = mode === 'atomics-spin' ? 50 : 0;
  let worker;
  if (mode !== 'koffi') {
    worker = new Worker(new URL(import.meta.url), {
      workerData: { shared, shimPath: loadedShim().path, spinUs, mode },
    });
    if (mode !== 'message') await new Promise((r) => worker.once('message', r));
  }
  const viaKoffi = () =>
    new Promise((resolve, reject) => b.dphp_abi.async((error, rc) => (error ? reject(error) : resolve(rc))));
  const viaAtomics = () =>
    new Promise((resolve) => {
      Atomics.store(s, STATE, REQUEST);
      if (Atomics.load(s, ASLEEP) === 1) Atomics.notify(s, STATE);
      const t0 = performance.now();
      const check = () => {
        if (Atomics.load(s, STATE) === IDLE) return resolve(s[RESULT]);
        if ((performance.now() - t0) * 1000 < spinUs) return setImmediate(check);
        const w = Atomics.waitAsync(s, STATE, REQUEST);
        if (w.async) w.value.then(() => resolve(s[RESULT]));
        else resolve(s[RESULT]);
      };
      check();
    });
  const viaMessage = () =>
    new Promise((resolve) => {
      worker.once('message', resolve);
      worker.postMessage(0);
    });
  const hop = { koffi: viaKoffi, atomics: viaAtomics, 'atomics-spin': viaAtomics, message: viaMessage }[mode];
  if (!hop) throw new Error(`mode: koffi, atomics, atomics-spin or message, not ${mode}`);
  for (let i = 0; i < Math.min(2000, calls); i++) await hop();
  const t1 = performance.now();
  const c1 = process.cpuUsage();
  for (let i = 0; i < calls; i++) await hop();
  const seconds = (performance.now() - t1) / 1000;
  const { user, system } = process.cpuUsage(c1);
  console.log(JSON.stringify({ cycles: calls, seconds, cpuSeconds: (user + system) / 1e6 }));
  process.exit(0);
}
