declare const portIdBrand: unique symbol;

/**
 * A DPDK port id (0 … 31 in Debian's build). Branded so that a plain number has to be checked
 * (with {@link portId}) before it is used as one; the SDK hands out only valid ones.
 */
export type PortId = number & {
  /** Type-level brand only: no such property exists at run time. */
  readonly [portIdBrand]: true;
};

/**
 * One port for good: its id and its generation (from {@link PortInfo}, `ports()`, `port()` or
 * `attachPort`). DPDK 22.11 gives a closed port's id to the next port it makes; a handle still
 * names the port it was taken from, and once that port's device is detached, no port at all
 * (PORT_NOT_FOUND).
 */
export interface PortHandle {
  /** The port id DPDK gave the port (DPDK may give it to another port after a close). */
  readonly id: PortId;
  /** The port's number among every port this EAL has known: never given to another port. */
  readonly generation: number;
}

/**
 * A port handle from `attachPort`: `await using port = await eal.attachPort(…)` releases it at
 * the end of the scope (stop, close, detach; nothing if its device is detached already).
 */
export interface AttachedPort extends PortHandle, AsyncDisposable {
  /** The device the port belongs to (the PCI address or vdev name). */
  readonly device: string;
}

/**
 * How calls name a port: a raw id means the port holding it in DPDK now, else the one closed
 * port listed with it; a {@link PortHandle} means that port only.
 */
export type PortRef = PortId | PortHandle;

/**
 * Where a port is in its life. DPDK itself does not expose most of this, so the SDK keeps it:
 * every lifecycle call goes through the SDK.
 *
 * - `attached`: probed, not configured (also ports probed at EAL start with `--vdev`).
 * - `configured`: queues set up, not started. `started`: forwarding. `stopped`: after stop.
 * - `closed`: DPDK 22.11 has freed the port id, but the device is still probed; `detach`
 *   removes the device. The id may be reused by DPDK for the next port it creates.
 */
export type PortState = 'attached' | 'configured' | 'started' | 'stopped' | 'closed';

/** DPDK's log levels, by name. */
export type LogLevel = 'emergency' | 'alert' | 'critical' | 'error' | 'warning' | 'notice' | 'info' | 'debug';

