/**
 * The only module that declares C signatures: the selected DPDK's shared libraries and our shim
 * (native/shim.c, built against that DPDK), through koffi. Everything above it speaks TypeScript.
 * No DPDK struct is declared here: the shim reads them and hands over its own (dphp_*).
 *
 * Contract: these are raw calls. Callers validate every argument first (a NULL or out-of-range
 * port id crashes DPDK) and treat the return code as the truth (rte_errno is thread-local and
 * often stale). Loaded lazily, once per process, on first use, from the DPDK that
 * dpdk-install.ts selected.
 */
import koffi from 'koffi';
import { type DpdkBinding, MAX_BURST, MAX_ETHPORTS, MAX_PACKET, type Pointer } from './dpdk-binding.js';
import { currentDpdk, type DpdkInstall, libraryPath, markLoaded } from './dpdk-install.js';
import { EalStateError } from './errors.js';
import { OffThreadWorker, WORKER_CALLS, type WorkerCallName } from './off-thread.js';
import { readyShim, type ShimChoice } from './shim-select.js';
import { versionNumber, versionOfNumber } from './versions.js';

const SHIM_ABI = 10;

/** The shim's own structs, as koffi lays them out; lib/layout.test.ts holds them to the C compiler's. */
export const STRUCTS = {
  dphp_port_info: {
    name: 'char[64]',
    device: 'char[64]',
    bus: 'char[32]',
    driver: 'char[64]',
    socket: 'int32_t',
    max_rx_queues: 'uint16_t',
    max_tx_queues: 'uint16_t',
    mac: 'uint8_t[6]',
    link_up: 'uint8_t',
    link_duplex: 'uint8_t',
    link_speed: 'uint32_t',
  },
  dphp_stats: {
    ipackets: 'uint64_t',
    opackets: 'uint64_t',
    ibytes: 'uint64_t',
    obytes: 'uint64_t',
    imissed: 'uint64_t',
    ierrors: 'uint64_t',
    oerrors: 'uint64_t',
    rx_nombuf: 'uint64_t',
  },
} as const;

let structs: Record<keyof typeof STRUCTS, koffi.IKoffiCType> | undefined;

/** koffi's types for STRUCTS, declared once per process. */
export function structTypes(): Record<keyof typeof STRUCTS, koffi.IKoffiCType> {
  structs ??= {
    dphp_port_info: koffi.struct('dphp_port_info', {
      ...STRUCTS.dphp_port_info,
      mac: koffi.array('uint8_t', 6, 'Array'),
    }),
    dphp_stats: koffi.struct('dphp_stats', STRUCTS.dphp_stats),
  };
  return structs;
}

