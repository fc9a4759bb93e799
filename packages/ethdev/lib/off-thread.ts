/**
 * The async forms' mechanism: one persistent worker thread that makes DPDK's control calls
 * synchronously through its own koffi binding of the same libraries. Both threads sleep and wake
 * each other with raw futexes on a SharedArrayBuffer (libc's `syscall` through koffi, which passes
 * the shared memory itself): the worker sleeps on one while it waits for work; the main thread,
 * once it asked, sleeps on one for at most MAIN_WAIT_US (a fast call's answer: no trip through
 * the event loop), then awaits the answer with Atomics.waitAsync, the event loop running.
 * Chosen by measurement (docs/measurements.md, "The async round trip at its floor (issue 25,
 * session 11)"): V8's own Atomics.wait/notify/waitAsync cost twice the system calls (a global
 * lock the woken thread contends for) and about twice the CPU a round trip; koffi's async call
 * (a libuv pool thread) and postMessage cost more.
 *
 * Spinning, during bursts only ("The async worker spinning on a CPU of its own (issue 25,
 * session 12)"). EAL pins the main thread to its lcore and the worker, started after it,
 * inherits that pin: a spinner there takes the core the main thread needs. So the worker has a
 * home, the main thread's CPUs, where it sleeps between calls as above, and an away: the
 * process's other CPUs (read from /proc before rte_eal_init), where it spins up to
 * WORKER_SPIN_US between calls and the main thread, finding it awake there, polls for the
 * answer instead of sleeping (no futex wake either way). It goes away when a request comes
 * within SOON_US of the last answer (by the main thread's clock: a back-to-back caller), and
 * home when a window passes without one (the idle process: no CPU once it ended; free to come
 * back with the next burst) or when a spin was preempted, a gap of PREEMPTED_US between two
 * looks at the clock: then it stays home for a while, longer each time preemptions come close
 * together (its CPUs are busy: moving there means waiting for a turn), short again after a clean
 * stretch away (spin-backoff.ts, which says why).
 * Session 12's quiet-machine tuning ("The spinning worker tuned on a quiet machine"): with a
 * 50 µs window, a back-off after every return home and a 20 µs preemption gap, 3 of 20,000
 * cycles ran away (a VM's timer ticks read as preemptions; the first answer of a burst wakes the
 * main thread across cores, 75–88 µs, longer than the window); with these values, 64%.
 * A process of one CPU, or DPDK_HOTPLUG_WORKER_SPIN=0, never leaves home. Either way the main
 * thread blocks for at most MAIN_WAIT_US a call, and an exit still waits at most
 * WORKER_RAW_SLEEP_MS for the worker.
 * Where the futex system call's number is unknown (not x64 or arm64), V8's Atomics are used
 * (and the worker never spins).
 *
 * Calls whose arguments are numbers, strings, null and output arrays go through it; those that
 * take or return a pointer (mbuf pools) keep koffi's async call: a koffi pointer cannot cross
 * threads. One call at a time: the control queue never starts a second before the first
 * returned (DPDK's control API is not thread safe), so one shared page suffices.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import koffi from 'koffi';
import { SPIN_BACKOFF, spinBackoffMs } from './spin-backoff.js';

/** Atomics.waitAsync (Node 16+, V8), which this project's ES library target does not declare. */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(
      array: Int32Array,
      index: number,
      value: number,
    ): { async: false; value: string } | { async: true; value: Promise<string> };
  }
).waitAsync;

/** Settled once: `SETTLED.then(f)` runs `f` in a microtask. */
const SETTLED = Promise.resolve();

/**
 * The page's strings, by what they hold: each string argument has the slot of its role, so that
 * the calls of one device (attach, detach: its devargs, its bus, its name) find their strings
 * written already, and only a string that changed is encoded again.
 */
const STRING_SLOTS = { devargs: 0, name: 1, bus: 2 } as const;
type StringRole = keyof typeof STRING_SLOTS;
/**
 * How each argument crosses: a string (by its role), a number or null. No array crosses: what a
 * call makes beside its return code, the shim leaves in its area (the attach and detach below).
 */