/** Options for {@link Eal.init}; each maps to one EAL argument, named in its comment. */
export interface EalOptions {
  /**
   * `-l`: the lcores, as CPU numbers (`[0, 1]`) or a list (`"0-1,3"`), each a CPU this process may
   * run on and < 128 (RTE_MAX_LCORE). Default: the first CPU this process may run on (one lcore, no
   * workers).
   */
  lcores?: readonly number[] | string;
  /**
   * `-m`: memory to preallocate, in MiB: an integer 1 … the machine's memory (`os.totalmem()`).
   * DPDK 22.11 takes up to 2^20, but with `--no-huge` `-m 1000000` or more it died with SIGSEGV or
   * ran on for seconds (found by the fuzzer).
   */
  memoryMb?: number;
  /** `--no-huge`: anonymous memory instead of hugepages (no multi-process). */
  noHuge?: boolean;
  /** `--no-pci`: do not scan the PCI bus. */
  noPci?: boolean;
  /** `--vdev`, once each: virtual devices probed at start, each checked as `attach` checks it. */
  vdevs?: readonly string[];
  /**
   * `-a`, once each: the PCI devices to probe at start (the allow list), PCI addresses with PMD
   * arguments; each is checked by its sysfs class as `attach` checks it (a bridge is let through).
   */
  allow?: readonly string[];
  /** `-b`, once each: PCI addresses never to probe (never probed, so not checked by class). */
  block?: readonly string[];
  /**
   * `--file-prefix`: names the runtime folder (/var/run/dpdk/<prefix>) and hugepage files; 1 to
   * 32 of `A-Za-z0-9_.-`, not starting with a dot. Default: the SDK's own per process,
   * `dphp-<pid>`, so no other DPDK process's folder is used; give one to share an instance with
   * secondaries. Secondary and auto processes join DPDK's default (`rte`) unless given one.
   */
  filePrefix?: string;
  /** `--no-shconf`: no shared config file (no secondary processes). */
  noSharedConfig?: boolean;
  /** `--in-memory`: no files at all in hugetlbfs or /var/run (with `noHuge` refused, as DPDK refuses it). */
  inMemory?: boolean;
  /** `--iova-mode`. Mixing UIO and VFIO devices in one process needs `pa`. */
  iovaMode?: 'pa' | 'va';
  /**
   * `--proc-type`. A secondary with `noSharedConfig` or `inMemory` is refused (it could not join:
   * given to DPDK, `rte_eal_init` blocked for over 90 s, until killed).
   */
  processType?: 'primary' | 'secondary' | 'auto';
  /**
   * `--log-level`: DPDK's global log level, `'emergency'` … `'debug'`. Default `notice`, as DPDK's.
   * A component's level (`--log-level=pmd.net.ring:debug`) goes in `extraArgs`.
   */
  logLevel?: LogLevel;
  /** Copy DPDK's log to stderr as DPDK would (default true). It is captured either way. */
  logEcho?: boolean;
  /**
   * How `rte_delay_us` waits, for the whole process (rte_delay_us_callback_register, set before
   * `rte_eal_init`): `'busy'`, DPDK's default, spins the calling thread; `'sleep'` puts it to sleep
   * (rte_delay_us_sleep). The delays a PMD makes in its resets and register polls, inside control
   * calls, then leave the CPU to other threads. Each delay lasts at least as long as asked, usually
   * longer (a sleep's wake-up): a PMD that polls in many tiny delays takes longer. Default: the
   * environment's `DPDK_HOTPLUG_DELAYS`, else `'busy'`.
   */
  delays?: 'busy' | 'sleep';
  /**
   * EAL flags no typed option covers, appended last as they are: up to 64 non-empty strings without
   * NUL, each a flag of the DPDK in use (`-n`, `--socket-mem`, `--huge-dir`, `--legacy-mem`,
   * `--main-lcore`, `--vfio-intr`, `--no-telemetry`, `--trace*`, a component's `--log-level` …;
   * the list is `lib/eal-flags.ts`), as `--flag=value`, `--flag value` or `-n4`. Anything else is
   * INVALID_OPTION (key `extraArgs`) before DPDK sees it, naming what to use: a flag with a typed
   * option (`--vdev` → `vdevs`, `-m` → `memoryMb`, `--in-memory` → `inMemory` …), `--help` (DPDK
   * would print its usage and exit 0), an unknown flag, an abbreviation (`--in-mem`) or a stray word.
   */
  extraArgs?: readonly string[];
  /**
   * `-d`, once each: out-of-tree PMDs to load, as absolute paths of shared objects (each checked:
   * a readable regular file). A PMD that fails to load fails init with dlopen's message.
   */
  drivers?: readonly string[];
  /**
   * The DPDK to use: a meson install prefix (with `lib/<arch>/pkgconfig/libdpdk.pc`), as
   * `selectDpdk`. Default: `DPDK_HOTPLUG_DPDK`, else `pkg-config libdpdk`. Fixed at the process's
   * first DPDK call; another one afterwards throws DPDK_ALREADY_LOADED.
   */
  dpdk?: string;
  /**
   * Let failsafe's `exec(<command>)` sub-devices run: DPDK runs the command with popen, as this
   * process, to read a device string. Off: such devargs are refused (INVALID_DEVARGS).
   */
  allowShellCommandsInDevargs?: boolean;
  /** Let PMDs truncate existing files (net_pcap's `tx_pcap`) for every attach; see `AttachOptions`. */
  overwriteFiles?: boolean;
  /**
   * The folders a devargs may name files and sockets in (pcap's rx_pcap/tx_pcap, softnic's
   * firmware, vhost's iface, virtio_user's path): a path outside them, or a symlink leading
   * outside (a dangling one too), is refused (INVALID_DEVARGS naming the key and the path).
   * Default: anywhere — a library does not know its application's folders; special files,
   * existing files a PMD would unlink or truncate, and silent vhost-user peers are refused anyway.
   */
  devargsPaths?: readonly string[];
  /**
   * Let attach probe devices that make no ethdev port (baseband, compress, crypto, event …, known
   * from the PMD's registration): refused by default (NOT_A_PORT_DEVICE). Allowed, their keys must
   * be ones their registration names, and the attach ends NO_PORT_CREATED with the device removed.
   */
  nonPortDevices?: boolean;
  /** Let a failsafe take over a device already attached (its `dev(...)`); see `AttachOptions`. */
  captureDevices?: boolean;
  /**
   * The MiB of memory one device's rings may ask for (net_af_packet's kernel rings: 2 × qpairs ×
   * framecnt × framesz; net_memif's region: 2 × 2^rsize × bsize), an integer 1 … 2^20. Default
   * 256 (DEFAULT_DEVARGS_BUDGET_MB): 128 default af_packet devices, and under the 1.02 GiB that
   * framecnt=131072,qpairs=2 took from the kernel. A devargs over it is refused (INVALID_DEVARGS,
   * the key and the arithmetic in the message) before DPDK sees it.
   */
  devargsBudgetMb?: number;
  /**
   * Where sysfs is mounted (default `/sys`): `attach` and the `allow` list read a PCI device's
   * class there (`bus/pci/devices/<address>/class`) and refuse one that is not a network controller
   * (0x02xxxx) with NOT_A_PORT_DEVICE before DPDK probes it, unless `nonPortDevices`. Tests and
   * containers pass another root.
   */
  sysfs?: string;
}