function load(install: DpdkInstall) {
  // Opaque handles never leave the SDK.
  koffi.opaque('rte_mempool');
  structTypes();
  // The package's prebuilt shim for this DPDK's ABI, else one built into the user's cache.
  const chosen = readyShim(install);
  let eal: koffi.IKoffiLib;
  let ethdev: koffi.IKoffiLib;
  let mempool: koffi.IKoffiLib;
  let mbuf: koffi.IKoffiLib;
  let shim: koffi.IKoffiLib;
  let libc: koffi.IKoffiLib;
  try {
    // The shim first: its rpath makes the dynamic linker take DPDK's libraries (and their own
    // dependencies) from this DPDK's libdir. The loads by path below are then the same objects.
    shim = koffi.load(chosen.path);
    eal = koffi.load(libraryPath(install, 'eal'));
    ethdev = koffi.load(libraryPath(install, 'ethdev'));
    mempool = koffi.load(libraryPath(install, 'mempool'));
    mbuf = koffi.load(libraryPath(install, 'mbuf'));
    libc = koffi.load('libc.so.6');
  } catch (cause) {
    throw new EalStateError(
      'BINDING_UNAVAILABLE',
      `DPDK ${install.version}'s libraries in ${install.libdir} could not be loaded (${(cause as Error).message}): check that they and their dependencies load (\`ldd ${libraryPath(install, 'eal')}\`)`,
      { cause },
    );
  }
  const b = {
    // EAL
    rte_eal_init: eal.func('int rte_eal_init(int argc, void *argv)'),
    rte_eal_cleanup: eal.func('int rte_eal_cleanup(void)'),
    rte_version: eal.func('const char *rte_version(void)'),
    rte_strerror: eal.func('const char *rte_strerror(int errnum)'),
    rte_log_set_global_level: eal.func('void rte_log_set_global_level(uint32_t level)'),
    rte_eal_get_runtime_dir: eal.func('const char *rte_eal_get_runtime_dir(void)'),
    rte_eal_process_type: eal.func('int rte_eal_process_type(void)'),
    rte_dev_probe: eal.func('int rte_dev_probe(const char *devargs)'),
    rte_eal_hotplug_remove: eal.func(WORKER_CALLS.rte_eal_hotplug_remove.sig),
    rte_dev_hotplug_handle_enable: eal.func('int rte_dev_hotplug_handle_enable(void)'),
    rte_dev_hotplug_handle_disable: eal.func('int rte_dev_hotplug_handle_disable(void)'),
    rte_dev_event_monitor_start: eal.func('int rte_dev_event_monitor_start(void)'),
    rte_dev_event_monitor_stop: eal.func('int rte_dev_event_monitor_stop(void)'),
    // ethdev control path
    rte_eth_dev_is_valid_port: ethdev.func('int rte_eth_dev_is_valid_port(uint16_t port_id)'),
    rte_eth_dev_count_avail: ethdev.func('uint16_t rte_eth_dev_count_avail(void)'),
    rte_eth_rx_queue_setup: ethdev.func(
      'int rte_eth_rx_queue_setup(uint16_t port_id, uint16_t queue, uint16_t nb_desc, unsigned int socket_id, void *rx_conf, rte_mempool *mp)',
    ),
    rte_eth_tx_queue_setup: ethdev.func(WORKER_CALLS.rte_eth_tx_queue_setup.sig),
    rte_eth_dev_start: ethdev.func(WORKER_CALLS.rte_eth_dev_start.sig),
    rte_eth_dev_stop: ethdev.func(WORKER_CALLS.rte_eth_dev_stop.sig),
    rte_eth_dev_close: ethdev.func(WORKER_CALLS.rte_eth_dev_close.sig),
    // The bench's four-call floor only (tools/bench/koffi-floor.mjs): the SDK reads ports in the shim.
    rte_eth_dev_get_port_by_name: ethdev.func(
      'int rte_eth_dev_get_port_by_name(const char *name, _Out_ uint16_t *port_id)',
    ),
    rte_eth_promiscuous_enable: ethdev.func(WORKER_CALLS.rte_eth_promiscuous_enable.sig),
    rte_eth_stats_reset: ethdev.func('int rte_eth_stats_reset(uint16_t port_id)'),
    // mempool
    rte_pktmbuf_pool_create: mbuf.func(
      'rte_mempool *rte_pktmbuf_pool_create(const char *name, unsigned int n, unsigned int cache_size, uint16_t priv_size, uint16_t data_room_size, int socket_id)',
    ),
    rte_mempool_free: mempool.func('void rte_mempool_free(rte_mempool *mp)'),
    rte_mempool_in_use_count: mempool.func('unsigned int rte_mempool_in_use_count(const rte_mempool *mp)'),
    // libc: rte_eal_init prints its usage to stdout; the SDK points fd 1 elsewhere meanwhile.
    dup: libc.func('int dup(int fd)'),
    dup2: libc.func('int dup2(int fd, int fd2)'),
    close: libc.func('int close(int fd)'),
    fflush: libc.func('int fflush(void *stream)'),
    // Ends the process without exit()'s teardown, which joins libuv's thread pool: forever while
    // a DPDK call that timed out is still running on one of its threads (eal.ts).
    _exit: libc.func('void _exit(int status)'),
    // shim (native/shim.c)
    dphp_abi: shim.func(WORKER_CALLS.dphp_abi.sig),
    dphp_built_for: shim.func('int dphp_built_for(void)'),
    dphp_layout: shim.func('long dphp_layout(const char *name)'),
    dphp_stats: shim.func('int dphp_stats(uint16_t port, _Out_ dphp_stats *out)'),
    dphp_claim: shim.func('int dphp_claim(int tid)'),
    dphp_log_state: shim.func('void *dphp_log_state(void)'),
    dphp_log_install: shim.func('int dphp_log_install(int echo)'),
    dphp_log_echo: shim.func('void dphp_log_echo(int echo)'),
    dphp_events_open: shim.func('int dphp_events_open(void)'),
    dphp_events_close: shim.func('void dphp_events_close(void)'),
    dphp_end_intr_thread: shim.func('int dphp_end_intr_thread(int timeout_ms)'),
    dphp_end_telemetry: shim.func('int dphp_end_telemetry(int timeout_ms)'),
    dphp_event_size: shim.func('int dphp_event_size(void)'),
    dphp_events_dropped: shim.func('double dphp_events_dropped(void)'),
    dphp_device_ports: shim.func('int dphp_device_ports(const char *devname, _Out_ uint16_t *out, int cap)'),
    dphp_valid_ports: shim.func('int dphp_valid_ports(_Out_ uint16_t *out, int cap)'),
    dphp_device_probed: shim.func('int dphp_device_probed(const char *bus, const char *name)'),
    dphp_device_left: shim.func(
      'int dphp_device_left(const char *bus, const char *name, _Out_ uint16_t *out, int cap)',
    ),
    dphp_port_info: shim.func('int dphp_port_info(uint16_t port, _Out_ dphp_port_info *out)'),
    dphp_configure: shim.func(WORKER_CALLS.dphp_configure.sig),
    dphp_memzone_count: shim.func('int dphp_memzone_count(void)'),
    dphp_memzone_names: shim.func('int dphp_memzone_names(void *buf, int len)'),
    dphp_heap_in_use: shim.func('double dphp_heap_in_use(void)'),
    // The sync hot path: numbers and strings only, results and packets in the area (dpdk-binding.ts).
    dphp_area: shim.func('void *dphp_area(void)'),
    dphp_attach_area: shim.func(WORKER_CALLS.dphp_attach_area.sig),
    dphp_detach_area: shim.func(WORKER_CALLS.dphp_detach_area.sig),
    dphp_port_pool: shim.func('int dphp_port_pool(uint16_t port, rte_mempool *mp)'),
    dphp_tx: shim.func('uint16_t dphp_tx(uint16_t port, uint16_t queue, uint16_t n)'),
    dphp_rx: shim.func('uint16_t dphp_rx(uint16_t port, uint16_t queue, uint16_t n)'),
  };
  const at = (field: string) => b.dphp_layout(`dphp_area.${field}`) as number;
  const areaMemory = viewOf(b.dphp_area(), b.dphp_layout('dphp_area'));
  const seam = {
    ealInit: (argv: readonly string[]) => b.rte_eal_init(argv.length, permanentArgv(argv)) as number,
    logView: (bytes: number) => viewOf(b.dphp_log_state(), bytes),
    area: {
      ports: new Uint16Array(areaMemory, at('ports'), MAX_ETHPORTS),
      before: new Uint16Array(areaMemory, at('before'), MAX_ETHPORTS),
      left: new Int32Array(areaMemory, at('left'), 1),
      lens: new Uint16Array(areaMemory, at('lens'), MAX_BURST),
      data: Buffer.from(areaMemory, at('data'), MAX_BURST * MAX_PACKET),
    },
  };
  // A shim built here is for this exact DPDK; a prebuilt one for the DPDK of its stamp, of this
  // ABI (DPDK keeps an ABI stable across its releases).
  const wanted = versionNumber(chosen.kind === 'prebuilt' ? chosen.stamp.dpdk : install.version);
  const built = b.dphp_built_for();
  if (b.dphp_abi() !== SHIM_ABI || built !== wanted) {
    const v = versionOfNumber(built);
    throw new EalStateError(
      'BINDING_UNAVAILABLE',
      `The native shim at ${chosen.path} is stale (ABI ${b.dphp_abi()}, built for DPDK ${v}; DPDK ${install.version} is loaded, ABI ${SHIM_ABI} expected): run \`${install.buildCommand}\``,
    );
  }
  shimInUse = chosen;
  // Declared once the shim is known to be of this ABI: an older shim lacks it, and koffi's own
  // error would hide the stale-shim message above.
  const delays = {
    dphp_delays: shim.func('int dphp_delays(int mode)') as (mode: number) => number,
    dphp_delay_us: shim.func('void dphp_delay_us(unsigned int us)') as (us: number) => void,
  };
  // The async forms of the calls the worker makes go through it (off-thread.ts), made on first use.
  let worker: OffThreadWorker | undefined;
  const libs = {
    shim: chosen.path,
    eal: libraryPath(install, 'eal'),
    ethdev: libraryPath(install, 'ethdev'),
  };
  // The worker's calls straight through koffi, never through the worker: the bench's floor rows.
  const direct = {} as Record<WorkerCallName, Direct>;
  for (const name of Object.keys(WORKER_CALLS) as WorkerCallName[]) {
    direct[name] = b[name] as Direct;
    // The sync form: through the worker while it is hot (a burst of async calls: one thread for
    // all of a device's calls), else here.
    (b as Record<WorkerCallName, unknown>)[name] = viaHotWorker(name, direct[name], () => worker);
    (b[name] as { async: unknown }).async = (...argsAndDone: unknown[]) => {
      const done = argsAndDone.pop() as (error: unknown, rc: number) => void;
      worker ??= new OffThreadWorker(libs);
      worker.call(name, argsAndDone, done);
    };
  }
  // The seam Eal takes (dpdk-binding.ts), with every raw call besides for tests and the bench.
  return Object.assign(b, seam, delays, { offThreadWorker: () => worker, direct }) satisfies DpdkBinding;
}