type ArgKind = StringRole | 'n' | 'null';

/**
 * The worker thread's name (/proc/PID/task/TID/comm, `top -H`): the SDK's own thread, which a
 * leak analysis leaves out as it does Node's (Node 20 names its threads `node`).
 */
export const WORKER_THREAD_NAME = 'dphp-worker';

/** The switch of the worker's spinning: `0`, never (a process of one CPU never spins either). */
export const WORKER_SPIN_ENV = 'DPDK_HOTPLUG_WORKER_SPIN';

/**
 * The calls the worker makes, by name: its C signature and how its arguments cross. binding.ts
 * declares these functions from the same signatures: one prototype each (see koffi's own tests).
 */
export const WORKER_CALLS = {
  dphp_abi: { lib: 'shim', sig: 'int dphp_abi(void)', args: [] },
  // The attach and detach of one crossing each, into the shim's area (shim.c's `dphp_area`), as
  // the sync forms make them: the main thread reads the ports there once the answer came (one
  // call at a time: nothing else writes them meanwhile), and no array crosses either way.
  dphp_attach_area: {
    lib: 'shim',
    sig: 'int dphp_attach_area(const char *devargs, const char *devname)',
    args: ['devargs', 'name'],
  },
  dphp_detach_area: {
    lib: 'shim',
    sig: 'int dphp_detach_area(const char *bus, const char *name)',
    args: ['bus', 'name'],
  },
  rte_eal_hotplug_remove: {
    lib: 'eal',
    sig: 'int rte_eal_hotplug_remove(const char *busname, const char *devname)',
    args: ['bus', 'name'],
  },
  dphp_configure: {
    lib: 'shim',
    sig: 'int dphp_configure(uint16_t port, uint16_t rxq, uint16_t txq)',
    args: ['n', 'n', 'n'],
  },
  rte_eth_dev_start: { lib: 'ethdev', sig: 'int rte_eth_dev_start(uint16_t port_id)', args: ['n'] },
  rte_eth_dev_stop: { lib: 'ethdev', sig: 'int rte_eth_dev_stop(uint16_t port_id)', args: ['n'] },
  rte_eth_dev_close: { lib: 'ethdev', sig: 'int rte_eth_dev_close(uint16_t port_id)', args: ['n'] },
  rte_eth_promiscuous_enable: {
    lib: 'ethdev',
    sig: 'int rte_eth_promiscuous_enable(uint16_t port_id)',
    args: ['n'],
  },
  rte_eth_tx_queue_setup: {
    lib: 'ethdev',
    sig: 'int rte_eth_tx_queue_setup(uint16_t port_id, uint16_t queue, uint16_t nb_desc, unsigned int socket_id, void *tx_conf)',
    args: ['n', 'n', 'n', 'n', 'null'],
  },
} as const satisfies Record<string, { lib: string; sig: string; args: readonly ArgKind[] }>;

export type WorkerCallName = keyof typeof WORKER_CALLS;

/**
 * Each call's marshalling plan, made once, by name: its number on the worker (its index in
 * WORKER_CALLS), which arguments are strings and the page's slot of each, and which are numbers.
 */
interface OpPlan {
  readonly op: number;
  readonly strings: readonly { readonly at: number; readonly slot: number }[];
  readonly numbers: readonly number[];
}
const OPS = new Map<WorkerCallName, OpPlan>(
  (Object.keys(WORKER_CALLS) as WorkerCallName[]).map((name, op) => {
    const kinds = WORKER_CALLS[name].args as readonly ArgKind[];
    const strings = kinds.flatMap((k, at) =>
      k in STRING_SLOTS ? [{ at, slot: STRING_SLOTS[k as StringRole] }] : [],
    );
    const numbers = kinds.flatMap((k, i) => (k === 'n' ? [i] : []));
    return [name, { op, strings, numbers }];
  }),
);