/** What every async control call takes (attach, detach, configureAsync, …, release). */
export interface AsyncOptions {
  /**
   * How long DPDK's calls may run on their worker thread, in ms (1 … 3600000, default 30000),
   * after which the promise rejects with TIMEOUT (see docs/ethdev-contract.md: the call goes on, and the EAL
   * is wedged until it returns).
   */
  timeoutMs?: number;
  /**
   * Aborts the call: before its turn, it is dropped (nothing done); once its DPDK call has
   * started, it runs to its end (DPDK cannot cancel a call) and the promise rejects with ABORTED
   * when it has returned; an attach detaches its device again first, so nothing is left.
   */
  signal?: AbortSignal;
}

/** Options for {@link Eal.attach} (and `attachSync`, which takes no `timeoutMs` or `signal`). */
export interface AttachOptions extends AsyncOptions {
  /** Let the PMD truncate an existing file this devargs names for writing (`tx_pcap`). */
  overwriteFiles?: boolean;
  /**
   * Let a failsafe (`net_failsafe0,dev(net_null3)`) take over a device already attached: the
   * failsafe owns it from then on, and its detach removes it. Refused without (INVALID_DEVARGS).
   */
  captureDevices?: boolean;
}

/** What `ports()` tells of one port. */
export interface PortInfo extends PortHandle {
  /** The port id DPDK gave the port. */
  id: PortId;
  /** The ethdev name (`net_null0`, `0000:01:00.0`, or a PMD's own for multi-port devices). */
  name: string;
  /** The device the port belongs to: what `detach` returns. */
  device: string;
  /** The bus the device is on, as DPDK names it (`pci`, `vdev`). */
  bus: string;
  /** The PMD driving the port (`net_null`, `net_e1000_em`). */
  driver: string;
  /** Where the port is in the contract's sequence. */
  state: PortState;
  /** NUMA socket, -1 when unknown. */
  socket: number;
  /** The port's MAC address (`02:00:00:00:00:01`); empty while DPDK has not been asked yet. */
  mac: string;
  /** The link as DPDK reports it now. */
  link: {
    /** Whether the link is up. */
    up: boolean;
    /** Its speed in Mbit/s (0 when unknown or down). */
    speedMbps: number;
    /** Whether it is full duplex. */
    fullDuplex: boolean;
  };
  /** The most rx queues the PMD allows (`configure`'s bound). */
  maxRxQueues: number;
  /** The most tx queues the PMD allows (`configure`'s bound). */
  maxTxQueues: number;
}

/** A port's counters, as DPDK's `rte_eth_stats`. */
export interface PortStats {
  /** Packets received (`ipackets`). */
  rxPackets: number;
  /** Packets sent (`opackets`). */
  txPackets: number;
  /** Bytes received (`ibytes`). */
  rxBytes: number;
  /** Bytes sent (`obytes`). */
  txBytes: number;
  /** Packets the hardware dropped because the rx queues were full (`imissed`). */
  rxMissed: number;
  /** Erroneous packets received (`ierrors`). */
  rxErrors: number;
  /** Packets that failed to be sent (`oerrors`). */
  txErrors: number;
  /** Receive failures for want of an mbuf (`rx_nombuf`). */
  rxNoMbuf: number;
}

/** Options for `configure` and `configureAsync`. */
export interface ConfigureOptions {
  /** Rx queues to set up (default 1; at most the port's `maxRxQueues`). */
  rxQueues?: number;
  /** Tx queues to set up (default 1; at most the port's `maxTxQueues`). */
  txQueues?: number;
  /** Descriptors per rx queue, 1 … 65535 (default 512). */
  rxDescriptors?: number;
  /** Descriptors per tx queue, 1 … 65535 (default 512). */
  txDescriptors?: number;
  /**
   * Mbufs in the port's own packet pool, 1 … 2^20; default: enough for every ring plus 512. The SDK
   * makes the pool at `configure` and frees it at close.
   */
  mbufs?: number;
  /** Put the port in promiscuous mode after start (default true, as testpmd does). */
  promiscuous?: boolean;
}

