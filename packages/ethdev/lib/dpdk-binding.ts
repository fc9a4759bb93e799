/**
 * What `Eal` and its port table need from DPDK and the shim: the seam under the SDK. The real
 * implementation is lib/binding.ts (koffi, the selected DPDK); lib/fake-dpdk.ts is an in-memory
 * one for tests of the SDK's own logic (the port table, events, state rules) without DPDK.
 * Claims about DPDK are tested on the real one only.
 *
 * Members keep the C names and signatures of the calls they stand for (see native/shim.c and
 * binding.ts), so that a reader of eal.ts sees the DPDK call; `ealInit` and `logView` wrap the
 * two that take or return raw memory. Return codes are DPDK's: < 0 is -errno.
 *
 * This module loads nothing (no koffi, no DPDK): the fake and the SDK's logic take their types
 * and the shim's fixed sizes from here, so a test on the fake never loads the native binding
 * (lib/seam.test.ts proves it).
 */

/** RTE_MAX_ETHPORTS of the DPDK the shim is built against: port ids are below it. */
export const MAX_ETHPORTS = 32;
/** Most packets a burst carries, and the largest packet (an mbuf's data room after its headroom). */
export const MAX_BURST = 512;
/** The largest packet txBurst takes and rxBurst gives, in bytes: an mbuf's data room after its headroom. */
export const MAX_PACKET = 2048;

/** struct dphp_port_info (native/shim.c), as koffi decodes it. */
export interface RawPortInfo {
  /** The ethdev name. */
  name: string;
  /** The device's name on its bus. */
  device: string;
  /** The bus's name (`pci`, `vdev`). */
  bus: string;
  /** The driver's name. */
  driver: string;
  /** NUMA socket, -1 when unknown. */
  socket: number;
  /** dev_info.max_rx_queues. */
  max_rx_queues: number;
  /** dev_info.max_tx_queues. */
  max_tx_queues: number;
  /** The MAC address's six bytes. */
  mac: number[];
  /** 1 when the link is up. */
  link_up: number;
  /** 1 for full duplex. */
  link_duplex: number;
  /** Link speed in Mbit/s. */
  link_speed: number;
}

/** struct dphp_stats (native/shim.c): DPDK's rte_eth_stats counters. */
export interface RawEthStats {
  /** Packets received. */
  ipackets: number;
  /** Packets sent. */
  opackets: number;
  /** Bytes received. */
  ibytes: number;
  /** Bytes sent. */
  obytes: number;
  /** Packets dropped by the hardware, rx queues full. */
  imissed: number;
  /** Erroneous packets received. */
  ierrors: number;
  /** Packets that failed to be sent. */
  oerrors: number;
  /** Receive failures for want of an mbuf. */
  rx_nombuf: number;
}

/** A C pointer held by the SDK (argv, mempools, the log ring); never handed to users. */
export type Pointer = object;

/** A call that can also run on a worker thread (`fn.async(...args, done)`: off-thread.ts's worker, or koffi's libuv pool). */
export interface OffThreadFn<A extends unknown[], R = number> {
  (...args: A): R;
  /** The same call on a worker thread; `done` runs on the main thread when it returns. */
  async(...args: [...A, (error: unknown, result: R) => void]): void;
}

/** struct dphp_area (native/shim.c), seen from JS: memory shared with the shim, never copied. */
export interface HotArea {
  /** The port ids a probe made, or a removal left. */
  readonly ports: Uint16Array;
  /** The valid ports before the last dphp_attach_area, 0xffff after the last. */
  readonly before: Uint16Array;
  /** dphp_device_left's answer after a removal that returned 0 (one element). */
  readonly left: Int32Array;
  /** The packet lengths of a burst. */
  readonly lens: Uint16Array;
  /** A burst's packets, end to end. */
  readonly data: Buffer;
}

/** The seam under `Eal`: DPDK's calls and the shim's, by their C names (see this module's comment). */
export interface DpdkBinding {
  // EAL
  /** rte_eal_init with `argv` (argv[0] first), in memory that lives as long as the process. */
  ealInit(argv: readonly string[]): number;
  /** rte_eal_cleanup. */
  rte_eal_cleanup(): number;
  /** rte_version: `DPDK 22.11.11`. */
  rte_version(): string;
  /** rte_eal_get_runtime_dir: the EAL's runtime folder. */
  rte_eal_get_runtime_dir(): string;
  /** RTE_PROC_PRIMARY (0) or RTE_PROC_SECONDARY (1). */
  rte_eal_process_type(): number;
  /** rte_eal_hotplug_remove: 0, or -errno. */
  rte_eal_hotplug_remove: OffThreadFn<[bus: string, name: string]>;
  /** rte_dev_hotplug_handle_enable. */
  rte_dev_hotplug_handle_enable(): number;
  /** rte_dev_hotplug_handle_disable. */
  rte_dev_hotplug_handle_disable(): number;
  /** rte_dev_event_monitor_start. */
  rte_dev_event_monitor_start(): number;
  /** rte_dev_event_monitor_stop. */
  rte_dev_event_monitor_stop(): number;

