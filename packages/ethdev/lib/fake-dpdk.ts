/**
 * An in-memory stand-in for DPDK behind the seam `Eal` takes (dpdk-binding.ts), for tests of
 * the SDK's own logic without DPDK: the port table, events, state rules, multi-port devices
 * and a secondary's view, which real vdevs cannot all show here. It models the few rules of
 * DPDK that the SDK relies on (22.11's by default, a later release's differences with
 * `version`), each stated where it is written (the lowest free port id is taken, close frees
 * the id while the device stays probed, a started port cannot be closed, a removal releases the
 * device's ports); lib/fake-agreement.test.ts runs the same scenarios on it and on the real
 * DPDK in use to keep it honest. It is not DPDK: no claim about DPDK
 * may rest on a test that uses it.
 */
import {
  type DpdkBinding,
  type HotArea,
  MAX_BURST,
  MAX_PACKET,
  type OffThreadFn,
  type Pointer,
  type RawEthStats,
  type RawPortInfo,
} from './dpdk-binding.js';
import { atLeast, removedVdevStaysOnBus } from './versions.js';

const EINVAL = 22;
const ENOENT = 2;
const ENODEV = 19;
const EBUSY = 16;
const EIO = 5;
const RTE_MAX_ETHPORTS = 32;
// struct dphp_log_state (native/shim.c): a double `written`, then the ring at offset 16.
const LOG_RING_OFFSET = 16;

/** A vdev driver of the fake: how many ports a device gets, and what its data path does. */
export interface FakeDriver {
  /** Ports per device (default 1); a device with several names them `<device>_<i>`. */
  ports?: number;
  /** Most rx and tx queues a port takes (default 1). */
  maxQueues?: number;
  /** `loopback`: what is sent is received on the same port (net_ring); `sink`: sent packets
   * vanish and rx hands out 64-byte zero packets (net_null). */
  traffic?: 'loopback' | 'sink';
  /** Whether the port's stats count bytes too (net_null since 25.07), not packets alone. */
  countsBytes?: boolean;
  /**
   * The probe attaches a sub-device of this driver (`<driver>9<n>`, one port), then fails with
   * -EIO: DPDK 22.11's failsafe left its sub-device attached so (the fuzzer's finding). '' never.
   */
  failsLeaving?: string;
}

/** What a {@link FakeDpdk} models: its drivers and the DPDK release it says it is. */
export interface FakeDpdkSpec {
  /** vdev drivers by name (`net_null`, also reached as `eth_null`); default net_null and net_ring. */
  drivers?: Record<string, FakeDriver>;
  /** The DPDK version the fake says it is, and whose default drivers it models (default 22.11.0). */
  version?: string;
}

interface FakeDevice {
  name: string;
  bus: string;
  driver: string;
  spec: Required<FakeDriver>;
}

interface FakePort {
  name: string;
  device: FakeDevice;
  configured: boolean;
  started: boolean;
  rxq: number;
  txq: number;
  received: Uint8Array[];
  stats: { ipackets: number; opackets: number; ibytes: number; obytes: number };
}

/** What one DPDK instance holds; a secondary shares its primary's. */
class SharedState {
  readonly devices = new Map<string, FakeDevice>();
  /** vdevs removed and still on their bus, unprobed (removedVdevStaysOnBus). */
  readonly unprobed = new Set<string>();
  readonly ports: (FakePort | undefined)[] = new Array(RTE_MAX_ETHPORTS).fill(undefined);
}

/** net_null and net_ring as `version` has them: net_null counts bytes since 25.07 (DPDK commits
 * 9946ba548b and 47205afc86, "net/null: optimize Tx/Rx"); net_ring counts packets only. */
function defaultDrivers(version: string): Record<string, FakeDriver> {
  return {
    net_null: { ports: 1, maxQueues: 1024, traffic: 'sink', countsBytes: atLeast(version, 25, 7) },
    net_ring: { ports: 1, maxQueues: 16, traffic: 'loopback' },
  };
}

function offThread<A extends unknown[], R = number>(fn: (...args: A) => R): OffThreadFn<A, R> {
  return Object.assign(fn, {
    // A "worker thread" that returns on the next turn of the event loop.
    async: (...args: [...A, (error: unknown, result: R) => void]) => {
      const done = args.pop() as (error: unknown, result: R) => void;
      setImmediate(() => {
        let result: R;
        try {
          result = fn(...(args as unknown as A));
        } catch (error) {
          done(error, -1 as R);
          return;
        }
        done(null, result);
      });
    },
  });
}

