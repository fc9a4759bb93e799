// The async mechanism's own price, for `npm run bench`: one empty C call (the shim's dphp_abi,
// no DPDK) made off the main thread and awaited, through each candidate mechanism:
// - `koffi`: koffi's async call (a libuv pool thread; its result comes back through the loop),
//   the SDK's before session 9;
// - `atomics`: a persistent worker_threads worker that makes the call synchronously, woken with
//   Atomics.notify on a SharedArrayBuffer, its answer awaited with Atomics.waitAsync (the SDK's
//   mechanism now, packages/ethdev/lib/off-thread.ts);
// - `atomics-spin`: the same, with the worker polling for up to 50 µs before it sleeps and the
//   main thread polling (setImmediate, the loop keeps running) for up to 50 µs before it waits;
// - `atomics-block`: the same worker, the main thread blocked in Atomics.wait until it answers
//   (the event loop stops meanwhile, so the SDK cannot do this): the floor of a thread handoff;
// - `message`: the same worker, asked and answered with postMessage.
// With `-cycle` (`koffi-cycle`, `atomics-cycle`): a whole async net_null0 cycle instead, raw (no
// SDK logic): the shim's dphp_attach off the main thread, rte_eth_dev_close on it, dphp_detach
// off it, through koffi's async call or through the worker (its own koffi binding of the shim);
// EAL options as JSON in the third argument.
// Usage: node round-trip.mjs koffi|atomics|atomics-spin|atomics-block|message|koffi-cycle|atomics-cycle CALLS [EAL-OPTIONS-JSON]
// Prints one JSON line: {"cycles", "seconds", "cpuSeconds"} (CPU: every thread of the process).
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import koffi from 'koffi';

const REQUEST = 1;
const IDLE = 0;
/** Int32 slots of the shared page: [state, result, worker asleep, op, string lengths]. */
const [STATE, RESULT, ASLEEP, OP, LEN_A, LEN_B] = [0, 1, 2, 3, 4, 5];
/** The shared page: the slots, then ports, before, left, two strings. */
const layout = (shared) => ({
  slots: new Int32Array(shared, 0, 8),
  ports: new Uint16Array(shared, 64, 32),
  before: new Uint16Array(shared, 128, 32),
  left: new Int32Array(shared, 192, 1),
  a: new Uint8Array(shared, 256, 1024),
  b: new Uint8Array(shared, 1280, 1024),
});
const ATTACH = 1;
const DETACH = 2;

