// The async mechanism's own price, for `npm run bench`: one empty C call (the shim's dphp_abi,
// no DPDK) made off the main thread and awaited, through each candidate mechanism:
// - `koffi`: koffi's async call (a libuv pool thread; its result comes back through the loop),
//   the SDK's before session 9;
// - `atomics`: a persistent worker_threads worker that makes the call synchronously, woken with
//   Atomics.notify on a SharedArrayBuffer, its answer awaited with Atomics.waitAsync (the SDK's
//   from session 9 to 11);
// - `atomics-spin`: the same, the worker spinning up to 50 µs (Atomics.pause where Node has it)
//   for the next request before it sleeps, the main thread spinning up to 20 µs for the answer
//   before it awaits;
// - `atomics-block`: the same worker, the main thread blocked in Atomics.wait until it answers
//   (the event loop stops meanwhile, so the SDK cannot do this);
// - `futex`: the same worker, both threads sleeping on raw futexes (libc's syscall through
//   koffi, on the shared memory itself), the main thread for at most 100 µs before it awaits
//   with Atomics.waitAsync (the SDK's mechanism now, packages/ethdev/lib/off-thread.ts);
// - `message`: the same worker, asked and answered with postMessage.
// With `-cycle` (`koffi-cycle`, `atomics-cycle`, `futex-cycle`): a whole async net_null0 cycle
// instead, raw (no SDK logic): the shim's dphp_attach_area off the main thread, rte_eth_dev_close
// on it, dphp_detach_area off it, their results read from the shim's area (as the SDK's async
// forms make and read them); EAL options as JSON in the third argument. EAL pins the main thread to
// its lcore and the worker, started after, inherits it: both share one core.
// ROUND_TRIP_WORKER_CPUS=<mask> sets the worker's own CPUs (e.g. 2: CPU 1) to measure it elsewhere.
// Usage: node round-trip.mjs koffi|atomics|atomics-spin|atomics-block|futex|message|koffi-cycle|atomics-cycle|futex-cycle CALLS [EAL-OPTIONS-JSON]
// Prints one JSON line: {"cycles", "seconds", "cpuSeconds"} (CPU: every thread of the process).
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import koffi from 'koffi';

const REQUEST = 1;
const IDLE = 0;
/** The idle worker's state before the process exits: it leaves its raw futex for Atomics.wait. */
const QUIT = 9;
/** Int32 slots of the shared page. ASLEEP: the worker sleeps; MAIN_WAITING: 1 raw futex, 2 waitAsync. */
const [STATE, RESULT, ASLEEP, OP, LEN_A, LEN_B, MAIN_WAITING] = [0, 1, 2, 3, 4, 5, 6];
/** The shared page: the slots, then two strings. */
const layout = (shared) => ({
  slots: new Int32Array(shared, 0, 8),
  a: new Uint8Array(shared, 256, 1024),
  b: new Uint8Array(shared, 1280, 1024),
});
const ATTACH_AREA = 'int dphp_attach_area(const char *devargs, const char *devname)';
const DETACH_AREA = 'int dphp_detach_area(const char *bus, const char *name)';
const ATTACH = 1;
const DETACH = 2;
const SYS_FUTEX = { x64: 202, arm64: 98 }[process.arch];
const [FUTEX_WAIT, FUTEX_WAKE] = [128, 129];
const futexCall = () =>
  koffi.load('libc.so.6').func('long syscall(long nr, int32_t *word, int op, int value, void *timeout)');
const now = () => performance.now();