type Direct = (...args: unknown[]) => number;

/**
 * A sync call that goes through the worker (`OffThreadWorker.callSync`, blocking) while the
 * worker is hot, else straight through koffi: one function per arity, as koffi refuses a call
 * with more arguments than its prototype.
 */
function viaHotWorker(
  name: WorkerCallName,
  direct: Direct,
  worker: () => OffThreadWorker | undefined,
): Direct {
  const hot = () => {
    const w = worker();
    return w?.hot() ? w : undefined;
  };
  switch (WORKER_CALLS[name].args.length) {
    case 0:
      return () => hot()?.callSync(name, []) ?? direct();
    case 1:
      return (a) => hot()?.callSync(name, [a]) ?? direct(a);
    case 2:
      return (a, b) => hot()?.callSync(name, [a, b]) ?? direct(a, b);
    case 3:
      return (a, b, c) => hot()?.callSync(name, [a, b, c]) ?? direct(a, b, c);
    default:
      return (...args) => hot()?.callSync(name, args) ?? direct(...args);
  }
}

/** The real binding: the seam and every raw call (tests of the binding itself, the bench). */
export type Binding = ReturnType<typeof load>;

let binding: Binding | undefined;
let shimInUse: ShimChoice | undefined;

/** The shim this process loaded (prebuilt or built into the cache), once the binding loaded. */
export function loadedShim(): ShimChoice | undefined {
  return shimInUse;
}