// The shared page: slots, then up to 8 numbers, a NUL-terminated string per STRING_SLOTS.
const IDLE = 0;
const REQUEST = 1;
// 2: returned; 3: koffi threw (the message in the first string).
const FAILED = 3;

/**
 * `state` is the futex word both threads sleep on. `workerAsleep`: 0 awake, 1 in a raw futex,
 * 2 in V8's Atomics.wait. `mainWaiting`: 0 not waiting, 1 in a raw futex, 2 in waitAsync.
 */
const SLOT = {
  state: 0,
  op: 1,
  rc: 2,
  errLen: 5,
  workerAsleep: 6,
  mainWaiting: 7,
  spinning: 8,
  workerTid: 9,
  soon: 10,
  awayCpu: 11,
  /** How many of its spins were preempted, and how often it went away: for the bench. */
  preemptions: 12,
  aways: 13,
  /** How many sync calls went through the worker while it was hot: for tests. */
  syncCalls: 14,
} as const;
/** How long the main thread sleeps for a call's answer before it awaits it with the loop running. */
const MAIN_WAIT_US = 100;
/** A request this soon after the last answer (main thread's clock) comes from a burst of calls. */
const SOON_US = 50;
/**
 * How long the worker, on CPUs of its own, spins for the next request after an answer: longer
 * than a futex wake of the main thread across cores (75–88 µs on this VM) and its continuation,
 * so the first answer of a burst, which wakes the main thread, does not end the burst's spin.
 */
const WORKER_SPIN_US = 250;
/**
 * A gap this long between two looks at the clock in a spin: another thread took the CPU (a
 * timer tick or a VM's steal is shorter: 20 µs read those as preemptions and backed off).
 */
const PREEMPTED_US = 200;
/**
 * How long the idle worker sleeps on a raw futex before V8's Atomics.wait: Node's exit can end a
 * thread in the latter, not in a system call, so an exit waits for at most this long.
 */
const WORKER_RAW_SLEEP_MS = 10;
/** futex(2)'s system call number, where known; elsewhere V8's Atomics only. */
const SYS_FUTEX: number | undefined = { x64: 202, arm64: 98 }[process.arch as string];
const FUTEX_WAIT_PRIVATE = 128;
const FUTEX_WAKE_PRIVATE = 129;
const FUTEX_SIGNATURE = 'long syscall(long nr, int32_t *word, int op, int value, void *timeout)';
/**
 * libc's `syscall` for futex(2), or undefined where the number is unknown or there is no glibc
 * (musl names its C library otherwise): V8's Atomics then, slower but the same.
 */
function loadFutex() {
  if (SYS_FUTEX === undefined) return undefined;
  try {
    return koffi.load('libc.so.6').func(FUTEX_SIGNATURE) as (
      nr: number,
      word: Int32Array,
      op: number,
      value: number,
      timeout: unknown,
    ) => number;
  } catch {
    return undefined;
  }
}
/** The CPUs a thread may run on, from /proc (Linux); undefined elsewhere. */
function cpusOf(statusPath: string): number[] | undefined {
  try {
    const line = /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync(statusPath, 'utf8'));
    if (!line) return undefined;
    return line[1]!.split(',').flatMap((range) => {
      const [from, to = from] = range.split('-').map(Number) as [number, number?];
      return Array.from({ length: to! - from + 1 }, (_, i) => from + i);
    });
  } catch {
    return undefined;
  }
}
/**
 * The process's CPUs when this module loaded: before rte_eal_init, which pins the main thread to
 * its lcore (the binding imports this module before it can start the EAL).
 */
const PROCESS_CPUS = cpusOf('/proc/self/status');
/**
 * The process's CPUs the main thread is not pinned to now: the worker's, if any. None (no
 * spinning, the worker stays on the main thread's CPUs) with DPDK_HOTPLUG_WORKER_SPIN=0.
 */