if (!isMainThread) {
  const { shared, shimPath, mode } = workerData;
  const shim = koffi.load(shimPath);
  if (process.env.ROUND_TRIP_WORKER_CPUS) {
    const setaffinity = koffi
      .load('libc.so.6')
      .func('int sched_setaffinity(int pid, size_t size, const uint64_t *mask)');
    if (setaffinity(0, 8, [BigInt(process.env.ROUND_TRIP_WORKER_CPUS)]) !== 0)
      throw new Error('sched_setaffinity');
  }
  const abi = shim.func('int dphp_abi(void)');
  const attach = shim.func(ATTACH_AREA);
  const detach = shim.func(DETACH_AREA);
  const m = layout(shared);
  const s = m.slots;
  const text = new TextDecoder();
  const arg = (bytes, n) => text.decode(bytes.slice(0, n));
  const serve = () => {
    const op = s[OP];
    if (op === ATTACH) return attach(arg(m.a, s[LEN_A]), arg(m.b, s[LEN_B]));
    if (op === DETACH) return detach(arg(m.a, s[LEN_A]), arg(m.b, s[LEN_B]));
    return abi();
  };
  const futex = mode.startsWith('futex') ? futexCall() : undefined;
  const spinUs = mode === 'atomics-spin' ? 50 : 0;
  const pause = Atomics.pause ?? (() => {});
  if (mode === 'message') {
    parentPort.on('message', () => parentPort.postMessage(abi()));
  } else {
    parentPort.postMessage('ready');
    for (;;) {
      const t0 = now();
      while (Atomics.load(s, STATE) !== REQUEST && (now() - t0) * 1000 < spinUs) pause();
      if (Atomics.load(s, STATE) !== REQUEST) {
        Atomics.store(s, ASLEEP, 1);
        if (Atomics.load(s, STATE) === QUIT) Atomics.wait(s, STATE, QUIT);
        else if (futex) futex(SYS_FUTEX, s, FUTEX_WAIT, IDLE, null);
        else Atomics.wait(s, STATE, IDLE);
        Atomics.store(s, ASLEEP, 0);
        continue;
      }
      s[RESULT] = serve();
      Atomics.store(s, STATE, IDLE);
      const waiting = Atomics.load(s, MAIN_WAITING);
      if (futex && waiting === 1) futex(SYS_FUTEX, s, FUTEX_WAKE, 1, null);
      else if (!futex || waiting === 2) Atomics.notify(s, STATE);
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
  const futex = mode.startsWith('futex') ? futexCall() : undefined;
  let worker;
  if (!mode.startsWith('koffi')) {
    worker = new Worker(new URL(import.meta.url), {
      workerData: { shared, shimPath: loadedShim().path, mode },
    });
    if (mode !== 'message') await new Promise((r) => worker.once('message', r));
  }
  // koffi's own functions: the binding's `.async` of these goes through the SDK's worker.
  const own = koffi.load(loadedShim().path);
  const k = {
    abi: own.func('int dphp_abi(void)'),
    attach: own.func(ATTACH_AREA),
    detach: own.func(DETACH_AREA),
  };
  const viaKoffi = () =>
    new Promise((resolve, reject) => k.abi.async((error, rc) => (error ? reject(error) : resolve(rc))));
  const ask = (op, a, bArg) => {
    s[OP] = op;
    if (op) {
      s[LEN_A] = utf8.encodeInto(a, m.a).written;
      s[LEN_B] = utf8.encodeInto(bArg, m.b).written;
    }
    Atomics.store(s, STATE, REQUEST);
    if (Atomics.load(s, ASLEEP) === 1) {
      if (futex) futex(SYS_FUTEX, s, FUTEX_WAKE, 1, null);
      else Atomics.notify(s, STATE);
    }
  };
  // Awaits the answer with the loop running. A late wake-up (the previous call's) may come:
  // the state is read again after every one.
  const awaitAnswer = (resolve) => {
    Atomics.store(s, MAIN_WAITING, 2);
    const wait = () => {
      if (Atomics.load(s, STATE) === IDLE) {
        Atomics.store(s, MAIN_WAITING, 0);
        return resolve(s[RESULT]);
      }
      const w = Atomics.waitAsync(s, STATE, REQUEST);
      if (w.async) w.value.then(wait);
      else wait();
    };
    wait();
  };
  const mainSpinUs = mode.startsWith('atomics-spin') ? 20 : 0;
  const timeout = new BigInt64Array([0n, 100_000n]);
  const viaWorker = (op = 0, a = '', bArg = '') =>
    new Promise((resolve) => {
      ask(op, a, bArg);
      queueMicrotask(() => {
        const t0 = now();
        while (Atomics.load(s, STATE) !== IDLE && (now() - t0) * 1000 < mainSpinUs);
        if (futex && Atomics.load(s, STATE) === REQUEST) {
          Atomics.store(s, MAIN_WAITING, 1);
          futex(SYS_FUTEX, s, FUTEX_WAIT, REQUEST, timeout);
        }
        awaitAnswer(resolve);
      });
    });
  const koffiCall = (fn, ...args) =>
    new Promise((resolve, reject) => fn.async(...args, (error, rc) => (error ? reject(error) : resolve(rc))));
  const { ports, left } = b.area;
  /** attach, close, detach of net_null0, raw, each checked. */
  const rawCycle = async (onWorker) => {
    const n = onWorker
      ? await viaWorker(ATTACH, 'net_null0', 'net_null0')
      : await koffiCall(k.attach, 'net_null0', 'net_null0');
    if (n !== 1) throw new Error(`attach: ${n}`);
    if (b.rte_eth_dev_close(ports[0]) !== 0) throw new Error('close failed');
    const rc = onWorker
      ? await viaWorker(DETACH, 'vdev', 'net_null0')
      : await koffiCall(k.detach, 'vdev', 'net_null0');
    if (rc !== 0 || left[0] !== 0) throw new Error(`detach: ${rc}, left ${left[0]}`);
  };
  // The main thread blocked in Atomics.wait until the worker answers (the event loop stopped
  // meanwhile: not usable by the SDK).
  const viaBlocking = () => {
    ask(0);
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
    atomics: () => viaWorker(),
    'atomics-spin': () => viaWorker(),
    'atomics-block': viaBlocking,
    futex: () => viaWorker(),
    message: viaMessage,
    'koffi-cycle': () => rawCycle(false),
    'atomics-cycle': () => rawCycle(true),
    'futex-cycle': () => rawCycle(true),
  }[mode];
  if (!hop)
    throw new Error(
      `mode: koffi, atomics, atomics-spin, atomics-block, futex, message or koffi/atomics/futex with -cycle, not ${mode}`,
    );
  for (let i = 0; i < Math.min(2000, calls); i++) await hop();
  const t1 = now();
  const c1 = process.cpuUsage();
  for (let i = 0; i < calls; i++) await hop();
  const seconds = (now() - t1) / 1000;
  const { user, system } = process.cpuUsage(c1);
  eal?.cleanup();
  if (futex) {
    // A thread asleep in a system call never ends: Node's exit would wait for it forever.
    Atomics.store(s, STATE, QUIT);
    futex(SYS_FUTEX, s, FUTEX_WAKE, 1, null);
  }
  console.log(JSON.stringify({ cycles: calls, seconds, cpuSeconds: (user + system) / 1e6 }));
  process.exit(0);
}