/** The process's one binding, loaded on first use from the DPDK selected then. */
export function dpdk(): Binding {
  if (!binding) {
    const install = currentDpdk();
    binding = load(install);
    markLoaded(install);
  }
  return binding;
}

/**
 * argv for rte_eal_init in memory that is never freed: getopt permutes argv and DPDK may keep
 * pointers into it for the life of the process.
 */
export function permanentArgv(args: readonly string[]): Pointer {
  const argv = koffi.alloc('char *', args.length + 1);
  const strings = args.map((arg) => {
    const bytes = Buffer.byteLength(arg) + 1;
    const p = koffi.alloc('char', bytes);
    koffi.encode(p, 'char', arg, bytes);
    return p;
  });
  koffi.encode(argv, koffi.array('char *', args.length + 1), [...strings, null]);
  return argv;
}

/** A view of C memory (the shim's log ring); valid for the life of the process. */
function viewOf(pointer: Pointer, bytes: number): ArrayBuffer {
  return koffi.view(pointer, bytes);
}

/**
 * For tests only: raise an ethdev event on a port as its PMD would, through DPDK's own callback
 * dispatch (internal symbols of librte_ethdev). Used to prove that a device-removal event raised
 * on another thread reaches JS without that thread waiting for JS.
 */
export function pmdEventRaiser(): (deviceName: string, event: number) => number {
  const ethdev = koffi.load(libraryPath(currentDpdk(), 'ethdev'));
  const allocated = ethdev.func('void *rte_eth_dev_allocated(const char *name)');
  const raise = ethdev.func('int rte_eth_dev_callback_process(void *dev, int event, void *ret_param)');
  return (deviceName, event) => {
    const dev = allocated(deviceName);
    if (!dev) throw new Error(`no ethdev named ${deviceName}`);
    return raise(dev, event, null) as number;
  };
}

/**
 * For tests only: DPDK's `rte_eth_dev_close` on a port, behind the SDK's back. A primary's SDK
 * leaves close to the device's removal (see PortTable); certification check 14 re-runs a failed
 * multi-process scenario in the other order (close, then remove) to say which order breaks.
 */
export function dpdkPortCloser(): (port: number) => number {
  const { rte_eth_dev_close } = dpdk();
  return (port) => rte_eth_dev_close(port) as number;
}