if (!isMainThread) {
  const { shared, shimPath, spinUs, mode } = workerData;
  const shim = koffi.load(shimPath);
  const abi = shim.func('int dphp_abi(void)');
  const attach = shim.func(
    'int dphp_attach(const char *devargs, const char *devname, _Out_ uint16_t *ports, _Out_ uint16_t *before, int cap)',
  );
  const detach = shim.func(
    'int dphp_detach(const char *bus, const char *name, _Out_ uint16_t *ports, _Out_ int32_t *left, int cap)',
  );
  const m = layout(shared);
  const s = m.slots;
  const text = new TextDecoder();
  const arg = (bytes, n) => text.decode(bytes.slice(0, n));
  const serve = () => {
    const op = s[OP];
    if (op === ATTACH) return attach(arg(m.a, s[LEN_A]), arg(m.b, s[LEN_B]), m.ports, m.before, 32);
    if (op === DETACH) return detach(arg(m.a, s[LEN_A]), arg(m.b, s[LEN_B]), m.ports, m.left, 32);
    return abi();
  };
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
      s[RESULT] = serve();
      Atomics.store(s, STATE, IDLE);
      Atomics.notify(s, STATE);
    }
  }
} else {
  // Internal on purpose: a benchmark of the binding itself.
  const { dpdk, loadedShim } = await import('../../packages/ethdev/dist/binding.js');
  const { Eal } = await import('@dpdk-hotplug/ethdev');
  const [mode, callsText, ealJson] = process.argv.slice(2);
  const calls = Number(callsText);
  const eal = ealJson ? Eal.init(JSON.parse(ealJson)) : undefined;
  const b = dpdk();
  const shared = new SharedArrayBuffer(2304);
  const m = layout(shared);
  const s = m.slots;
  const utf8 = new TextEncoder();
  const spinUs = mode === 'atomics-spin' ? 50 : 0;
  let worker;
  if (!mode.startsWith('koffi')) {
    worker = new Worker(new URL(import.meta.url), {
      workerData: { shared, shimPath: loadedShim().path, spinUs, mode },
    });
    if (mode !== 'message') await new Promise((r) => worker.once('message', r));
  }
  const viaKoffi = () =>
    new Promise((resolve, reject) => b.dphp_abi.async((error, rc) => (error ? reject(error) : resolve(rc))));
  // A worker's late notify (preempted between its store and its notify) can wake the next
  // call's wait: the state is read again after every wake.
  const viaAtomics = (op = 0, a = '', bArg = '') =>
    new Promise((resolve) => {
      s[OP] = op;
      s[LEN_A] = utf8.encodeInto(a, m.a).written;
      s[LEN_B] = utf8.encodeInto(bArg, m.b).written;
      Atomics.store(s, STATE, REQUEST);
      if (Atomics.load(s, ASLEEP) === 1) Atomics.notify(s, STATE);
      const t0 = performance.now();
      const check = () => {
        if (Atomics.load(s, STATE) === IDLE) return resolve(s[RESULT]);
        if ((performance.now() - t0) * 1000 < spinUs) return setImmediate(check);
        const wait = () => {
          if (Atomics.load(s, STATE) === IDLE) return resolve(s[RESULT]);
          const w = Atomics.waitAsync(s, STATE, REQUEST);
          if (w.async) w.value.then(wait);
          else wait();
        };
        wait();
      };
      check();
    });
  const ports = new Uint16Array(32);
  const before = new Uint16Array(32);
  const left = new Int32Array(1);
  const koffiCall = (fn, ...args) =>
    new Promise((resolve, reject) => fn.async(...args, (error, rc) => (error ? reject(error) : resolve(rc))));
  /** attach, close, detach of net_null0, raw, each checked. */
  const rawCycle = async (viaWorker) => {
    const n = viaWorker
      ? await viaAtomics(ATTACH, 'net_null0', 'net_null0')
      : await koffiCall(b.dphp_attach, 'net_null0', 'net_null0', ports, before, 32);
    if (viaWorker) ports.set(m.ports);
    if (n !== 1) throw new Error(`attach: ${n}`);
    if (b.rte_eth_dev_close(ports[0]) !== 0) throw new Error('close failed');
    const rc = viaWorker
      ? await viaAtomics(DETACH, 'vdev', 'net_null0')
      : await koffiCall(b.dphp_detach, 'vdev', 'net_null0', ports, left, 32);
    if (viaWorker) left[0] = m.left[0];
    if (rc !== 0 || left[0] !== 0) throw new Error(`detach: ${rc}, left ${left[0]}`);
  };
  // The floor of any handoff between two threads here: the main thread blocked in Atomics.wait
  // until the worker answers (the event loop stopped meanwhile: not usable by the SDK).
  const viaBlocking = () => {
    s[OP] = 0;
    Atomics.store(s, STATE, REQUEST);
    if (Atomics.load(s, ASLEEP) === 1) Atomics.notify(s, STATE);
    while (Atomics.load(s, STATE) === REQUEST) Atomics.wait(s, STATE, REQUEST);
    return Promise.resolve(s[RESULT]);
  };
  const viaMessage = () =>
    new Promise((resolve) => {
      worker.once('message', resolve);
      worker.postMessage(0);
    });
  const hop = {
    koffi: viaKoffi,
    atomics: () => viaAtomics(),
    'atomics-spin': () => viaAtomics(),
    'atomics-block': viaBlocking,
    message: viaMessage,
    'koffi-cycle': () => rawCycle(false),
    'atomics-cycle': () => rawCycle(true),
  }[mode];
  if (!hop)
    throw new Error(`mode: koffi, atomics, atomics-spin, message or one of them with -cycle, not ${mode}`);
  for (let i = 0; i < Math.min(2000, calls); i++) await hop();
  const t1 = performance.now();
  const c1 = process.cpuUsage();
  for (let i = 0; i < calls; i++) await hop();
  const seconds = (performance.now() - t1) / 1000;
  const { user, system } = process.cpuUsage(c1);
  eal?.cleanup();
  console.log(JSON.stringify({ cycles: calls, seconds, cpuSeconds: (user + system) / 1e6 }));
  process.exit(0);
}