function workerCpus(main: number[] | undefined): number[] {
  if (process.env[WORKER_SPIN_ENV] === '0') return [];
  if (!PROCESS_CPUS || !main) return [];
  return PROCESS_CPUS.filter((cpu) => !main.includes(cpu));
}
const STRING_BYTES = 8192;
const LAYOUT = {
  slots: 0,
  numbers: 64,
  strings: 128,
  bytes: 128 + Object.keys(STRING_SLOTS).length * STRING_BYTES,
} as const;

/** The worker's code (CommonJS, run with eval: no file to find next to the sources or dist). */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const koffi = require(workerData.koffiPath);
const { shared, libs, calls, layout, slot, stringSlots, stringBytes, futex } = workerData;
const spinBackoffMs = ${spinBackoffMs.toString()};
const loaded = {};
for (const [name, path] of Object.entries(libs)) loaded[name] = koffi.load(path);
const fns = calls.map((c) => loaded[c.lib].func(c.sig));
const s = new Int32Array(shared, layout.slots, 16);
const numbers = new Float64Array(shared, layout.numbers, 8);
const strs = Object.values(stringSlots).map((k) => new Uint8Array(shared, layout.strings + k * stringBytes, stringBytes));
// Each call's argument list, made once: the shared strings, each its role's (the main thread
// writes each NUL-terminated: koffi passes a Uint8Array as the char pointer, no copy and no
// decode here) and nulls stay; numbers are written in before each call.
const argvs = calls.map((c) => c.args.map((kind) => (kind in stringSlots ? strs[stringSlots[kind]] : null)));
const utf8 = new TextEncoder();
const sys = futex.nr === undefined ? undefined : koffi.load('libc.so.6').func(futex.signature);
const rawSleep = new BigInt64Array([BigInt(Math.floor(futex.rawSleepMs / 1000)), BigInt((futex.rawSleepMs % 1000) * 1e6)]);
// The spin policy (see the header). Home: the main thread's CPUs, asleep between calls. Away:
// CPUs of its own, spinning between calls, while requests come soon after their answers.
const spin = workerData.spin;
const setaffinity = spin.cpus.length > 0 && sys
  ? koffi.load('libc.so.6').func('int sched_setaffinity(int pid, size_t size, const uint64_t *mask)')
  : undefined;
