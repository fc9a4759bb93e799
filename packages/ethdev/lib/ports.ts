import {
  type DpdkBinding,
  MAX_BURST,
  MAX_ETHPORTS,
  type Pointer,
  type RawEthStats,
  type RawPortInfo,
} from './dpdk-binding.js';
import type { DpdkLog } from './dpdk-log.js';
import { DpdkError, errnoName, type HotplugError, InvalidInputError, PortStateError } from './errors.js';
import { call, type Plan, runPlan, type Step } from './plan.js';
import type {
  ConfigureOptions,
  PortHandle,
  PortId,
  PortInfo,
  PortRef,
  PortState,
  PortStats,
} from './types.js';

/** What a removal left of a device: its ports, or that it is still probed without any. */
export interface DeviceLeft {
  ports: PortId[];
  probed: boolean;
}

/** The usual answer, shared: nothing allocated on the hot path. */
const GONE: DeviceLeft = Object.freeze({ ports: Object.freeze([]) as unknown as PortId[], probed: false });

/** A probed device and the ports DPDK made for it. */
export interface DeviceRecord {
  readonly name: string;
  readonly bus: string;
  readonly devargs: string;
  readonly ports: PortRecord[];
}

export interface PortRecord {
  readonly id: PortId;
  /** This port's number among every port the table has known: no other port ever has it. */
  readonly generation: number;
  readonly device: DeviceRecord;
  state: PortState;
  /** The port's own mbuf pool, made at configure, freed at close. */
  pool?: Pointer;
  poolSize?: number;
  promiscuous?: boolean;
  /** Closed for the SDK, left to the device's removal in DPDK (see {@link PortTable}). */
  closeDeferred?: boolean;
  /** What DPDK last said of the port (`info`), for reads made while DPDK is busy. */
  seen?: PortInfo;
}

/** Throws PORT_STARTED or INVALID_STATE unless the port is in one of `states`. */
export function expectState(port: PortRecord, states: readonly PortState[], action: string): void {
  if (states.includes(port.state)) return;
  const code = port.state === 'started' ? 'PORT_STARTED' : 'INVALID_STATE';
  throw new PortStateError(
    code,
    `Cannot ${action} port ${port.id} (${port.device.name}): it is ${port.state}`,
    {
      port: port.id,
      device: port.device.name,
    },
  );
}

/** Checks a port reference: a port id (see {@link portId}) or a handle (`{ id, generation }`). */
export function portRef(value: unknown): PortRef {
  if (typeof value === 'object' && value !== null) {
    const { id, generation } = value as Partial<PortHandle>;
    if (!Number.isInteger(generation) || (generation as number) < 1) {
      throw new InvalidInputError(
        'INVALID_PORT',
        `A port handle needs the id and generation ports() or port() gave, not ${JSON.stringify(value)}`,
      );
    }
    return { id: portId(id), generation: generation as number };
  }
  return portId(value);
}

/** Checks a number as a port id; throws INVALID_PORT naming it. */
export function portId(value: unknown): PortId {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= MAX_ETHPORTS)
    throw notAPortId(value);
  return value as PortId;
}

// Out of line: the checks above run on every call that names a port, the message on none of them.
function notAPortId(value: unknown): InvalidInputError {
  return new InvalidInputError(
    'INVALID_PORT',
    `${JSON.stringify(value) ?? String(value)} is not a port id (an integer from 0 to ${MAX_ETHPORTS - 1})`,
  );
}

const SOCKET_ID_ANY = 0xffffffff;
const EINVAL = 22;
// RTE_MBUF_DEFAULT_BUF_SIZE: 2048 bytes of data after the 128-byte headroom.
const MBUF_DATA_ROOM = 2048 + 128;

export function count(option: string, value: number | undefined, fallback: number, max = 65535): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new InvalidInputError(
      'INVALID_OPTION',
      `Invalid configure option ${option}: must be an integer from 1 to ${max} here, not ${n}`,
      { key: option },
    );
  }
  return n;
}

