/**
 * What `Eal` and its port table need from DPDK and the shim: the seam under the SDK. The real
 * implementation is lib/binding.ts (koffi, the selected DPDK); lib/fake-dpdk.ts is an in-memory
 * one for tests of the SDK's own logic (the port table, events, state rules) without DPDK.
 * Claims about DPDK are tested on the real one only.
 *
 * Members keep the C names and signatures of the calls they stand for (see native/shim.c and
 * binding.ts), so that a reader of eal.ts sees the DPDK call; `ealInit` and `logView` wrap the
 * two that take or return raw memory. Return codes are DPDK's: < 0 is -errno.
 */
import type { Pointer, RawEthStats, RawPortInfo } from './binding.js';

/** A call that koffi can also run on a libuv pool thread (`fn.async(...args, done)`). */
export interface OffThreadFn<A extends unknown[], R = number> {
  (...args: A): R;
  async(...args: [...A, (error: unknown, result: R) => void]): void;
}

/** struct dphp_area (native/shim.c), seen from JS: memory shared with the shim, never copied. */
export interface HotArea {
  readonly ports: Uint16Array;
  readonly left: Int32Array;
  readonly lens: Uint16Array;
  readonly data: Buffer;
}

export interface DpdkBinding {
  // EAL
  /** rte_eal_init with `argv` (argv[0] first), in memory that lives as long as the process. */
  ealInit(argv: readonly string[]): number;
  rte_eal_cleanup(): number;
  rte_version(): string;
  rte_eal_get_runtime_dir(): string;
  /** RTE_PROC_PRIMARY (0) or RTE_PROC_SECONDARY (1). */
  rte_eal_process_type(): number;
  rte_eal_hotplug_remove: OffThreadFn<[bus: string, name: string]>;
  rte_dev_hotplug_handle_enable(): number;
  rte_dev_hotplug_handle_disable(): number;
  rte_dev_event_monitor_start(): number;
  rte_dev_event_monitor_stop(): number;

  // The shim: ports and devices
  dphp_claim(thread: number): number;
  /** rte_dev_probe, then the device's ports into `out`: their count, or the probe's error. */
  dphp_probe: OffThreadFn<[devargs: string, name: string, out: Uint16Array, cap: number]>;
  dphp_device_ports(name: string, out: Uint16Array, cap: number): number;
  dphp_valid_ports(out: Uint16Array, cap: number): number;
  /** After a removal: the device's ports left (count), -1 still probed without any, 0 gone. */
  dphp_device_left(bus: string, name: string, out: Uint16Array, cap: number): number;
  dphp_port_info(port: number, out: RawPortInfo): number;
  dphp_stats(port: number, out: RawEthStats): number;
  dphp_memzone_count(): number;
  dphp_heap_in_use(): number;

  // ethdev control path: each call of a lifecycle step, on this thread or a worker thread (ports.ts)
  dphp_configure: OffThreadFn<[port: number, rxq: number, txq: number]>;
  rte_eth_rx_queue_setup: OffThreadFn<
    [port: number, queue: number, descriptors: number, socket: number, conf: null, pool: Pointer | undefined]
  >;
  rte_eth_tx_queue_setup: OffThreadFn<
    [port: number, queue: number, descriptors: number, socket: number, conf: null]
  >;
  rte_eth_dev_start: OffThreadFn<[port: number]>;
  rte_eth_dev_stop: OffThreadFn<[port: number]>;
  rte_eth_dev_close: OffThreadFn<[port: number]>;
  rte_eth_promiscuous_enable: OffThreadFn<[port: number]>;
  rte_pktmbuf_pool_create: OffThreadFn<
    [name: string, n: number, cache: number, priv: number, dataRoom: number, socket: number],
    Pointer | null
  >;
  rte_mempool_free: OffThreadFn<[pool: Pointer], void>;

  // The sync hot path: arguments are numbers and strings, results and packets go through `area`.
  readonly area: HotArea;
  /** dphp_probe into `area.ports`. */
  dphp_probe_area(devargs: string, name: string): number;
  /** rte_eal_hotplug_remove's rc; when 0, dphp_device_left's result in `area.left` (ports in `area.ports`). */
  dphp_remove(bus: string, name: string): number;
  /** The port's mbuf pool for dphp_tx (null: none). */
  dphp_port_pool(port: number, pool: Pointer | null): number;
  /** Sends the first `n` packets of `area` (lengths in `area.lens`); returns how many the PMD took. */
  dphp_tx(port: number, queue: number, n: number): number;
  /** Receives up to `n` packets into `area`; a packet that did not fit has length 0. */
  dphp_rx(port: number, queue: number, n: number): number;

  // log capture and events (shim)
  dphp_log_install(echo: number): number;
  dphp_log_echo(echo: number): void;
  /** struct dphp_log_state's first `bytes` bytes, as a view that lives as long as the process. */
  logView(bytes: number): ArrayBuffer;
  /** The read end of the event pipe, or < 0 when events are not available. */
  dphp_events_open(): number;
  dphp_events_close(): void;
  dphp_event_size(): number;

  // libc: fds 1 and 2 around rte_eal_init (output-capture.ts), and the exit of last resort
  dup(fd: number): number;
  dup2(fd: number, fd2: number): number;
  close(fd: number): number;
  fflush(stream: null): number;
  _exit(code: number): void;
}