  // The shim: ports and devices
  /** Claims DPDK for a thread (`threadId + 1`): 0, or the thread that holds it. */
  dphp_claim(thread: number): number;
  /** A device's ports into `out`: their count. */
  dphp_device_ports(name: string, out: Uint16Array, cap: number): number;
  /** DPDK's valid ports into `out`: their count. */
  dphp_valid_ports(out: Uint16Array, cap: number): number;
  /** After a removal: the device's ports left (count), -1 still probed without any, 0 gone. */
  dphp_device_left(bus: string, name: string, out: Uint16Array, cap: number): number;
  /** Whether the device is on its bus with a driver: 1, else 0. */
  dphp_device_probed(bus: string, name: string): number;
  /** A port's name, device, driver, MAC, link and queue limits into `out`: 0, or -errno. */
  dphp_port_info(port: number, out: RawPortInfo): number;
  /** rte_eth_stats_get into `out`. */
  dphp_stats(port: number, out: RawEthStats): number;
  /** How many memzones DPDK has reserved. */
  dphp_memzone_count(): number;
  /** Memzone names, each followed by a newline, into `buf`; returns the bytes needed. */
  dphp_memzone_names(buf: Buffer, len: number): number;
  /** DPDK heap bytes in use, all sockets. */
  dphp_heap_in_use(): number;

  // ethdev control path: each call of a lifecycle step, on this thread or a worker thread (ports.ts)
  /** rte_eth_dev_configure with `rxq` and `txq` queues and a zeroed rte_eth_conf: 0, or -errno. */
  dphp_configure: OffThreadFn<[port: number, rxq: number, txq: number]>;
  /** rte_eth_rx_queue_setup (default queue conf) with the port's pool: 0, or -errno. */
  rte_eth_rx_queue_setup: OffThreadFn<
    [port: number, queue: number, descriptors: number, socket: number, conf: null, pool: Pointer | undefined]
  >;
  /** rte_eth_tx_queue_setup (default queue conf): 0, or -errno. */
  rte_eth_tx_queue_setup: OffThreadFn<
    [port: number, queue: number, descriptors: number, socket: number, conf: null]
  >;
  /** rte_eth_dev_start: 0, or -errno. */
  rte_eth_dev_start: OffThreadFn<[port: number]>;
  /** rte_eth_dev_stop: 0, or -errno. */
  rte_eth_dev_stop: OffThreadFn<[port: number]>;
  /** rte_eth_dev_close (frees the port id; the device stays probed): 0, or -errno. */
  rte_eth_dev_close: OffThreadFn<[port: number]>;
  /** rte_eth_promiscuous_enable: 0, or -errno. */
  rte_eth_promiscuous_enable: OffThreadFn<[port: number]>;
  /** rte_pktmbuf_pool_create: the pool, or null (rte_errno says why). */
  rte_pktmbuf_pool_create: OffThreadFn<
    [name: string, n: number, cache: number, priv: number, dataRoom: number, socket: number],
    Pointer | null
  >;
  /** rte_mempool_free. */
  rte_mempool_free: OffThreadFn<[pool: Pointer], void>;

  // The sync hot path: arguments are numbers and strings, results and packets go through `area`.
  /** The memory shared with the shim for the hot path's results and packets. */
  readonly area: HotArea;
  /**
   * An attach in one crossing: DPDK's valid ports into `area.before` (0xffff after the last),
   * then rte_dev_probe and the device's ports into `area.ports`: their count, or the probe's
   * error. The async form makes it on the worker.
   */
  dphp_attach_area: OffThreadFn<[devargs: string, name: string]>;
  /**
   * A detach in one crossing: rte_eal_hotplug_remove's rc; when 0, dphp_device_left's result in
   * `area.left[0]` (the ports left in `area.ports`). The async form makes it on the worker.
   */
  dphp_detach_area: OffThreadFn<[bus: string, name: string]>;
  /** The port's mbuf pool for dphp_tx (null: none). */
  dphp_port_pool(port: number, pool: Pointer | null): number;
  /** Sends the first `n` packets of `area` (lengths in `area.lens`); returns how many the PMD took. */
  dphp_tx(port: number, queue: number, n: number): number;
  /** Receives up to `n` packets into `area`; a packet that did not fit has length 0. */
  dphp_rx(port: number, queue: number, n: number): number;

  // log capture and events (shim)
  /** Installs the shim's log capture (1: echo to stderr too). */
  dphp_log_install(echo: number): number;
  /** Turns the log's echo to stderr on (1) or off (0). */
  dphp_log_echo(echo: number): void;
  /** struct dphp_log_state's first `bytes` bytes, as a view that lives as long as the process. */
  logView(bytes: number): ArrayBuffer;
  /** The read end of the event pipe, or < 0 when events are not available. */
  dphp_events_open(): number;
  /** Closes the event pipe. */
  dphp_events_close(): void;
  /**
   * Ends DPDK's interrupt thread before rte_eal_cleanup unmaps what it reads (native/shim.c):
   * its tid, or < 0 (-ETIMEDOUT after `timeoutMs`, or rte_intr_callback_register's error).
   */
  dphp_end_intr_thread(timeoutMs: number): number;
  /** Ends telemetry's listener threads: how many sockets it shut down, or < 0 (-ETIMEDOUT). */
  dphp_end_telemetry(timeoutMs: number): number;
  /** The size of one event record on the pipe, in bytes. */
  dphp_event_size(): number;
  /**
   * How DPDK's rte_delay_us waits, process-wide: `mode` 1 sleeps (nanosleep), 0 spins (DPDK's
   * default), -1 leaves it. Returns the mode in force (2: a callback of someone else's).
   */
  dphp_delays(mode: number): number;

  // libc: fds 1 and 2 around rte_eal_init (output-capture.ts), and the exit of last resort
  /** libc dup. */
  dup(fd: number): number;
  /** libc dup2. */
  dup2(fd: number, fd2: number): number;
  /** libc close. */
  close(fd: number): number;
  /** libc fflush (null: every stream). */
  fflush(stream: null): number;
  /** libc _exit: ends the process without exit()'s teardown. */
  _exit(code: number): void;
}