/**
 * Packets laid end to end in one caller-owned buffer, for `txBurstPacked`/`rxBurstPacked`: no
 * Buffer per packet. `lengths[i]` is packet i's length; `count` (tx only) how many to send,
 * default `lengths.length`; rx receives up to `lengths.length` (≤ 512).
 */
export interface PacketBatch {
  /** The packets' bytes, one after the other. */
  data: Uint8Array;
  /** Each packet's length, in order. */
  lengths: Uint16Array;
  /** Tx: how many packets of the batch to send (default `lengths.length`). */
  count?: number;
}

/** Options for `detach` and `detachDevice`. */
export interface DetachOptions extends AsyncOptions {
  /**
   * Stop and close the port (and its device's other ports) first, instead of refusing; the async
   * `detach` and `detachDevice` do that on the worker thread too. `detachSync` and
   * `detachDeviceSync` take only this (a `timeoutMs` or `signal` there is INVALID_OPTION).
   */
  force?: boolean;
}

/** One reading of the process's resources, for leak accounting across attach/detach cycles. */
export interface ResourceSnapshot {
  /** Open file descriptors of the process. */
  fds: number;
  /** Threads of the process. */
  threads: number;
  /** Resident set size, in bytes. */
  rssBytes: number;
  /** DPDK heap in use, all sockets. */
  dpdkHeapBytes: number;
  /** DPDK memzones reserved. */
  memzones: number;
  /** Valid DPDK ports. */
  ports: number;
  /** Network interfaces in this network namespace (tap, af_packet and friends make them). */
  netdevs: number;
}

/** The `attach` event: a device was attached, with its ports (`port` the first). */
export interface AttachEvent {
  /** The device's first port: what `attach` returned. */
  port: PortId;
  /** Every port of the device. */
  ports: readonly PortId[];
  /** The device's name (PCI address or vdev name). */
  device: string;
  /** The device string it was attached with. */
  devargs: string;
}

/** The `detach` event: a device was detached, with the ports it had. */
export interface DetachEvent {
  /** The ports the device had. */
  ports: readonly PortId[];
  /** The device's name: what `detach` returned. */
  device: string;
}

/** The device behind a port went away underneath DPDK (unplug, surprise removal). */
export interface RemoveEvent {
  /** `ethdev`: RTE_ETH_EVENT_INTR_RMV for a port. `bus`: the hotplug monitor saw the kernel remove it. */
  source: 'ethdev' | 'bus';
  /** The port whose device went away, when DPDK named one. */
  port?: PortId;
  /** The device that went away, when known. */
  device?: string;
}

/**
 * An async call that timed out returned after all: the SDK has taken in what it did (a port it
 * attached is in `ports()`, a device it removed is gone), and control calls work again.
 */
export interface LateEvent {
  /** The C call, as the TIMEOUT error named it: `rte_dev_probe("net_pcap0,rx_pcap=/tmp/f")`. */
  call: string;
  /** What it returned (the number of ports for a probe, 0 for a remove, < 0 for an error); undefined when the binding failed instead. */
  rc: number | undefined;
  /** What became of it: `net_pcap0 is attached after all, as port 0`. */
  outcome: string;
  /** The device the call was about, when known. */
  device?: string;
  /** The ports it made (a probe). */
  ports?: readonly PortId[];
  /** The timeout the call was given. */
  timeoutMs: number;
  /** From the call's start to its return. */
  elapsedMs: number;
}

/**
 * What a PMD printed to stdout or stderr during a port call (softnic prints each line of its
 * firmware file at start): kept off the process's own output, given to listeners only.
 */
export interface PmdOutputEvent {
  /** The port whose call the PMD printed during. */
  port: PortId;
  /** `start()`, or `startAsync()` (what its worker thread's DPDK calls printed). */
  call: 'start' | 'startAsync';
  /** What the PMD wrote to fd 1 during the call. */
  stdout: string;
  /** What the PMD wrote to fd 2 during the call. */
  stderr: string;
}

/** The events of {@link Eal}, by name, with their arguments. */
export interface EalEvents {
  /** A device was attached (after the call returned). */
  attach: [AttachEvent];
  /** A device was detached (after the call returned). */
  detach: [DetachEvent];
  /** A device went away underneath DPDK. */
  remove: [RemoveEvent];
  /** An async call that timed out returned after all. */
  late: [LateEvent];
  /** A PMD printed during `start()` or `startAsync()`. */
  pmdOutput: [PmdOutputEvent];
}