const maskOf = (cpus) => {
  const mask = new Array(16).fill(0n);
  for (const cpu of cpus) mask[cpu >> 6] |= 1n << BigInt(cpu & 63);
  return mask;
};
const awayMask = maskOf(spin.cpus);
const homeMask = maskOf(spin.mainCpus);
const getcpu = setaffinity ? koffi.load('libc.so.6').func('int sched_getcpu(void)') : undefined;
s[slot.awayCpu] = -1;
let away = false;
// When it last went away, and how long it stayed away unpreempted since the last preemption (ms,
// wall time: spins and calls alike): a long clean stretch, a short back-off (spin-backoff.ts).
let awayAt = 0;
let cleanAway = 0;
const go = (toAway) => {
  if (setaffinity(0, 128, toAway ? awayMask : homeMask) !== 0) return;
  away = toAway;
  if (away) {
    s[slot.aways]++;
    awayAt = performance.now();
  }
  // Where it runs once away (the kernel moved it before setaffinity returned): for the tests.
  if (away) s[slot.awayCpu] = getcpu();
  Atomics.store(s, slot.spinning, away ? 1 : 0);
};
try { s[slot.workerTid] = koffi.load('libc.so.6').func('int gettid(void)')(); } catch {}
// Named for \`top -H\` and the lab's process timeline: Node 20 leaves every thread named "node".
try {
  const libc = koffi.load('libc.so.6');
  libc.func('int pthread_setname_np(uint64_t thread, const char *name)')(libc.func('uint64_t pthread_self(void)')(), workerData.threadName);
} catch {}
const now = () => performance.now();
const pause = typeof Atomics.pause === 'function' ? Atomics.pause : () => {};
let backoffUntil = 0;
let backoff = 0;
for (;;) {
  // Away: spinning for the next request, bounded. No request in the window, or a gap between
  // two looks at the clock (another thread took this CPU: not for a while): home, to sleep.
  if (away && Atomics.load(s, slot.state) !== 1) {
    let last = now();
    const end = last + spin.us / 1000;
    while (Atomics.load(s, slot.state) !== 1) {
      pause();
      const t = now();
      if (t - last > spin.preemptedUs / 1000) {
        // Preempted: home, and not away again for a while (spin-backoff.ts).
        backoff = spinBackoffMs(backoff, cleanAway + (last - awayAt), spin.backoff);
        backoffUntil = t + backoff;
        cleanAway = 0;
        s[slot.preemptions]++;
        go(false);
        break;
      }
      if (t > end) {
        // The burst paused: home to sleep, free to come back with the next burst.
        cleanAway += t - awayAt;
        go(false);
        break;
      }
      last = t;
    }
  }
  // Asleep until a request, on whatever the state is now (done, failed or idle), never spinning:
  // first on a raw futex (one system call each way), then, idle for long, in V8's Atomics.wait.
  for (let v = Atomics.load(s, slot.state); v !== 1; v = Atomics.load(s, slot.state)) {
    let asleep = 2;
    if (sys) {
      Atomics.store(s, slot.workerAsleep, 1);
      const rc = sys(futex.nr, s, futex.wait, v, rawSleep);
      // Woken, or the state had changed already: look again. Timed out: the long sleep.
      asleep = rc === 0 || Atomics.load(s, slot.state) !== v ? 0 : 2;
    }
    Atomics.store(s, slot.workerAsleep, asleep);
    if (asleep === 2) Atomics.wait(s, slot.state, v);
    Atomics.store(s, slot.workerAsleep, 0);
  }
  // Home, and this request came soon after the last answer (by the main thread's clock): away.
  if (!away && setaffinity && s[slot.soon] === 1 && now() >= backoffUntil) go(true);
  const op = s[slot.op];
  const kinds = calls[op].args;
  const args = argvs[op];
  let state = 2;
  try {
    for (let i = 0, num = 0; i < kinds.length; i++) if (kinds[i] === 'n') args[i] = numbers[num++];
    s[slot.rc] = fns[op].apply(null, args);
  } catch (e) {
    state = 3;
    s[slot.errLen] = utf8.encodeInto(String(e && e.message || e), strs[0]).written;
  }
  Atomics.store(s, slot.state, state);
  const waiting = Atomics.load(s, slot.mainWaiting);
  if (waiting === 1) sys(futex.nr, s, futex.wake, 1, null);
  else if (waiting === 2) Atomics.notify(s, slot.state);
}
`;

/** The libraries the worker loads by path (the same objects the main thread has loaded). */
export interface WorkerLibraries {
  readonly shim: string;
  readonly eal: string;
  readonly ethdev: string;
}

/** The persistent worker and its shared page. */
export class OffThreadWorker {
  readonly #worker: Worker;
  readonly #slots: Int32Array;
  readonly #numbers: Float64Array;
  /** The page's strings, by slot (STRING_SLOTS). */
  readonly #strings: Uint8Array[];
  readonly #utf8 = new TextEncoder();
  /**
   * The string in each slot of the page now: an argument equal to the one there is not encoded
   * again (a cycle's calls name the same device; an encode is a call into C++ each).
   */
  readonly #written: Array<string | undefined>;
  /** The call on the worker now, if any: its name and callback. */
  #jobName: WorkerCallName = 'dphp_abi';
  #jobDone: ((error: unknown, rc: number) => void) | undefined;
  /** Whether the main thread polls for this call's answer (the worker was spinning) or sleeps. */
  #poll = false;
  /** Whether the worker holds the process alive now: only while this thread awaits an answer with the loop running. */
  #refd = false;
  /** Whether the worker thread ended (Node's exit, or an error of its own): never hot then. */
  #exited = false;
  /** When this thread saw the last answer (performance.now()): was the next request soon after? */
  #answeredAt = Number.NEGATIVE_INFINITY;
  /** libc's `syscall`, for futex(2); undefined where its number is unknown. */
  readonly #futex:
    | ((nr: number, word: Int32Array, op: number, value: number, timeout: unknown) => number)
    | undefined;
  /** MAIN_WAIT_US as futex(2)'s relative timeout (a struct timespec). */
  readonly #mainWait = new BigInt64Array([0n, BigInt(MAIN_WAIT_US * 1000)]);

  constructor(libs: WorkerLibraries) {
    this.#futex = loadFutex();
    const shared = new SharedArrayBuffer(LAYOUT.bytes);
    this.#slots = new Int32Array(shared, LAYOUT.slots, 16);
    this.#numbers = new Float64Array(shared, LAYOUT.numbers, 8);
    this.#strings = Object.values(STRING_SLOTS).map(
      (k) => new Uint8Array(shared, LAYOUT.strings + k * STRING_BYTES, STRING_BYTES),
    );
    this.#written = this.#strings.map(() => undefined);
    // The main thread's CPUs now (EAL pinned it): the worker's home; the others are its away.
    const mainCpus = cpusOf(`/proc/self/task/${process.pid}/status`);
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        koffiPath: createRequire(import.meta.url).resolve('koffi'),
        shared,
        libs,
        calls: [...OPS.keys()].map((name) => WORKER_CALLS[name]),
        layout: LAYOUT,
        slot: SLOT,
        stringSlots: STRING_SLOTS,
        stringBytes: STRING_BYTES,
        threadName: WORKER_THREAD_NAME,
        futex: {
          nr: this.#futex ? SYS_FUTEX : undefined,
          signature: FUTEX_SIGNATURE,
          wait: FUTEX_WAIT_PRIVATE,
          wake: FUTEX_WAKE_PRIVATE,
          rawSleepMs: WORKER_RAW_SLEEP_MS,
        },
        spin: {
          cpus: this.#futex ? workerCpus(mainCpus) : [],
          mainCpus: mainCpus ?? [],
          us: WORKER_SPIN_US,
          preemptedUs: PREEMPTED_US,
          backoff: SPIN_BACKOFF,
        },
      },
      // DPDK's output is the process's: the worker writes nothing of its own.
      stdout: false,
      stderr: false,
    });
    // Never keeps the process alive by itself; while a call runs past the first look, #firstLook holds a ref.
    this.#worker.unref();
    this.#worker.once('exit', () => {
      this.#exited = true;
    });
  }

  /**
   * The worker's thread id (0 until it started, or where libc has no gettid), whether it is away
   * now (on CPUs of its own, spinning between calls) and the CPU it ran on when it last went away
   * (-1: never), how many of its spins were preempted, how often it went away and how many sync
   * calls it made: for tests and the bench.
   */
  thread(): {
    tid: number;
    spinning: boolean;
    awayCpu: number;
    preemptions: number;
    aways: number;
    syncCalls: number;
  } {
    return {
      syncCalls: Atomics.load(this.#slots, SLOT.syncCalls),
      awayCpu: Atomics.load(this.#slots, SLOT.awayCpu),
      preemptions: Atomics.load(this.#slots, SLOT.preemptions),
      aways: Atomics.load(this.#slots, SLOT.aways),
      tid: Atomics.load(this.#slots, SLOT.workerTid),
      spinning: Atomics.load(this.#slots, SLOT.spinning) === 1,
    };
  }

  /**
   * Makes `name` on the worker thread; `done` runs on this thread when it returned. Throws when
   * a call is already running there.
   */
  call(name: WorkerCallName, args: readonly unknown[], done: (error: unknown, rc: number) => void): void {
    if (this.#jobDone) throw new Error(`${name}: the off-thread worker is busy (one call at a time)`);
    // Marshalled first: an argument refused (too long) leaves the worker free.
    const poll = this.#request(name, args);
    this.#jobName = name;
    this.#jobDone = done;
    this.#poll = poll;
    // `done` never runs inside `call`, as with koffi's async call: the first look is a microtask,
    // a reaction of a settled promise (Node's queueMicrotask makes an AsyncResource and a bound
    // function each time, and enters and leaves its async scope around the callback).
    SETTLED.then(this.#firstLook);
  }

  /**
   * Whether the worker is awake on a CPU of its own with no call: a sync call made now through
   * it (`callSync`) keeps a burst's DPDK calls on one thread.
   */
  hot(): boolean {
    const s = this.#slots;
    return (
      !this.#exited &&
      this.#jobDone === undefined &&
      Atomics.load(s, SLOT.spinning) === 1 &&
      Atomics.load(s, SLOT.workerAsleep) === 0
    );
  }

  /**
   * Makes `name` on the worker thread and waits for it, this thread blocked as in a direct call:
   * for a sync call made while the worker is `hot`. DPDK's control calls of a device made on two
   * threads in turn pay for its data moving between the CPUs' caches: on DPDK 24.11 a close made
   * on this thread between an attach and a detach on the worker took 9.5 µs instead of about 1
   * (docs/measurements.md, "The async cycle's DPDK calls on one thread (16th session)").
   */
  callSync(name: WorkerCallName, args: readonly unknown[]): number {
    if (this.#jobDone) throw new Error(`${name}: the off-thread worker is busy (one call at a time)`);
    this.#request(name, args);
    const s = this.#slots;
    // The worker is awake elsewhere: look for its answer, then (preempted there) sleep for it.
    const end = performance.now() + MAIN_WAIT_US / 1000;
    for (let i = 1; Atomics.load(s, SLOT.state) === REQUEST; i++) {
      if ((i & 31) !== 0 || performance.now() < end) continue;
      // Its thread gone meanwhile: its 'exit' event is this blocked thread's to run, so ask Linux.
      if (!this.#threadAlive()) throw new Error(`${name}: the off-thread worker's thread ended`);
      if (!this.#futex) {
        Atomics.wait(s, SLOT.state, REQUEST, WORKER_RAW_SLEEP_MS);
        continue;
      }
      Atomics.store(s, SLOT.mainWaiting, 1);
      this.#futex(SYS_FUTEX!, s, FUTEX_WAIT_PRIVATE, REQUEST, this.#mainWait);
      Atomics.store(s, SLOT.mainWaiting, 0);
    }
    const state = Atomics.load(s, SLOT.state);
    this.#answeredAt = performance.now();
    Atomics.store(s, SLOT.state, IDLE);
    Atomics.add(s, SLOT.syncCalls, 1);
    if (state === FAILED) throw this.#failure(name);
    return s[SLOT.rc]!;
  }

  /** What koffi threw on the worker: it wrote the message over the first string. */
  #failure(name: WorkerCallName): Error {
    this.#written[0] = undefined;
    const message = new TextDecoder().decode(this.#strings[0]!.slice(0, this.#slots[SLOT.errLen]));
    return new Error(`${name} failed on the worker thread: ${message}`);
  }

  /** Whether the worker's thread still exists (its /proc entry; true where its id is unknown). */
  #threadAlive(): boolean {
    const tid = Atomics.load(this.#slots, SLOT.workerTid);
    return tid === 0 || existsSync(`/proc/self/task/${tid}`);
  }

  /**
   * Writes a call's request into the page and wakes the worker if it sleeps; whether it was
   * awake on a CPU of its own (its answer then needs only a look, no wake-up).
   */
  #request(name: WorkerCallName, args: readonly unknown[]): boolean {
    // A Map: the name differs from call to call, and a keyed load of it would go megamorphic.
    const { op, strings, numbers } = OPS.get(name)!;
    const s = this.#slots;
    for (let i = 0; i < strings.length; i++) {
      const { at, slot } = strings[i]!;
      const text = args[at] as string;
      if (text !== this.#written[slot]) this.#encode(name, at, text, slot);
    }
    for (let i = 0; i < numbers.length; i++) this.#numbers[i] = args[numbers[i]!] as number;
    s[SLOT.op] = op;
    s[SLOT.soon] = performance.now() - this.#answeredAt <= SOON_US / 1000 ? 1 : 0;
    Atomics.store(s, SLOT.state, REQUEST);
    const asleep = Atomics.load(s, SLOT.workerAsleep);
    if (asleep === 1) this.#futex!(SYS_FUTEX!, s, FUTEX_WAKE_PRIVATE, 1, null);
    else if (asleep === 2) Atomics.notify(s, SLOT.state);
    return asleep === 0 && Atomics.load(s, SLOT.spinning) === 1;
  }

  /**
   * Sleeps on the futex for up to MAIN_WAIT_US: a fast call's answer then costs two system calls
   * instead of a trip through the event loop. A wake-up may be late (the previous call's) or
   * early: the state is read again after each.
   */
  readonly #firstLook = (): void => {
    const s = this.#slots;
    let slept = false;
    if (this.#poll) {
      // The worker was awake on a CPU of its own: its answer needs no wake-up, only a look.
      // The clock read every 32nd look: a look takes nanoseconds, a read of the clock ten times
      // as long, and the answer is seen that much sooner.
      const end = performance.now() + MAIN_WAIT_US / 1000;
      for (let i = 1; Atomics.load(s, SLOT.state) === REQUEST; i++)
        if ((i & 31) === 0 && performance.now() >= end) break;
    } else if (this.#futex && Atomics.load(s, SLOT.state) === REQUEST) {
      Atomics.store(s, SLOT.mainWaiting, 1);
      this.#futex(SYS_FUTEX!, s, FUTEX_WAIT_PRIVATE, REQUEST, this.#mainWait);
      slept = true;
    }
    if (Atomics.load(s, SLOT.state) !== REQUEST) {
      // Answered: no wait with the loop running, no hold on the process (nothing returned to
      // the loop since the request: it could not have ended the process meanwhile).
      if (slept) Atomics.store(s, SLOT.mainWaiting, 0);
      this.#finish();
      return;
    }
    Atomics.store(s, SLOT.mainWaiting, 2);
    // While it runs, the worker holds the process alive (a pending waitAsync does not).
    this.#refd = true;
    this.#worker.ref();
    this.#wait();
  };

  /** Awaits the worker's answer; the previous call's late notify may wake it: the state is read again. */
  readonly #wait = (): void => {
    const s = this.#slots;
    if (Atomics.load(s, SLOT.state) !== REQUEST) {
      Atomics.store(s, SLOT.mainWaiting, 0);
      this.#finish();
      return;
    }
    const w = waitAsync(s, SLOT.state, REQUEST);
    if (w.async) w.value.then(this.#wait);
    else SETTLED.then(this.#wait);
  };

  readonly #finish = (): void => {
    const s = this.#slots;
    const done = this.#jobDone!;
    const state = Atomics.load(s, SLOT.state);
    this.#answeredAt = performance.now();
    this.#jobDone = undefined;
    if (this.#refd) {
      this.#refd = false;
      this.#worker.unref();
    }
    Atomics.store(s, SLOT.state, IDLE);
    if (state === FAILED) {
      done(this.#failure(this.#jobName), 0);
      return;
    }
    done(null, s[SLOT.rc]!);
  };

  /** Writes `text` NUL-terminated into the page's string `slot`. */
  #encode(name: WorkerCallName, i: number, text: string, slot: number): void {
    const target = this.#strings[slot]!;
    // Cut short, the slot holds no string the next call may reuse.
    this.#written[slot] = undefined;
    const { read, written } = this.#utf8.encodeInto(text, target);
    // Its NUL needs a byte too: the worker passes the shared bytes themselves as the C string.
    if (read !== text.length || written === STRING_BYTES)
      throw new Error(`${name}: argument ${i + 1} is too long`);
    target[written] = 0;
    this.#written[slot] = text;
  }
}