/** An in-memory DPDK behind the seam, for tests of the SDK's logic above DPDK (see this module's comment). */
export class FakeDpdk implements DpdkBinding {
  /** The EAL arguments `ealInit` was given, argv[0] first. */
  argv: readonly string[] | undefined;
  /** Whether `rte_eal_cleanup` was called. */
  cleanedUp = false;
  readonly #state: SharedState;
  readonly #drivers: Record<string, Required<FakeDriver>>;
  readonly #secondary: boolean;
  readonly #log = new ArrayBuffer(LOG_RING_OFFSET + 65536);
  readonly #written = new Float64Array(this.#log, 0, 1);
  readonly #ring = new Uint8Array(this.#log, LOG_RING_OFFSET);
  #pools = 0;
  readonly #version: string;

  constructor(spec: FakeDpdkSpec = {}, shared?: { state: SharedState; secondary: boolean }) {
    this.#state = shared?.state ?? new SharedState();
    this.#secondary = shared?.secondary ?? false;
    this.#version = spec.version ?? '22.11.0';
    this.#drivers = Object.fromEntries(
      Object.entries(spec.drivers ?? defaultDrivers(this.#version)).map(([name, d]) => [
        name,
        {
          ports: d.ports ?? 1,
          maxQueues: d.maxQueues ?? 1,
          traffic: d.traffic ?? 'sink',
          countsBytes: d.countsBytes ?? false,
          failsLeaving: d.failsLeaving ?? '',
        },
      ]),
    );
  }

  /** Another process of the same instance, as `--proc-type secondary` sees it: shared devices and ports. */
  secondary(): FakeDpdk {
    return new FakeDpdk(
      { drivers: this.#drivers, version: this.#version },
      { state: this.#state, secondary: true },
    );
  }

  /** Appends a line to the log, as EAL or a PMD would write it. */
  log(line: string): void {
    const bytes = new TextEncoder().encode(`${line}\n`);
    for (const b of bytes) {
      this.#ring[this.#written[0]! % this.#ring.length] = b;
      this.#written[0]! += 1;
    }
  }

  // ---------------------------------------------------------------- EAL

  ealInit(argv: readonly string[]): number {
    this.argv = [...argv];
    this.log('EAL: Detected CPU lcores: 2 (fake)');
    return 0;
  }
  rte_eal_cleanup(): number {
    this.cleanedUp = true;
    return 0;
  }
  rte_version(): string {
    return `DPDK ${this.#version} (fake)`;
  }
  rte_eal_get_runtime_dir(): string {
    return '';
  }
  rte_eal_process_type(): number {
    return this.#secondary ? 1 : 0;
  }

  readonly rte_eal_hotplug_remove = offThread((bus: string, name: string): number => {
    const device = this.#state.devices.get(name);
    if (!device || device.bus !== bus) {
      // A device its bus does not list: EINVAL, not ENOENT; one removed before and kept on its
      // bus (26.07+): ENOENT (fake-agreement.test.ts).
      if (bus === 'vdev' && this.#state.unprobed.has(name)) {
        this.log('EAL: Device is not probed');
        return -ENOENT;
      }
      this.log(`EAL: Cannot find plugged device (${name})`);
      return -EINVAL;
    }
    // The PMD's remove releases every port of its device, closed or not.
    this.#state.ports.forEach((p, id) => {
      if (p?.device === device) this.#state.ports[id] = undefined;
    });
    this.#state.devices.delete(name);
    if (bus === 'vdev' && removedVdevStaysOnBus(this.#version)) this.#state.unprobed.add(name);
    return 0;
  });

  rte_dev_hotplug_handle_enable = () => 0;
  rte_dev_hotplug_handle_disable = () => 0;
  rte_dev_event_monitor_start = () => 0;
  rte_dev_event_monitor_stop = () => 0;

  // ---------------------------------------------------------------- ports and devices

  dphp_claim(): number {
    return 0;
  }

  #probe(devargs: string, name: string, out: Uint16Array, cap: number): number {
    const bus = /^[0-9a-f]{4}:/i.test(name) ? 'pci' : 'vdev';
    if (bus === 'pci') {
      this.log(`EAL: Cannot find device (${name})`);
      return -ENODEV;
    }
    const driverName = name.replace(/^eth_/, 'net_').replace(/\d+$/, '');
    const spec = this.#drivers[driverName];
    if (!spec) {
      this.log(`EAL: failed to parse device "${devargs}"`);
      return -EINVAL;
    }
    if (spec.failsLeaving) {
      const sub = `${spec.failsLeaving}9${this.#state.devices.size}`;
      this.#probe(sub, sub, new Uint16Array(RTE_MAX_ETHPORTS), RTE_MAX_ETHPORTS);
      this.log(`${driverName}: probe of ${name} failed after its sub-device ${sub} was attached`);
      return -EIO;
    }
    // DPDK: probing a device that is probed returns 0 and makes nothing.
    if (!this.#state.devices.has(name)) {
      const device = { name, bus, driver: driverName, spec };
      const free = this.#freeIds(spec.ports);
      if (!free) {
        this.log(`ETHDEV: Reached maximum number of Ethernet ports`);
        return -ENODEV;
      }
      this.#state.devices.set(name, device);
      this.#state.unprobed.delete(name);
      free.forEach((id, i) => {
        this.#state.ports[id] = {
          name: spec.ports > 1 ? `${name}_${i}` : name,
          device,
          configured: false,
          started: false,
          rxq: 0,
          txq: 0,
          received: [],
          stats: { ipackets: 0, opackets: 0, ibytes: 0, obytes: 0 },
        };
      });
    }
    return this.dphp_device_ports(name, out, cap);
  }

  /** rte_eth_dev_allocate: the lowest unused ids. */
  #freeIds(n: number): number[] | undefined {
    const free: number[] = [];
    for (let id = 0; id < RTE_MAX_ETHPORTS && free.length < n; id++)
      if (!this.#state.ports[id]) free.push(id);
    return free.length === n ? free : undefined;
  }

  dphp_device_ports(name: string, out: Uint16Array, cap: number): number {
    let n = 0;
    this.#state.ports.forEach((p, id) => {
      if (p?.device.name === name && n < cap) out[n++] = id;
    });
    return n;
  }

  dphp_valid_ports(out: Uint16Array, cap: number): number {
    let n = 0;
    this.#state.ports.forEach((p, id) => {
      if (p && n < cap) out[n++] = id;
    });
    return n;
  }

  dphp_device_left(bus: string, name: string, out: Uint16Array, cap: number): number {
    const n = this.dphp_device_ports(name, out, cap);
    if (n > 0) return n;
    return this.#state.devices.get(name)?.bus === bus ? -1 : 0;
  }

  dphp_device_probed(bus: string, name: string): number {
    return this.#state.devices.get(name)?.bus === bus ? 1 : 0;
  }

  dphp_port_info(port: number, out: RawPortInfo): number {
    const p = this.#state.ports[port];
    if (!p) return -ENODEV;
    Object.assign(out, {
      name: p.name,
      device: p.device.name,
      bus: p.device.bus,
      driver: p.device.driver,
      socket: 0,
      max_rx_queues: p.device.spec.maxQueues,
      max_tx_queues: p.device.spec.maxQueues,
      mac: [2, 0, 0, 0, 0, port],
      link_up: p.started ? 1 : 0,
      link_duplex: 1,
      link_speed: 10000,
    } satisfies RawPortInfo);
    return 0;
  }

  dphp_stats(port: number, out: RawEthStats): number {
    const p = this.#state.ports[port];
    if (!p) return -ENODEV;
    Object.assign(out, { ...p.stats, imissed: 0, ierrors: 0, oerrors: 0, rx_nombuf: 0 });
    return 0;
  }

  dphp_memzone_count(): number {
    return this.#pools;
  }

  dphp_memzone_names(buf: Buffer, len: number): number {
    const names = Buffer.from(Array.from({ length: this.#pools }, (_, i) => `fake_pool_${i}\n`).join(''));
    if (names.length <= len) names.copy(buf);
    return names.length;
  }
  dphp_heap_in_use(): number {
    return 0;
  }

  // ---------------------------------------------------------------- ethdev control path

  #port(port: number): FakePort | undefined {
    return this.#state.ports[port];
  }

  readonly dphp_configure = offThread((port: number, rxq: number, txq: number): number => {
    const p = this.#port(port);
    if (!p) return -ENODEV;
    if (p.started) return -EBUSY;
    if (rxq > p.device.spec.maxQueues || txq > p.device.spec.maxQueues) return -EINVAL;
    Object.assign(p, { configured: true, rxq, txq });
    return 0;
  });
  readonly rte_eth_rx_queue_setup = offThread(
    (port: number, queue: number, _d: number, _s: number, _c: null, pool?: Pointer): number => {
      const p = this.#port(port);
      return !p ? -ENODEV : !p.configured || queue >= p.rxq || !pool ? -EINVAL : 0;
    },
  );
  readonly rte_eth_tx_queue_setup = offThread(
    (port: number, queue: number, _d: number, _s: number, _c: null): number => {
      const p = this.#port(port);
      return !p ? -ENODEV : !p.configured || queue >= p.txq ? -EINVAL : 0;
    },
  );
  readonly rte_eth_dev_start = offThread((port: number): number => {
    const p = this.#port(port);
    if (!p) return -ENODEV;
    if (!p.configured) return -EINVAL;
    p.started = true;
    return 0;
  });
  readonly rte_eth_dev_stop = offThread((port: number): number => {
    const p = this.#port(port);
    if (!p) return -ENODEV;
    p.started = false;
    return 0;
  });
  /** DPDK 22.11: close refuses a started port and frees the id; the device stays probed. */
  readonly rte_eth_dev_close = offThread((port: number): number => {
    const p = this.#port(port);
    if (!p) return -ENODEV;
    if (p.started) {
      this.log(`ETHDEV: Cannot close started device (port ${port})`);
      return -EINVAL;
    }
    this.#state.ports[port] = undefined;
    return 0;
  });
  readonly rte_eth_promiscuous_enable = offThread((port: number): number => (this.#port(port) ? 0 : -ENODEV));
  readonly rte_pktmbuf_pool_create = offThread(
    (name: string, n: number, _c: number, _p: number, _d: number, _s: number): Pointer | null => {
      this.#pools++;
      return { name, n };
    },
  );
  readonly rte_mempool_free = offThread((_pool: Pointer): void => {
    this.#pools--;
  });

  // ---------------------------------------------------------------- data path

  readonly area: HotArea = {
    ports: new Uint16Array(RTE_MAX_ETHPORTS),
    before: new Uint16Array(RTE_MAX_ETHPORTS),
    left: new Int32Array(1),
    lens: new Uint16Array(MAX_BURST),
    data: Buffer.alloc(MAX_BURST * MAX_PACKET),
  };

  /** The snapshot of DPDK's ports, then the probe (shim.c): one crossing on the real binding. */
  readonly dphp_attach_area = offThread((devargs: string, name: string): number => {
    const { ports, before } = this.area;
    before.fill(0xffff, this.dphp_valid_ports(before, RTE_MAX_ETHPORTS));
    return this.#probe(devargs, name, ports, RTE_MAX_ETHPORTS);
  });

  /** rte_eal_hotplug_remove and, when it returned 0, what it left (shim.c). */
  readonly dphp_detach_area = offThread((bus: string, name: string): number => {
    const rc = this.rte_eal_hotplug_remove(bus, name);
    if (rc === 0) this.area.left[0] = this.dphp_device_left(bus, name, this.area.ports, RTE_MAX_ETHPORTS);
    return rc;
  });

  readonly #portPools = new Map<number, Pointer>();
  dphp_port_pool(port: number, pool: Pointer | null): number {
    if (pool) this.#portPools.set(port, pool);
    else this.#portPools.delete(port);
    return 0;
  }

  dphp_tx(port: number, _queue: number, n: number): number {
    const p = this.#port(port);
    if (!p?.started || !this.#portPools.has(port)) return 0;
    let off = 0;
    for (let i = 0; i < n; i++) {
      const len = this.area.lens[i]!;
      if (p.device.spec.traffic === 'loopback') p.received.push(this.area.data.slice(off, off + len));
      p.stats.opackets++;
      if (p.device.spec.countsBytes) p.stats.obytes += len;
      off += len;
    }
    return n;
  }

  dphp_rx(port: number, _queue: number, n: number): number {
    const p = this.#port(port);
    if (!p?.started) return 0;
    const got =
      p.device.spec.traffic === 'loopback'
        ? p.received.splice(0, n)
        : Array.from({ length: n }, () => new Uint8Array(64));
    let off = 0;
    got.forEach((packet, i) => {
      this.area.data.set(packet, off);
      this.area.lens[i] = packet.length;
      off += packet.length;
      p.stats.ipackets++;
      if (p.device.spec.countsBytes) p.stats.ibytes += packet.length;
    });
    return got.length;
  }

  // ---------------------------------------------------------------- log, events, libc

  dphp_log_install(): number {
    return 0;
  }
  dphp_log_echo(): void {}
  logView(): ArrayBuffer {
    return this.#log;
  }
  /** No event pipe: the fake raises no device-removal events. */
  dphp_events_open(): number {
    return -ENOENT;
  }
  dphp_events_close(): void {}
  /** No DPDK threads in the fake: nothing to end. */
  dphp_end_intr_thread(): number {
    return 0;
  }
  dphp_end_telemetry(): number {
    return 0;
  }
  dphp_event_size(): number {
    return 80;
  }
  /** How DPDK's delays would wait (the fake has none): kept for the option's tests. */
  #delayMode = 0;
  dphp_delays(mode: number): number {
    if (mode === 0 || mode === 1) this.#delayMode = mode;
    return this.#delayMode;
  }
  // Nothing to capture: the fake prints nothing on fds 1 and 2.
  dup(): number {
    return -1;
  }
  dup2(): number {
    return -1;
  }
  close(): number {
    return 0;
  }
  fflush(): number {
    return 0;
  }
  /** Nothing runs on another thread, so nothing is ever waited for at exit. */
  _exit(): void {}
}