/**
 * The SDK's record of every port and device, and the lifecycle calls on them. DPDK 22.11 frees a
 * port id at close while its device stays probed, and gives the id to the next port it makes:
 * a closed port is kept on its device, listed and detachable, until its device is detached,
 * whatever DPDK does with its id. Each port has a generation no other port ever has, so a
 * handle (`{ id, generation }`) names one port for good; a raw id names the port holding it in
 * DPDK now, else the one closed port that held it (two closed ports with one id: PORT_ID_REUSED).
 *
 * With `deferClose` (a primary whose DPDK state other processes can share), `close` leaves the
 * port to the device's removal: when a primary calls `rte_eth_dev_close` and then removes the
 * device, a secondary keeps a stale port (its removal finds the port by name in the shared data
 * close already wiped) and reading it crashes the secondary. The PMD's remove closes the port
 * itself and the secondaries follow. The application's contract is unchanged: close first.
 */
export class PortTable {
  /**
   * The port holding each id in DPDK now (not closed, or closed for the SDK only: deferClose),
   * indexed by id. Arrays, not Maps: every sync cycle adds and removes one port and one device,
   * and V8 reallocates a Map's table each time it empties (a runtime call and garbage).
   */
  readonly #live: Array<PortRecord | undefined> = new Array(MAX_ETHPORTS).fill(undefined);
  /**
   * Every device the table keeps, oldest first, in the first `#deviceCount` slots (few: a scan by
   * name costs less than a Map). The array never shrinks: V8 frees an array's store when it
   * empties, and the next attach would allocate a new one.
   */
  readonly #devices: Array<DeviceRecord | undefined> = [];
  #deviceCount = 0;
  #generations = 0;
  readonly #dpdk: DpdkBinding;
  readonly #log: DpdkLog;
  readonly #ids = new Uint16Array(MAX_ETHPORTS);
  #pools = 0;
  readonly #info = {} as RawPortInfo;
  readonly #stats = {} as RawEthStats;

  readonly #deferClose: boolean;

  constructor(dpdk: DpdkBinding, log: DpdkLog, options: { deferClose?: boolean } = {}) {
    this.#dpdk = dpdk;
    this.#log = log;
    this.#deferClose = options.deferClose ?? false;
  }

  /**
   * Probes a device and records it with its ports, in one crossing that also leaves the valid
   * ports of before the probe in `area.before` (a failed probe's clean-up reads them); returns
   * DPDK's error code (< 0) or the device.
   */
  probe(name: string, bus: string, devargs: string): DeviceRecord | number {
    const n = this.#dpdk.dphp_attach_area(devargs, name);
    return n < 0 ? n : this.#record(name, bus, devargs, n, this.#dpdk.area.ports);
  }

  /**
   * Records what a dphp_attach_area made off the main thread (see `probe`): the device, or
   * DPDK's error code (< 0).
   */
  probed(name: string, bus: string, devargs: string, n: number): DeviceRecord | number {
    return n < 0 ? n : this.#record(name, bus, devargs, n, this.#dpdk.area.ports);
  }

  /** The first `n` ids the shim wrote; a plain loop, as a subarray per call costs more than the copy. */
  #firstIds(n: number, from: Uint16Array = this.#ids): PortId[] {
    const ids: PortId[] = [];
    for (let i = 0; i < n; i++) ids.push(from[i] as PortId);
    return ids;
  }

  /** Records a device with the first `n` port ids of `ids` (read in place: no copy per attach). */
  #record(name: string, bus: string, devargs: string, n: number, ids: ArrayLike<number>): DeviceRecord {
    // Sized at once: a push into [] would allocate room for 17 ports.
    const device: DeviceRecord = { name, bus, devargs, ports: new Array<PortRecord>(n) };
    for (let i = 0; i < n; i++) {
      const id = ids[i] as PortId;
      const port: PortRecord = { id, generation: ++this.#generations, device, state: 'attached' };
      device.ports[i] = port;
      this.#live[id] = port;
    }
    if (this.#deviceCount < this.#devices.length) this.#devices[this.#deviceCount] = device;
    else this.#devices.push(device);
    this.#deviceCount++;
    return device;
  }

  /** The device named `name` (its bus name: a PCI address or vdev name), if the table keeps it. */
  device(name: string): DeviceRecord | undefined {
    const devices = this.#devices;
    for (let i = 0; i < this.#deviceCount; i++) if (devices[i]!.name === name) return devices[i];
    return undefined;
  }

  /** Every device the table keeps, oldest first: a copy, safe to hold while devices are removed. */
  deviceList(): DeviceRecord[] {
    return this.#devices.slice(0, this.#deviceCount) as DeviceRecord[];
  }

  /** How many devices the table keeps. */
  get deviceCount(): number {
    return this.#deviceCount;
  }

  /** The port holding id `id` in DPDK now, as far as the table knows (not a closed one). */
  holding(id: number): PortRecord | undefined {
    return id >= 0 && id < MAX_ETHPORTS ? this.#live[id] : undefined;
  }

  /** Records the devices of ports DPDK probed at EAL start (--vdev, PCI allow list). */
  adoptExisting(): void {
    for (const id of this.validPorts()) {
      if (this.#live[id] || this.#dpdk.dphp_port_info(id, this.#info) !== 0) continue;
      const { device, bus } = this.#info;
      if (!this.device(device)) {
        const ports = this.devicePorts(device);
        this.#record(device, bus, device, ports.length, ports);
      }
    }
  }

  /**
   * Catches up with ports another process attached or detached (multi-process: hotplug in the
   * primary reaches every secondary, and the other way round). A closed port is kept: DPDK has
   * forgotten its id, its device is still probed.
   */
  sync(): void {
    const valid = new Set<number>(this.validPorts());
    for (const device of this.deviceList()) {
      if (device.ports.some((p) => p.state !== 'closed' && !valid.has(p.id))) this.remove(device);
    }
    this.adoptExisting();
  }

  /** Forgets a detached device and its ports. */
  remove(device: DeviceRecord): void {
    for (const port of device.ports) {
      this.#freePool(port);
      if (this.#live[port.id] === port) this.#live[port.id] = undefined;
    }
    const devices = this.#devices;
    // The newest device first: a cycle detaches the device it attached last.
    const last = this.#deviceCount - 1;
    const at = devices[last] === device ? last : devices.indexOf(device);
    if (at < 0 || at >= this.#deviceCount) return;
    // Closes the gap in place (order kept), without splice's result array.
    for (let i = at + 1; i < this.#deviceCount; i++) devices[i - 1] = devices[i];
    devices[--this.#deviceCount] = undefined;
  }

  /** Every port the SDK keeps, closed ones too: by id, then oldest first. */
  all(): PortRecord[] {
    const all: PortRecord[] = [];
    for (let i = 0; i < this.#deviceCount; i++) all.push(...this.#devices[i]!.ports);
    return all.sort((a, b) => a.id - b.id || a.generation - b.generation);
  }

  /**
   * dphp_detach_area on this thread: rte_eal_hotplug_remove with what it left when it returned 0
   * (then `leftInArea()` tells it), a detach and its proof in one crossing. Returns remove's rc.
   */
  removeDevice(bus: string, name: string): number {
    return this.#dpdk.dphp_detach_area(bus, name);
  }

  /** What the last `removeDevice` (or dphp_detach_area off the main thread) that returned 0 left. */
  leftInArea(): DeviceLeft {
    return this.#left(this.#dpdk.area.left[0]!, this.#dpdk.area.ports);
  }

  #left(n: number, ids: Uint16Array): DeviceLeft {
    if (n === 0) return GONE;
    return n > 0 ? { ports: this.#firstIds(n, ids), probed: true } : { ports: [], probed: true };
  }

  /** Whether DPDK still has the device on its bus with a driver. */
  isProbed(device: DeviceRecord): boolean {
    return this.#dpdk.dphp_device_probed(device.bus, device.name) === 1;
  }

  /** DPDK's current ports of a device, lowest id first. */
  devicePorts(name: string): PortId[] {
    return this.#firstIds(this.#dpdk.dphp_device_ports(name, this.#ids, MAX_ETHPORTS));
  }

  /** The devices (bus and name) of DPDK's ports that are not in `before` (dphp_attach_area's snapshot). */
  devicesOfNewPorts(before: Uint16Array): Array<{ bus: string; name: string }> {
    const found = new Map<string, string>();
    for (const id of this.validPorts()) {
      if (before.includes(id) || this.#dpdk.dphp_port_info(id, this.#info) !== 0) continue;
      found.set(this.#info.device, this.#info.bus);
    }
    return [...found].map(([name, bus]) => ({ bus, name }));
  }

  validPorts(): PortId[] {
    return this.#firstIds(this.#dpdk.dphp_valid_ports(this.#ids, MAX_ETHPORTS));
  }

  /**
   * The port `value` names: a handle's own port (PORT_NOT_FOUND once detached: never another
   * port), or for a raw id the port holding it in DPDK now, else the one closed port listed
   * with it (PORT_ID_REUSED when two closed ports were given the id one after the other).
   */
  get(value: unknown): PortRecord {
    // A raw id, the usual reference, checked without portRef's call.
    return this.#find(typeof value === 'number' ? portId(value) : portRef(value), false);
  }

  /**
   * The port a detach by `value` removes the device of. A raw id that more than one listed port
   * has had (a closed port's id DPDK gave to a later one) is refused with PORT_ID_REUSED: the
   * caller may hold either, and detaching the other device cannot be undone.
   */
  forDetach(value: unknown): PortRecord {
    if (typeof value === 'number') return this.#find(portId(value), true);
    return this.#find(portRef(value), false);
  }

  /** `get` and `forDetach` (`detaching`: a raw id more than one listed port has had is refused). */
  #find(ref: PortRef, detaching: boolean): PortRecord {
    if (typeof ref === 'object') {
      const port = this.#ofGeneration(ref.id, ref.generation);
      if (!port || port.id !== ref.id) throw handleNotFound(ref, port);
      return port;
    }
    const live = this.#live[ref];
    if (live && !detaching) return live;
    // A closed port's id (every detach by id): the holders counted and the oldest found in one
    // scan without a list (built for the error only), indexed loops, no iterators.
    let oldest: PortRecord | undefined;
    let holders = 0;
    for (let d = 0; d < this.#deviceCount; d++) {
      const ports = this.#devices[d]!.ports;
      for (let i = 0; i < ports.length; i++) {
        const port = ports[i]!;
        if (port.id !== ref) continue;
        holders++;
        if (!oldest || port.generation < oldest.generation) oldest = port;
      }
    }
    if (holders > 1) throw idReused(ref, this.holders(ref));
    if (live) return live;
    if (oldest) return oldest;
    throw new PortStateError(
      'PORT_NOT_FOUND',
      `No port ${ref}: it was never attached, or has been detached`,
      {
        port: ref,
      },
    );
  }

  /** The port of generation `generation`: the one holding `id` if it is, else found by a scan. */
  #ofGeneration(id: number, generation: number): PortRecord | undefined {
    const live = this.#live[id];
    if (live?.generation === generation) return live;
    for (let d = 0; d < this.#deviceCount; d++) {
      const ports = this.#devices[d]!.ports;
      for (let i = 0; i < ports.length; i++) if (ports[i]!.generation === generation) return ports[i];
    }
    return undefined;
  }

  /** Every listed port that has id `id`, oldest first. */
  holders(id: number): PortRecord[] {
    // A scan, not `all()`'s copy and sort of every port.
    const holders: PortRecord[] = [];
    for (let d = 0; d < this.#deviceCount; d++) {
      for (const port of this.#devices[d]!.ports) if (port.id === id) holders.push(port);
    }
    return holders.length > 1 ? holders.sort((a, b) => a.generation - b.generation) : holders;
  }

  /**
   * What the SDK knows of a port, and DPDK's view of it unless `fromDpdk` is false (while an
   * async call runs on a worker thread, DPDK must not be called: what it said last is given).
   */
  info(port: PortRecord, fromDpdk = true): PortInfo {
    const raw = this.#info;
    if (!fromDpdk && port.seen && port.state !== 'closed')
      return { ...port.seen, link: { ...port.seen.link }, state: port.state };
    if (!fromDpdk || port.state === 'closed' || this.#dpdk.dphp_port_info(port.id, raw) !== 0) {
      // DPDK has forgotten a closed port: tell what the SDK knows.
      return {
        id: port.id,
        generation: port.generation,
        name: port.device.name,
        device: port.device.name,
        bus: port.device.bus,
        driver: '',
        state: port.state,
        socket: -1,
        mac: '',
        link: { up: false, speedMbps: 0, fullDuplex: false },
        maxRxQueues: 0,
        maxTxQueues: 0,
      };
    }
    port.seen = {
      id: port.id,
      generation: port.generation,
      name: raw.name,
      device: raw.device || port.device.name,
      bus: raw.bus || port.device.bus,
      driver: raw.driver,
      state: port.state,
      socket: raw.socket,
      mac: raw.mac.map((b) => b.toString(16).padStart(2, '0')).join(':'),
      link: { up: raw.link_up === 1, speedMbps: raw.link_speed, fullDuplex: raw.link_duplex === 1 },
      maxRxQueues: raw.max_rx_queues,
      maxTxQueues: raw.max_tx_queues,
    };
    return { ...port.seen, link: { ...port.seen.link } };
  }

  /** The lifecycle calls on this thread (each is also a {@link Plan}: `*Plan`, for the async forms). */
  configure(port: PortRecord, options: ConfigureOptions = {}): void {
    runPlan(this.configurePlan(port, options));
  }

  start(port: PortRecord): void {
    runPlan(this.startPlan(port));
  }

  /** Stops a started port; stopping a port that is not started does nothing, as in DPDK. */
  stop(port: PortRecord): void {
    runPlan(this.stopPlan(port));
  }

  /**
   * Closes a stopped port: DPDK frees its id; the device stays probed until detach. closePlan's
   * steps, on this thread without a generator: every sync cycle closes, and a plan allocates.
   */
  close(port: PortRecord): void {
    if (!this.#closeCallsDpdk(port)) return;
    const mark = this.#log.mark();
    const rc = this.#dpdk.rte_eth_dev_close(port.id);
    if (rc < 0) throw this.#closeFailed(port, rc, mark);
    if (port.pool) runPlan(this.#freePoolPlan(port));
    this.#closed(port);
  }

  /** Stop (whatever the SDK thinks: another PMD may have started it) and close; for force and cleanup. */
  forceClose(port: PortRecord): void {
    runPlan(this.forceClosePlan(port));
  }

  *configurePlan(port: PortRecord, options: ConfigureOptions = {}): Plan<void> {
    expectState(port, ['attached', 'configured', 'stopped'], 'configure');
    const info = this.info(port);
    const rxq = count('rxQueues', options.rxQueues, 1, Math.max(1, info.maxRxQueues));
    const txq = count('txQueues', options.txQueues, 1, Math.max(1, info.maxTxQueues));
    const rxd = count('rxDescriptors', options.rxDescriptors, 512);
    const txd = count('txDescriptors', options.txDescriptors, 512);
    const needed = count('mbufs', options.mbufs, rxq * rxd + txq * txd + MAX_BURST, 1 << 20);
    if (port.pool && needed > port.poolSize!) {
      throw new InvalidInputError(
        'INVALID_ARGUMENT',
        `Port ${port.id} was configured with ${port.poolSize} mbufs; ${needed} are needed: close and attach again`,
        { port: port.id },
      );
    }
    const d = this.#dpdk;
    yield* this.#step(port, 'configure', call(d.dphp_configure, port.id, rxq, txq));
    if (!port.pool) {
      const mark = this.#log.mark();
      const name = `dphp_${port.id}_${this.#pools++}`;
      const pool: Pointer | null = yield call(
        d.rte_pktmbuf_pool_create,
        name,
        needed,
        0,
        0,
        MBUF_DATA_ROOM,
        info.socket,
      );
      if (!pool) {
        throw new DpdkError('LIFECYCLE_FAILED', `Port ${port.id}: no memory for ${needed} mbufs`, {
          port: port.id,
          dpdkLog: this.#log.since(mark),
        });
      }
      port.pool = pool;
      port.poolSize = needed;
      d.dphp_port_pool(port.id, pool);
    }
    const socket = info.socket < 0 ? SOCKET_ID_ANY : info.socket;
    for (let q = 0; q < rxq; q++) {
      const setup = call(d.rte_eth_rx_queue_setup, port.id, q, rxd, socket, null, port.pool);
      yield* this.#step(port, `rx queue ${q} setup`, setup);
    }
    for (let q = 0; q < txq; q++) {
      yield* this.#step(
        port,
        `tx queue ${q} setup`,
        call(d.rte_eth_tx_queue_setup, port.id, q, txd, socket, null),
      );
    }
    port.promiscuous = options.promiscuous ?? true;
    port.state = 'configured';
  }

  *startPlan(port: PortRecord): Plan<void> {
    if (port.state === 'started') return;
    expectState(port, ['configured', 'stopped'], 'start');
    yield* this.#step(port, 'start', call(this.#dpdk.rte_eth_dev_start, port.id));
    // Some PMDs (net_null) do not implement promiscuous mode: traffic works without it.
    if (port.promiscuous) yield call(this.#dpdk.rte_eth_promiscuous_enable, port.id);
    port.state = 'started';
  }

  *stopPlan(port: PortRecord): Plan<void> {
    if (port.state !== 'started') {
      expectState(port, ['attached', 'configured', 'stopped'], 'stop');
      return;
    }
    yield* this.#step(port, 'stop', call(this.#dpdk.rte_eth_dev_stop, port.id));
    port.state = 'stopped';
  }

  *closePlan(port: PortRecord): Plan<void> {
    if (!this.#closeCallsDpdk(port)) return;
    const mark = this.#log.mark();
    const rc: number = yield call(this.#dpdk.rte_eth_dev_close, port.id);
    if (rc < 0) throw this.#closeFailed(port, rc, mark);
    if (port.pool) yield* this.#freePoolPlan(port);
    this.#closed(port);
  }

  /** Whether a close calls DPDK: not for a closed port, nor with deferClose; PORT_STARTED if started. */
  #closeCallsDpdk(port: PortRecord): boolean {
    if (port.state === 'closed') return false;
    if (port.state === 'started') throw startedAtClose(port);
    if (this.#deferClose) {
      // Still stopped and configured in DPDK, its pool in use: both go with the device.
      port.state = 'closed';
      port.closeDeferred = true;
      return false;
    }
    return true;
  }

  /** rte_eth_dev_close's failure (rc < 0), typed. */
  #closeFailed(port: PortRecord, rc: number, mark: number): HotplugError {
    const dpdkLog = this.#log.since(mark);
    if (rc === -EINVAL && dpdkLog.some((l) => /Cannot close started device/.test(l))) {
      // Another PMD drives this port (a bonding device started its members): not our state.
      return new PortStateError(
        'PORT_STARTED',
        `Port ${port.id} (${port.device.name}) was started by another PMD using it (a bonding device?): detach that first, or use force`,
        { port: port.id, device: port.device.name, errno: EINVAL, dpdkLog },
      );
    }
    return lifecycleFailed(port, 'close', rc, dpdkLog);
  }

  #closed(port: PortRecord): void {
    port.state = 'closed';
    // DPDK has freed the id: the next port it makes may get it.
    if (this.#live[port.id] === port) this.#live[port.id] = undefined;
  }

  *forceClosePlan(port: PortRecord): Plan<void> {
    if (port.state === 'closed') return;
    yield* this.#step(port, 'stop', call(this.#dpdk.rte_eth_dev_stop, port.id));
    port.state = 'stopped';
    yield* this.closePlan(port);
  }

  /** One DPDK call of a lifecycle step, its failure thrown as LIFECYCLE_FAILED. */
  *#step(port: PortRecord, what: string, step: Step): Plan<void> {
    const mark = this.#log.mark();
    this.#check(port, what, yield step, mark);
  }

  stats(port: PortRecord): PortStats {
    expectState(port, ['attached', 'configured', 'started', 'stopped'], 'read stats of');
    const s = this.#stats;
    this.#call(port, 'stats', () => this.#dpdk.dphp_stats(port.id, s));
    return {
      rxPackets: Number(s.ipackets),
      txPackets: Number(s.opackets),
      rxBytes: Number(s.ibytes),
      txBytes: Number(s.obytes),
      rxMissed: Number(s.imissed),
      rxErrors: Number(s.ierrors),
      txErrors: Number(s.oerrors),
      rxNoMbuf: Number(s.rx_nombuf),
    };
  }

  #freePool(port: PortRecord): void {
    if (port.pool) runPlan(this.#freePoolPlan(port));
  }

  /** Whether a port of the device still holds its mbuf pool (closed with deferClose, or never closed). */
  holdsPools(device: DeviceRecord): boolean {
    for (let i = 0; i < device.ports.length; i++) if (device.ports[i]!.pool) return true;
    return false;
  }

  /**
   * Frees the mbuf pools the device's ports still hold, once DPDK removed the device (a detach's
   * plan, off the event loop: rte_mempool_free takes 0.6–1.6 ms, see docs/measurements.md).
   */
  *freePoolsPlan(device: DeviceRecord): Plan<void> {
    for (const port of device.ports) if (port.pool) yield* this.#freePoolPlan(port);
  }

  *#freePoolPlan(port: PortRecord): Plan<void> {
    const pool = port.pool!;
    // The id may hold a newer port by now (DPDK reuses closed ids): its pool stays.
    if (this.#live[port.id] === port) this.#dpdk.dphp_port_pool(port.id, null);
    port.pool = undefined;
    port.poolSize = undefined;
    yield call(this.#dpdk.rte_mempool_free, pool);
  }

  #call(port: PortRecord, what: string, fn: () => number): void {
    const mark = this.#log.mark();
    this.#check(port, what, fn(), mark);
  }

  #check(port: PortRecord, what: string, rc: number, mark: number): void {
    if (rc < 0) throw lifecycleFailed(port, what, rc, this.#log.since(mark));
  }
}

// Errors of the checks on the hot path, built out of line (see eal.ts' alreadyAttached).

function startedAtClose(port: PortRecord): PortStateError {
  return new PortStateError(
    'PORT_STARTED',
    `Port ${port.id} (${port.device.name}) is started: stop it before close`,
    {
      port: port.id,
      device: port.device.name,
    },
  );
}

function lifecycleFailed(port: PortRecord, what: string, rc: number, dpdkLog: string[]): DpdkError {
  return new DpdkError(
    'LIFECYCLE_FAILED',
    `Port ${port.id} (${port.device.name}): ${what} failed with ${errnoName(rc)}`,
    {
      errno: -rc,
      port: port.id,
      device: port.device.name,
      dpdkLog,
    },
  );
}

function handleNotFound(ref: PortHandle, found: PortRecord | undefined): PortStateError {
  return new PortStateError(
    'PORT_NOT_FOUND',
    `No port ${ref.id} of generation ${ref.generation}: it has been detached${found ? '' : ' (or was never attached)'}`,
    { port: ref.id },
  );
}

function idReused(id: number, holders: readonly PortRecord[]): PortStateError {
  const who = holders.map((p) => `${p.device.name} (generation ${p.generation}, ${p.state})`).join(', ');
  return new PortStateError(
    'PORT_ID_REUSED',
    `Port id ${id} is ambiguous: DPDK gave it to more than one port still listed (${who}); name the port by its handle ({ id, generation } from ports() or port()) or its device by name (detachDevice)`,
    { port: id, device: holders.at(-1)!.device.name },
  );
}
