import { EventEmitter } from 'node:events';
import { existsSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { threadId } from 'node:worker_threads';
import { attachError } from './attach-errors.js';
import { dpdk } from './binding.js';
import {
  abortedError,
  ControlQueue,
  type LateOutcome,
  type LateReturn,
  type OffThreadCall,
} from './control-queue.js';
import { type Devargs, type DevargsFile, type DevargsPolicy, parseDevargs } from './devargs.js';
import { attachPolicy, devargsGuards, rememberAttached } from './devargs-policy.js';
import type { DpdkBinding } from './dpdk-binding.js';
import { currentDpdk, pmdFolderArgs, selectDpdk } from './dpdk-install.js';
import { DpdkLog } from './dpdk-log.js';
import { checkPmdFolder } from './drivers.js';
import { ealArgs, filePrefixOf } from './eal-args.js';
import { extraArgsProblem } from './eal-flags.js';
import { initFailureReason } from './eal-init-reason.js';
import {
  DpdkError,
  EalStateError,
  errnoName,
  type HotplugError,
  InvalidInputError,
  isHotplugError,
  PortStateError,
} from './errors.js';
import { EventPipe, type RawEvent } from './event-pipe.js';
import {
  checkAsyncOptions,
  checkAttachOptions,
  checkConfigureAsyncOptions,
  checkConfigureOptions,
  checkDetachOptions,
  checkEalOptions,
  DEFAULT_TIMEOUT_MS,
} from './options.js';
import { beginCapture, type CapturedOutput, captureOutput } from './output-capture.js';
import { call, type Plan, type Step, startPlan } from './plan.js';
import { type DeviceLeft, type DeviceRecord, type PortRecord, PortTable, portRef } from './ports.js';
import { type HeldResources, netdevCount, processHeld, processResources } from './resources.js';
import { removableRuntimeDir, runtimeDirFor } from './runtime-dir.js';
import { rxBurst, rxBurstPacked, txBurst, txBurstPacked } from './traffic.js';
import type {
  AsyncOptions,
  AttachedPort,
  AttachOptions,
  ConfigureOptions,
  DetachOptions,
  EalEvents,
  EalOptions,
  LateEvent,
  PacketBatch,
  PortHandle,
  PortId,
  PortInfo,
  PortRef,
  PortStats,
  ResourceSnapshot,
} from './types.js';

const ENOTSUP = 95;
const RTE_PROC_PRIMARY = 0;
/** How long cleanup() waits for each of DPDK's threads to end (they end in about a millisecond). */
const THREAD_END_MS = 2000;
const NO_OPTIONS: DetachOptions & AttachOptions = Object.freeze({});
const NO_PORTS: readonly PortRecord[] = Object.freeze([]);
// Looking a device up by name probes nothing: no file or command check applies.
const LOOKUP: DevargsPolicy = { allowShellCommands: true, overwriteFiles: true };

/** What became of each binding's one rte_eal_init call (the real one: once per process). */
const initResults = new WeakMap<DpdkBinding, 'ok' | 'failed'>();

/** What attach needs of a device string. */
type Device = Pick<Devargs, 'name' | 'bus' | 'devargs' | 'files' | 'subDevices' | 'memifServerSocket'>;

let attachUnchecked: (eal: Eal, devargs: string, options?: AttachOptions) => Promise<PortId>;

/**
 * DPDK's Environment Abstraction Layer, once per process, and the port hotplug framework on top
 * of it.
 *
 * Contract:
 * - `attach` takes a PCI address or a vdev string and returns the new port's id; `detach` takes a
 *   port id and returns the PCI address or vdev name of the device it removed.
 * - A port must be stopped and closed before it is detached (or `{ force: true }`): the same rule
 *   for every PMD, whatever DPDK 22.11 would do with a started one.
 * - Control calls run one at a time, in call order. The async forms (attach, configureAsync,
 *   startAsync, stopAsync, closeAsync, detach, detachDevice, release) run their DPDK calls on a
 *   worker thread, queued, with a timeout (TIMEOUT; the call goes on and the EAL is wedged until
 *   it returns: EAL_WEDGED) and an AbortSignal (ABORTED); the sync forms run on the thread that
 *   called `init`, and are refused (BUSY) while an async one is queued or running; `ports()` and
 *   `port()` then answer from the SDK's table. DPDK's C API is not thread safe; this class is,
 *   because nothing else reaches DPDK.
 * - A port is named by a raw id or a handle (`{ id, generation }`): see {@link PortRef}. A closed
 *   port stays listed and detachable whatever DPDK does with its id.
 * - Failures throw {@link HotplugError}s and leave the process, and every other port, working.
 */
export class Eal extends EventEmitter<EalEvents> {
  /** The EAL arguments used, after argv[0]. */
  readonly args: readonly string[];
  /** `DPDK 22.11.11`. */
  readonly version: string;
  readonly #dpdk: DpdkBinding;
  readonly #log: DpdkLog;
  readonly #table: PortTable;
  readonly #events: EventPipe | undefined;
  /** The async control calls, queued; what refuses the others meanwhile. */
  readonly #control = new ControlQueue(
    (late) => this.#onLate(late),
    // At exit, Node would wait for a call on a worker thread: forever for a stuck one.
    (code) => this.#dpdk._exit(code),
  );
  #running = true;
  #monitor = false;
  /**
   * Whether a listener was ever added (sticky): until then no event can have a listener, and the
   * attach and detach of every cycle skip Node's `listenerCount` (a lookup at a site every
   * emitter of the process shares: some 120 instructions each). See the static block below.
   */
  #listened = false;
  /** This process's own runtime folder, removed at cleanup; undefined when another may use it. */
  readonly #ownRuntimeDir: string | undefined;
  /** What attach allows (EalOptions), and the files this process's PMDs made. */
  readonly #policy: DevargsPolicy & { ownFiles: Set<string> };

  private constructor(
    binding: DpdkBinding,
    log: DpdkLog,
    args: string[],
    options: EalOptions,
    version: string,
    runtimeDir?: string,
  ) {
    super();
    this.#dpdk = binding;
    this.#log = log;
    this.args = args;
    this.version = version;
    this.#ownRuntimeDir = runtimeDir;
    // A process that ends without cleanup() (most do) must not leave its folder in /run/dpdk.
    if (runtimeDir) process.once('exit', this.#removeRuntimeDir);
    this.#policy = {
      allowShellCommands: options.allowShellCommandsInDevargs === true,
      overwriteFiles: options.overwriteFiles === true,
      ownFiles: new Set(),
      ...devargsGuards(options, (name) => this.#table.device(name) !== undefined),
    };
    // A primary whose state secondaries can share leaves close to the device's removal (ports.ts).
    const sharedState = !options.noSharedConfig && !options.inMemory;
    this.#table = new PortTable(binding, log, {
      deferClose: sharedState && binding.rte_eal_process_type() === RTE_PROC_PRIMARY,
    });
    // Ports probed at start (--vdev, PCI allow list) are managed like attached ones.
    this.#table.adoptExisting();
    const fd = binding.dphp_events_open();
    this.#events =
      fd >= 0 ? new EventPipe(fd, binding.dphp_event_size(), (e) => this.#onEvent(e)) : undefined;
  }

  /**
   * Starts the EAL (`rte_eal_init`). Once per process: a second call, also after `cleanup()`,
   * throws EAL_ALREADY_INITIALIZED; a call from another worker thread throws EAL_WRONG_THREAD.
   * `binding` is DPDK itself by default; tests of logic above DPDK pass a `FakeDpdk`
   * (`@dpdk-hotplug/ethdev/testing`).
   */
  static init(value: EalOptions = {}, binding: DpdkBinding | undefined = undefined): Eal {
    if (process.platform !== 'linux') {
      throw new EalStateError(
        'UNSUPPORTED_PLATFORM',
        `DPDK port hotplug runs on Linux only, not on ${process.platform}`,
      );
    }
    const options = checkEalOptions(value);
    const delays = delaysOf(options);
    const args = ealArgs(options);
    if (options.dpdk !== undefined) {
      if (binding)
        throw new InvalidInputError(
          'INVALID_OPTION',
          'Invalid EAL option dpdk: it selects a real DPDK, and a binding was given',
          { key: 'dpdk' },
        );
      selectDpdk(options.dpdk);
    }
    if (!binding) {
      checkPmdFolder(currentDpdk());
      // A build folder's PMDs are not where its librte_eal looks: the EAL is told (`-d`).
      args.push(...pmdFolderArgs(currentDpdk()));
    }
    binding ??= dpdk();
    // extraArgs were checked against every release's flags; now against the DPDK in use.
    const version = binding.rte_version() as string;
    const flagProblem = options.extraArgs && extraArgsProblem(options.extraArgs, version);
    if (flagProblem)
      throw new InvalidInputError('INVALID_OPTION', `Invalid EAL option extraArgs: ${flagProblem}`, {
        key: 'extraArgs',
      });
    const owner = binding.dphp_claim(threadId + 1);
    if (owner !== 0) {
      const who = owner === 1 ? 'the main thread' : `worker thread ${owner - 1}`;
      throw new EalStateError(
        'EAL_WRONG_THREAD',
        `DPDK in this process belongs to ${who}; call it from there`,
      );
    }
    const initResult = initResults.get(binding);
    if (initResult) {
      throw new EalStateError(
        'EAL_ALREADY_INITIALIZED',
        initResult === 'ok'
          ? 'The EAL was already initialized in this process (rte_eal_init runs once per process, even after cleanup): start a new process'
          : 'rte_eal_init already failed in this process, and DPDK keeps the options it parsed, so it cannot be retried: start a new process',
      );
    }
    const log = new DpdkLog(binding, options.logEcho ?? true);
    const mark = log.mark();
    const argv = ['dpdk-hotplug', ...args];
    const { prefix, own } = filePrefixOf(options);
    const existedBefore = prefix === undefined || existsSync(runtimeDirFor(prefix));
    // Before rte_eal_init: the allow list's devices are probed inside it.
    if (delays === 'sleep') binding.dphp_delays(1);
    const { result: rc, stdout, stderr } = captureOutput(binding, () => binding.ealInit(argv));
    initResults.set(binding, rc < 0 ? 'failed' : 'ok');
    // A folder others may use (shared config under a prefix the caller gave) stays.
    const mine = own || options.noSharedConfig || options.inMemory;
    const runtimeDir = mine
      ? removableRuntimeDir(runtimeDirFor(prefix ?? ''), prefix, existedBefore)
      : undefined;
    // A failed init's folder serves no one: this process cannot init again.
    if (rc < 0 && runtimeDir) rmSync(runtimeDir, { recursive: true, force: true });
    // DPDK prints its usage to stdout and some errors straight to stderr: stderr (with the log's
    // echo) is shown as DPDK would when logEcho is on; the usage only in the error's dpdkLog.
    if (options.logEcho !== false && stderr) process.stderr.write(stderr);
    if (rc < 0) {
      const logged = log.since(mark);
      const reason = initFailureReason(logged, options.processType === 'secondary');
      const printed = [...lines(stderr).filter((l) => !logged.includes(l)), ...lines(stdout)];
      throw new EalStateError('EAL_INIT_FAILED', `rte_eal_init failed with ${args.join(' ')}: ${reason}`, {
        dpdkLog: [...logged, ...printed],
      });
    }
    const ealDir = binding.rte_eal_get_runtime_dir() as string;
    return new Eal(binding, log, args, options, version, runtimeDir === ealDir ? runtimeDir : undefined);
  }

  // ------------------------------------------------------------------ hotplug

  /**
   * Attaches a device as {@link attachSync} does, with DPDK's probe on a worker thread: the event
   * loop keeps running meanwhile. Async control calls run one at a time, in call order: this one
   * waits for those queued before it, and the state (already attached?) is checked when its turn
   * comes. Rejects with TIMEOUT when the probe has not returned within `timeoutMs` (default 30 s):
   * the probe goes on, DPDK cannot cancel it, and every control call is refused with EAL_WEDGED
   * until it returns; then the SDK takes in what it did and emits `late`.
   */
  attach(devargs: string, options?: AttachOptions): Promise<PortId> {
    return this.#rejectingThrows(this.#attachAsync, devargs, options);
  }

  /**
   * `method(a, b)` with a synchronous throw as a rejection, as an async method's: without a
   * closure per call, or the extra promise (and microtask ticks) an `async` function adds.
   */
  #rejectingThrows<A, B, T>(method: (this: Eal, a: A, b: B) => Promise<T>, a: A, b: B): Promise<T> {
    try {
      return method.call(this, a, b);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  #attachAsync(devargs: string, value: AttachOptions | undefined, checked = true): Promise<PortId> {
    this.#ensureRunning();
    const options = value === undefined ? NO_OPTIONS : checkAttachOptions(value);
    const policy = attachPolicy(this.#policy, options);
    const d: Device = checked ? parseDevargs(devargs, policy) : uncheckedDevice(devargs);
    const quoted = JSON.stringify(d.devargs);
    const label = `attach(${quoted})`;
    this.#control.refuseIfWedged(label);
    const { signal } = options;
    // Whether its turn comes later than now (else the checks above are the turn's own).
    let queued = false;
    const turn = this.#control.enqueue(
      label,
      (): OffThreadCall<PortId> => {
        this.#ensureRunning();
        // Files and attached devices are checked again just before the probe, as the sync form checks them.
        if (checked && queued) parseDevargs(devargs, policy);
        this.#refuseAttached(d.name, devargs);
        const mark = this.#log.mark();
        // The probe's ports and the snapshot before it, in the shim's area as the sync form
        // has them (one call at a time: nothing else writes them until this call settled).
        const { before } = this.#dpdk.area;
        return {
          call: `rte_dev_probe(${quoted})`,
          timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
          details: { devargs, device: d.name },
          start: (done) =>
            signal
              ? startPlan(this.#probeUnlessAborted(d, before, signal), done)
              : this.#dpdk.dphp_attach_area.async(d.devargs, d.name, done),
          finish: (n) =>
            this.#attached(d, devargs, this.#table.probed(d.name, d.bus, d.devargs, n), mark, before),
          late: (n) => this.#lateAttach(d, devargs, n, before),
          aborted: (id) => `${d.name} is attached as port ${id}: its removal failed, detach it`,
        };
      },
      signal,
    );
    queued = true;
    return turn;
  }

  /**
   * An abortable probe: aborted while DPDK probed, what it made is removed again (on the worker
   * thread too) and the attach rejects with ABORTED, nothing left. A removal that fails leaves
   * the device to the table (the attach then rejects with ABORTED saying so).
   */
  *#probeUnlessAborted(d: Device, before: Uint16Array, signal: AbortSignal): Plan<number> {
    const n: number = yield call(this.#dpdk.dphp_attach_area, d.devargs, d.name);
    if (!signal.aborted || n < 0) return n;
    const rc: number = yield call(this.#dpdk.rte_eal_hotplug_remove, d.bus, d.name);
    if (rc < 0) return n;
    for (const left of this.#table.devicesOfNewPorts(before))
      yield call(this.#dpdk.rte_eal_hotplug_remove, left.bus, left.name);
    throw abortedError(
      `attach(${JSON.stringify(d.devargs)})`,
      `while DPDK probed ${d.name} (DPDK cannot cancel a probe): the device was detached again, nothing is left`,
    );
  }

  /**
   * Probes a device (`0000:01:00.0`, `net_pcap0,iface=eth0`, `eth_pcap0,...`) and returns its
   * first port's id (`portsOf` lists all when it made several). A PCI device must be bound to a
   * userspace I/O driver first. A failed attach leaves no device or port behind. Devargs that
   * would crash or hang the process, run a command or overwrite a file are refused first
   * (INVALID_DEVARGS; see HAZARDOUS_DEVARGS and `overwriteFiles`). Runs on this thread, so it
   * has no timeout (`timeoutMs` is refused), and is refused (BUSY) while an async call is queued.
   */
  attachSync(devargs: string, options?: Omit<AttachOptions, keyof AsyncOptions>): PortId {
    this.#ensureIdle('attachSync');
    const policy =
      options === undefined
        ? this.#policy
        : attachPolicy(this.#policy, syncOnly('attachSync', checkAttachOptions(options)));
    const d = parseDevargs(devargs, policy);
    this.#refuseAttached(d.name, devargs);
    const mark = this.#log.mark();
    const device = this.#table.probe(d.name, d.bus, d.devargs);
    return this.#attached(d, devargs, device, mark, this.#dpdk.area.before);
  }

  #refuseAttached(name: string, devargs: string): void {
    const known = this.#table.device(name);
    if (known) throw alreadyAttached(known, devargs);
  }

  /** The port id of a probe's result, or its typed error; the attach event. */
  #attached(
    d: Device,
    devargs: string,
    device: DeviceRecord | number,
    mark: number,
    before: Uint16Array,
  ): PortId {
    if (typeof device === 'number') throw this.#probeFailed(d, devargs, device, mark, before);
    // Files its PMD made are this process's: attaching again may write them again.
    if (d.files.length > 0) this.#ownFiles(d.files);
    const first = device.ports[0];
    if (!first) throw this.#noPortCreated(d, devargs, device, mark, before);
    if (d.memifServerSocket) rememberAttached(this.#policy, d);
    this.#emitAttach(device, devargs);
    // A failsafe's sub-devices made ports too: the caller's to see and to detach from now on.
    if (d.subDevices.length > 0) this.#table.adoptExisting();
    return first.id;
  }

  /** A failed probe undone (what it left removed), and its typed error. */
  #probeFailed(d: Device, devargs: string, rc: number, mark: number, before: Uint16Array): HotplugError {
    this.#undoFailedProbe(d.bus, d.name, before);
    return attachError(rc, d.bus, d.name, devargs, this.#log.since(mark));
  }

  /** A probe that made no port undone, and NO_PORT_CREATED saying what is left. */
  #noPortCreated(
    d: Device,
    devargs: string,
    device: DeviceRecord,
    mark: number,
    before: Uint16Array,
  ): DpdkError {
    const left = this.#removePortless(device, before);
    return new DpdkError(
      'NO_PORT_CREATED',
      `Device ${d.name} made no ethdev port (not a network device?): ${left}`,
      {
        devargs,
        device: d.name,
        dpdkLog: this.#log.since(mark),
      },
    );
  }

  #emitAttach(device: DeviceRecord, devargs: string): void {
    if (this.#listened && this.listenerCount('attach') > 0) {
      const first = device.ports[0]!;
      const event = { port: first.id, ports: device.ports.map((p) => p.id), device: device.name, devargs };
      queueMicrotask(() => this.emit('attach', event));
    }
  }

  /** A probe that timed out returned: its device and ports join the table (or its failure is undone). */
  #lateAttach(d: Device, devargs: string, n: number, before: Uint16Array): LateOutcome {
    if (n < 0) {
      this.#undoFailedProbe(d.bus, d.name, before);
      this.#table.sync();
      return { outcome: `the probe failed (${errnoName(n)}): ${d.name} is not attached`, device: d.name };
    }
    const device = this.#table.probed(d.name, d.bus, d.devargs, n) as DeviceRecord;
    if (d.files.length > 0) this.#ownFiles(d.files);
    if (device.ports.length === 0) {
      const left = this.#removePortless(device, before);
      this.#table.sync();
      return {
        outcome: `${d.name} is probed after all but made no ethdev port: ${left}`,
        device: d.name,
        ports: [],
      };
    }
    rememberAttached(this.#policy, d);
    this.#table.sync();
    const ports = device.ports.map((p) => p.id);
    this.#emitAttach(device, devargs);
    return {
      outcome: `${d.name} is attached after all, as port${ports.length > 1 ? 's' : ''} ${ports.join(', ')}`,
      device: d.name,
      ports,
    };
  }

  /**
   * Detaches a port's device as {@link detachSync} does, with DPDK's remove on a worker thread,
   * queued after the async calls before it (the port's state is checked when its turn comes).
   * Rejects with TIMEOUT when the remove has not returned within `timeoutMs` (default 30 s); see
   * {@link attach}.
   */
  detach(port: PortRef, value?: DetachOptions): Promise<string> {
    return this.#rejectingThrows(this.#detachAsync, port, value);
  }

  #detachAsync(port: PortRef, value: DetachOptions | undefined): Promise<string> {
    this.#ensureRunning();
    const options = value === undefined ? NO_OPTIONS : checkDetachOptions(value);
    const ref = portRef(port);
    const label = `detach(port ${typeof ref === 'number' ? ref : ref.id})`;
    this.#control.refuseIfWedged(label);
    return this.#control.enqueue(
      label,
      () => {
        this.#ensureRunning();
        const record = this.#table.forDetach(ref);
        this.#refuseOpen(record, options);
        return this.#removeOffThread(record.device, options);
      },
      options.signal,
    );
  }

  /**
   * Removes the device of a stopped and closed port and returns its name: the PCI address or the
   * vdev name (`net_null0`). After close, DPDK 22.11 may give the id to a new port: a closed port
   * stays listed and detachable, by its handle (`{ id, generation }`, from `ports()`/`port()`),
   * by its device's name (`detachDevice`), or by its raw id while no other listed port has that
   * id (else PORT_ID_REUSED: the id alone cannot say which device the caller means).
   * Refuses (PORT_STARTED, PORT_NOT_CLOSED, SIBLING_PORTS_OPEN) unless `force`, which stops and
   * closes the device's ports first. Runs on this thread: no `timeoutMs`; BUSY while an async
   * call is queued.
   */
  detachSync(port: PortRef, value?: Omit<DetachOptions, keyof AsyncOptions>): string {
    this.#ensureIdle('detachSync');
    const options = value === undefined ? NO_OPTIONS : syncOnly('detachSync', checkDetachOptions(value));
    const record = this.#table.forDetach(port);
    this.#refuseOpen(record, options);
    return this.#detachDevice(record.device, options);
  }

  #refuseOpen(record: PortRecord, options: DetachOptions): void {
    if (!options.force && record.state !== 'closed') throw notClosed(record);
  }

  /** Detaches a device by name (its PCI address or vdev name), whatever ids its ports had. */
  detachDeviceSync(name: string, value?: Omit<DetachOptions, keyof AsyncOptions>): string {
    this.#ensureIdle('detachDeviceSync');
    const options =
      value === undefined ? NO_OPTIONS : syncOnly('detachDeviceSync', checkDetachOptions(value));
    return this.#detachDevice(this.#deviceNamed(parseDevargs(name, LOOKUP).name), options);
  }

  /** {@link detachDeviceSync} with DPDK's remove on a worker thread, queued; see {@link detach}. */
  detachDevice(name: string, value?: DetachOptions): Promise<string> {
    return this.#rejectingThrows(this.#detachDeviceAsync, name, value);
  }

  #detachDeviceAsync(name: string, value: DetachOptions | undefined): Promise<string> {
    this.#ensureRunning();
    const options = value === undefined ? NO_OPTIONS : checkDetachOptions(value);
    const d = parseDevargs(name, LOOKUP);
    const label = `detachDevice(${JSON.stringify(d.name)})`;
    this.#control.refuseIfWedged(label);
    return this.#control.enqueue(
      label,
      () => {
        this.#ensureRunning();
        return this.#removeOffThread(this.#deviceNamed(d.name), options);
      },
      options.signal,
    );
  }

  #deviceNamed(name: string): DeviceRecord {
    const device = this.#table.device(name);
    if (!device) {
      throw new PortStateError('DEVICE_NOT_FOUND', `Device ${name} is not attached`, { device: name });
    }
    return device;
  }

  /** The live (not closed) ports of a device, lowest id first. */
  portsOf(device: string): PortId[] {
    this.#ensureRunning();
    const record = this.#table.device(parseDevargs(device, LOOKUP).name);
    return record ? record.ports.filter((p) => p.state !== 'closed').map((p) => p.id) : [];
  }

  // ------------------------------------------------------------------ ports

  /**
   * Every port: DPDK's valid ports, and closed ones whose devices are still attached. Ports that
   * another process of the same DPDK instance attached or detached are taken in first.
   */
  ports(): PortInfo[] {
    this.#ensureRunning();
    // While an async call runs (or is stuck) on a worker thread, DPDK must not be called: the
    // SDK's own table answers, with what DPDK said of each port last.
    const idle = !this.#control.active;
    if (idle) this.#table.sync();
    return this.#table.all().map((p) => this.#table.info(p, idle));
  }

  /** One port, as `ports()` lists it (readable while an async call runs, from the SDK's table). */
  port(id: PortRef): PortInfo {
    this.#ensureRunning();
    return this.#table.info(this.#table.get(id), !this.#control.active);
  }

  /**
   * {@link attach}, answered with a handle of the new (first) port: its id, generation and
   * device, and `[Symbol.asyncDispose]`, which releases it (stop, close, detach; nothing when
   * its device is detached already): `await using port = await eal.attachPort('net_null0')`.
   */
  async attachPort(devargs: string, options?: AttachOptions): Promise<AttachedPort> {
    const id = await this.attach(devargs, options);
    const { generation, device } = this.#table.holding(id)!;
    return attachedPort(this, { id, generation }, device.name);
  }

  /**
   * `await using eal = Eal.init(…)`: waits for the async calls queued to settle, then
   * {@link cleanup}; throws what cleanup met (one error, or an AggregateError).
   */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.#control.settled();
    const errors = this.cleanup();
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `cleanup() met ${errors.length} errors`);
  }

  /** Sets a port's queues up and makes its mbuf pool (rte_eth_dev_configure, queue setup); the async form is {@link configureAsync}. */
  configure(port: PortRef, options?: ConfigureOptions): void {
    this.#ensureIdle('configure()');
    this.#table.configure(this.#table.get(port), checkConfigureOptions(options));
  }

  /** Starts a configured or stopped port (rte_eth_dev_start); starting a started port does nothing. */
  start(port: PortRef): void {
    this.#ensureIdle('start()');
    const record = this.#table.get(port);
    // A PMD may print what it reads (softnic: each line of its firmware file): never to our stdout.
    const { stdout, stderr } = captureOutput(this.#dpdk, () => this.#table.start(record));
    this.#pmdOutput(record.id, 'start', { stdout, stderr });
  }

  #pmdOutput(port: PortId, call: 'start' | 'startAsync', { stdout, stderr }: CapturedOutput): void {
    if ((stdout || stderr) && this.listenerCount('pmdOutput') > 0)
      queueMicrotask(() => this.emit('pmdOutput', { port, call, stdout, stderr }));
  }

  /** Stops a started port (rte_eth_dev_stop); stopping a port that is not started does nothing. */
  stop(port: PortRef): void {
    this.#ensureIdle('stop()');
    this.#table.stop(this.#table.get(port));
  }

  /** Closes a stopped port. DPDK 22.11 frees the id now; `detach(id)` still removes the device. */
  close(port: PortRef): void {
    this.#ensureIdle('close()');
    this.#table.close(this.#table.get(port));
  }

  /**
   * {@link configure} with its DPDK calls (rte_eth_dev_configure, the pool, the queues) on a
   * worker thread, queued after the async calls before it (the state is checked when its turn
   * comes), with `timeoutMs` and `signal` as {@link attach}'s.
   */
  configureAsync(port: PortRef, options?: ConfigureOptions & AsyncOptions): Promise<void> {
    return this.#rejectingThrows(this.#configureAsync, port, options);
  }

  #configureAsync(port: PortRef, options: (ConfigureOptions & AsyncOptions) | undefined): Promise<void> {
    this.#ensureRunning();
    const { timeoutMs, signal, ...configure } = checkConfigureAsyncOptions(options);
    return this.#lifecycleAsync('configure', port, { timeoutMs, signal }, (p) =>
      this.#table.configurePlan(p, configure),
    );
  }

  /** {@link start} on a worker thread, queued; see {@link configureAsync}. */
  startAsync(port: PortRef, options?: AsyncOptions): Promise<void> {
    return this.#rejectingThrows(this.#startAsync, port, options);
  }

  #startAsync(port: PortRef, options: AsyncOptions | undefined): Promise<void> {
    this.#ensureRunning();
    const checked = checkAsyncOptions('startAsync', options);
    return this.#lifecycleAsync('start', port, checked, (p) => this.#table.startPlan(p), {
      capture: 'startAsync',
    });
  }

  /** {@link stop} on a worker thread, queued; see {@link configureAsync}. */
  stopAsync(port: PortRef, options?: AsyncOptions): Promise<void> {
    return this.#rejectingThrows(this.#stopAsync, port, options);
  }

  #stopAsync(port: PortRef, options: AsyncOptions | undefined): Promise<void> {
    this.#ensureRunning();
    const checked = checkAsyncOptions('stopAsync', options);
    return this.#lifecycleAsync('stop', port, checked, (p) => this.#table.stopPlan(p));
  }

  /** {@link close} on a worker thread, queued; see {@link configureAsync}. */
  closeAsync(port: PortRef, options?: AsyncOptions): Promise<void> {
    return this.#rejectingThrows(this.#closeAsync, port, options);
  }

  #closeAsync(port: PortRef, options: AsyncOptions | undefined): Promise<void> {
    this.#ensureRunning();
    const checked = checkAsyncOptions('closeAsync', options);
    return this.#lifecycleAsync('close', port, checked, (p) => this.#table.closePlan(p));
  }

  /**
   * Stops and closes a port, then detaches its device, in one queued turn on a worker thread:
   * for an application that asks for the whole end of a port's life explicitly (a plain detach
   * of a started or open port is still refused). The device's other ports must be closed
   * already (SIBLING_PORTS_OPEN, nothing done). Returns the device's name, as detach does.
   */
  release(port: PortRef, options?: AsyncOptions): Promise<string> {
    return this.#rejectingThrows(this.#release, port, options);
  }

  #release(port: PortRef, options: AsyncOptions | undefined): Promise<string> {
    this.#ensureRunning();
    const checked = checkAsyncOptions('release', options);
    return this.#lifecycleAsync('release', port, checked, (p) => this.#releasePlan(p), {
      aborted: (device) => `${device} is detached`,
      // It detaches: a raw id two listed ports had is refused, as detach refuses it.
      lookup: (ref) => this.#table.forDetach(ref),
    });
  }

  *#releasePlan(port: PortRecord): Plan<string> {
    const { device } = port;
    const open = device.ports.filter((p) => p !== port && p.state !== 'closed');
    if (open.length > 0) {
      throw new PortStateError(
        'SIBLING_PORTS_OPEN',
        `Device ${device.name} has other open ports (${open.map((p) => `${p.id}: ${p.state}`).join(', ')}): close them before release(port ${port.id})`,
        { device: device.name, port: open[0]!.id },
      );
    }
    if (port.state !== 'closed') {
      yield* this.#table.stopPlan(port);
      yield* this.#table.closePlan(port);
    }
    const mark = this.#log.mark();
    const rc: number = yield this.#detachStep(device);
    return this.#removed(device, rc, mark, this.#leftInArea);
  }

  /** A lifecycle plan on a worker thread, queued; the port is looked up when its turn comes. */
  #lifecycleAsync<T>(
    what: string,
    port: PortRef,
    options: AsyncOptions,
    plan: (record: PortRecord) => Plan<T>,
    said: {
      aborted?: (result: T) => string;
      lookup?: (ref: PortRef) => PortRecord;
      /** Capture what the worker thread's calls print, as start() does (softnic echoes its firmware). */
      capture?: 'startAsync';
    } = {},
  ): Promise<T> {
    const ref = portRef(port);
    const label = `${what}${what === 'release' ? '' : 'Async'}(port ${typeof ref === 'number' ? ref : ref.id})`;
    this.#control.refuseIfWedged(label);
    return this.#control.enqueue(
      label,
      (): OffThreadCall<T, T> => {
        this.#ensureRunning();
        const record = said.lookup ? said.lookup(ref) : this.#table.get(ref);
        const which = `port ${record.id} (${record.device.name})`;
        const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
        return {
          call: `${what} of ${which}`,
          timeoutMs,
          details: { port: record.id, device: record.device.name },
          start: (done) => {
            if (!said.capture) return startPlan(plan(record), done);
            const call = said.capture;
            const capture = beginCapture(this.#dpdk, { keepNodeOutput: true });
            let ended = false;
            const end = () => {
              if (ended) return;
              ended = true;
              this.#pmdOutput(record.id, call, capture.end());
            };
            // A call that outlives its timeout keeps running: the process gets its output back then.
            const timer = setTimeout(end, timeoutMs);
            timer.unref();
            startPlan(plan(record), (error, result) => {
              clearTimeout(timer);
              end();
              done(error, result);
            });
          },
          finish: (result) => result,
          late: () => ({ outcome: `${which} is ${record.state} after all`, device: record.device.name }),
          aborted: (result) => said.aborted?.(result) ?? `${which} is ${record.state}`,
        };
      },
      options.signal,
    );
  }

  /** The port's counters (rte_eth_stats_get). */
  stats(port: PortRef): PortStats {
    this.#ensureRunning();
    return this.#table.stats(this.#table.get(port));
  }

  /** Sends packets (each 1 … 2048 bytes) on a started port; returns how many the PMD took. */
  txBurst(port: PortRef, packets: readonly Uint8Array[], queue = 0): number {
    this.#ensureRunning();
    return txBurst(this.#dpdk, this.#table.get(port), packets, queue);
  }

  /** Receives up to `max` packets (≤ 512) from a started port. */
  rxBurst(port: PortRef, max = 32, queue = 0): Buffer[] {
    this.#ensureRunning();
    return rxBurst(this.#dpdk, this.#table.get(port), max, queue);
  }

  /**
   * {@link txBurst} without a Buffer per packet: packets end to end in `batch.data`. Nothing is
   * kept after the call: the mbufs are the SDK's and the PMD's, `batch` stays the caller's.
   */
  txBurstPacked(port: PortRef, batch: PacketBatch, queue = 0): number {
    this.#ensureRunning();
    return txBurstPacked(this.#dpdk, this.#table.get(port), batch, queue);
  }

  /** {@link rxBurst} into the caller's `batch` (packets end to end); returns how many came. */
  rxBurstPacked(port: PortRef, batch: PacketBatch, queue = 0): number {
    this.#ensureRunning();
    return rxBurstPacked(this.#dpdk, this.#table.get(port), batch, queue);
  }

  // ------------------------------------------------------------------ process

  /** Resources of this process now: compare snapshots across cycles to find leaks. */
  resources(): ResourceSnapshot {
    this.#ensureIdle('resources()');
    return {
      ...processResources(),
      dpdkHeapBytes: this.#dpdk.dphp_heap_in_use(),
      memzones: this.#dpdk.dphp_memzone_count(),
      ports: this.#table.validPorts().length,
      netdevs: netdevCount(),
    };
  }

  /**
   * What this process holds now, by name (memzones, fds, netdevs, threads): a snapshot before a
   * device's first attach and one after its detach say what the detach left behind
   * (`leftBehind`, `describeHeld`).
   */
  held(): HeldResources {
    this.#ensureIdle('held()');
    let buf = Buffer.alloc(16 * 1024);
    let needed = this.#dpdk.dphp_memzone_names(buf, buf.length);
    if (needed > buf.length) {
      buf = Buffer.alloc(needed);
      needed = this.#dpdk.dphp_memzone_names(buf, buf.length);
    }
    const memzones = buf.toString('utf8', 0, Math.min(needed, buf.length)).split('\n').filter(Boolean);
    return { memzones, ...processHeld() };
  }

  /**
   * Watches the kernel for device removal (`rte_dev_event_monitor_start`) and lets DPDK handle a
   * surprise removal of a PCI device safely (`rte_dev_hotplug_handle_enable`); `remove` events
   * follow. Off by default, as in DPDK.
   */
  enableHotplugMonitor(): void {
    this.#ensureIdle('enableHotplugMonitor()');
    if (this.#monitor) return;
    const mark = this.#log.mark();
    for (const [name, fn] of [
      ['rte_dev_hotplug_handle_enable', this.#dpdk.rte_dev_hotplug_handle_enable],
      ['rte_dev_event_monitor_start', this.#dpdk.rte_dev_event_monitor_start],
    ] as const) {
      const rc = fn();
      if (rc < 0) {
        throw new DpdkError('LIFECYCLE_FAILED', `${name} failed with ${errnoName(rc)}`, {
          errno: -rc,
          dpdkLog: this.#log.since(mark),
        });
      }
    }
    this.#monitor = true;
  }

  /**
   * How DPDK's `rte_delay_us` waits now, read from DPDK (the `delays` option set it; `'other'`: a
   * callback someone else registered): for reports that say how a run's timings were taken.
   */
  get delays(): 'busy' | 'sleep' | 'other' {
    const mode = this.#dpdk.dphp_delays(-1);
    return mode === 0 ? 'busy' : mode === 1 ? 'sleep' : 'other';
  }

  /** Whether `cleanup()` has not run yet. */
  get running(): boolean {
    return this.#running;
  }

  /**
   * Stops and closes every port, detaches every device, and releases the EAL. The EAL cannot be
   * started again in this process. Returns the errors met on the way (it goes on past them).
   */
  cleanup(): HotplugError[] {
    if (!this.#running) return [];
    // DPDK would free what a call running on a worker thread uses.
    this.#ensureIdle('cleanup()');
    const errors: HotplugError[] = [];
    for (const device of this.#table.deviceList()) {
      try {
        this.#detachDevice(device, { force: true });
      } catch (e) {
        errors.push(e as HotplugError);
      }
    }
    if (this.#monitor) {
      this.#dpdk.rte_dev_event_monitor_stop();
      this.#dpdk.rte_dev_hotplug_handle_disable();
    }
    this.#dpdk.dphp_events_close();
    this.#events?.close();
    this.#running = false;
    // rte_eal_cleanup unmaps DPDK's memory and leaves DPDK's threads running: the interrupt
    // thread read a source net_memif never unregisters (its server's listener) after the unmap,
    // SIGSEGV. So both threads end first (native/shim.c); if the interrupt thread does not,
    // DPDK's memory stays mapped until the process ends rather than risk that.
    const { error, intrEnded } = this.#endDpdkThreads();
    if (error) errors.push(error);
    if (intrEnded) this.#dpdk.rte_eal_cleanup();
    // DPDK 22.11 leaves its telemetry socket and the folder in /var/run/dpdk behind.
    process.off('exit', this.#removeRuntimeDir);
    this.#removeRuntimeDir();
    return errors;
  }

  /** Ends DPDK's interrupt and telemetry threads; an error names one that stayed. */
  #endDpdkThreads(): { error?: HotplugError; intrEnded: boolean } {
    const telemetry = this.#dpdk.dphp_end_telemetry(THREAD_END_MS);
    const intr = this.#dpdk.dphp_end_intr_thread(THREAD_END_MS);
    if (intr >= 0 && telemetry >= 0) return { intrEnded: true };
    const what = [
      intr < 0 ? `DPDK's interrupt thread (${errnoName(intr)})` : '',
      telemetry < 0 ? `telemetry's threads (${errnoName(telemetry)})` : '',
    ].filter(Boolean);
    const error = new DpdkError(
      'LIFECYCLE_FAILED',
      `cleanup() could not end ${what.join(' and ')} within ${THREAD_END_MS} ms${intr < 0 ? ": rte_eal_cleanup skipped, DPDK's memory stays mapped until the process ends" : ''}`,
      { errno: -(intr < 0 ? intr : telemetry) },
    );
    return { error, intrEnded: intr >= 0 };
  }

  readonly #removeRuntimeDir = (): void => {
    if (this.#ownRuntimeDir) rmSync(this.#ownRuntimeDir, { recursive: true, force: true });
  };

  // ------------------------------------------------------------------ internals

  #detachDevice(device: DeviceRecord, options: DetachOptions): string {
    this.#prepareRemove(device, options);
    const mark = this.#log.mark();
    const rc = this.#table.removeDevice(device.bus, device.name);
    return this.#removed(device, rc, mark, this.#leftInArea);
  }

  readonly #leftInArea = (): DeviceLeft => this.#table.leftInArea();

  /** dphp_detach_area of a device off the main thread, into the shim's area (`#removed` reads it). */
  #detachStep(device: DeviceRecord): Step {
    return call(this.#dpdk.dphp_detach_area, device.bus, device.name);
  }

  #removeOffThread(device: DeviceRecord, options: DetachOptions): OffThreadCall<string> {
    const open = this.#openPorts(device, options);
    const first = device.ports[0];
    const mark = this.#log.mark();
    return {
      call: `rte_eal_hotplug_remove(${device.bus}, ${device.name})`,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      // No spread: a literal of either shape (a spread copies through the runtime on every detach).
      details: first ? { device: device.name, port: first.id } : { device: device.name },
      start: (done) =>
        open.length === 0 && !this.#table.holdsPools(device)
          ? this.#dpdk.dphp_detach_area.async(device.bus, device.name, done)
          : startPlan(this.#removePlan(device, open), done),
      finish: (rc) => this.#removed(device, rc, mark, this.#leftInArea),
      late: (rc) => this.#lateRemove(device, rc),
      aborted: () => `${device.name} is detached`,
    };
  }

  /**
   * `force`'s stop and close of a device's open ports, its removal, then the mbuf pools its ports
   * still hold (deferClose leaves them to the detach): all on worker threads, none on the event loop.
   */
  *#removePlan(device: DeviceRecord, open: readonly PortRecord[]): Plan<number> {
    for (const port of open) yield* this.#table.forceClosePlan(port);
    const rc: number = yield this.#detachStep(device);
    if (rc >= 0) yield* this.#table.freePoolsPlan(device);
    return rc;
  }

  /** Refuses a device with open ports (unless force, which stops and closes them). */
  #prepareRemove(device: DeviceRecord, options: DetachOptions): void {
    if (allClosed(device.ports)) return; // the usual detach: nothing to refuse or close
    const open = this.#openPorts(device, options);
    // Indexed: a for-of allocates an iterator on every detach, and most have no port to close.
    for (let i = 0; i < open.length; i++) this.#table.forceClose(open[i]!);
  }

  /** The ports `force` must stop and close first; without force, SIBLING_PORTS_OPEN if any. */
  #openPorts(device: DeviceRecord, options: DetachOptions): readonly PortRecord[] {
    if (allClosed(device.ports)) return NO_PORTS;
    const open = device.ports.filter((p) => p.state !== 'closed');
    if (!options.force) {
      throw new PortStateError(
        'SIBLING_PORTS_OPEN',
        `Device ${device.name} still has open ports (${open.map((p) => `${p.id}: ${p.state}`).join(', ')}): close them first`,
        { device: device.name, port: open[0]!.id },
      );
    }
    return open;
  }

  /**
   * The device's name once rte_eal_hotplug_remove returned `rc`, or its typed error; what the
   * same crossing (dphp_detach_area, on either thread) said the removal left is in the area,
   * read by `leftBehind` (always #leftInArea: passed in, TurboFan makes the sync detach about 60
   * instructions shorter than with the call written here; `instructions.mjs`, 15th session).
   */
  #removed(device: DeviceRecord, rc: number, mark: number, leftBehind: () => DeviceLeft): string {
    if (rc < 0) throw detachFailed(device, rc, this.#log.since(mark));
    this.#table.remove(device);
    // DPDK said the device is gone: its ports and its driver must be too, or remove did not finish.
    const left = leftBehind();
    if (left.probed) throw detachIncomplete(device, left.ports, this.#log.since(mark));
    this.#emitDetach(device);
    this.#sweepGone(device, mark);
    return device.name;
  }

  /**
   * Devices that went with a detached one (a failsafe's or netvsc's sub-devices, whose ports the
   * caller may have closed): forgotten, with their detach event. A port DPDK still lists for one
   * of them is DETACH_INCOMPLETE.
   */
  #sweepGone(detached: DeviceRecord, mark: number): void {
    if (this.#table.deviceCount === 0) return; // the usual case: no copy to make
    for (const other of this.#table.deviceList()) {
      if (this.#table.isProbed(other)) continue;
      this.#table.remove(other);
      this.#emitDetach(other);
      const listed = this.#table.devicePorts(other.name);
      if (listed.length > 0)
        throw new DpdkError(
          'DETACH_INCOMPLETE',
          `Detached ${detached.name}, which took ${other.name} with it, but DPDK still lists port${listed.length > 1 ? 's' : ''} ${listed.join(', ')} of ${other.name}`,
          { device: other.name, port: listed[0], dpdkLog: this.#log.since(mark) },
        );
    }
  }

  #emitDetach(device: DeviceRecord): void {
    if (this.#listened && this.listenerCount('detach') > 0) {
      const event = { ports: device.ports.map((p) => p.id), device: device.name };
      queueMicrotask(() => this.emit('detach', event));
    }
  }

  /** A remove that timed out returned: the table follows what DPDK did. */
  #lateRemove(device: DeviceRecord, rc: number): LateOutcome {
    if (rc < 0) {
      this.#table.sync();
      return {
        outcome: `the remove failed (${errnoName(rc)}): ${device.name} stays attached, its ports closed`,
        device: device.name,
      };
    }
    this.#table.remove(device);
    this.#table.sync();
    const left = this.#table.devicePorts(device.name);
    this.#emitDetach(device);
    for (const other of this.#table.deviceList()) {
      if (this.#table.isProbed(other)) continue;
      this.#table.remove(other);
      this.#emitDetach(other);
    }
    return {
      outcome: left.length
        ? `${device.name} is detached after all, but DPDK still lists its port${left.length > 1 ? 's' : ''} ${left.join(', ')}`
        : `${device.name} is detached after all`,
      device: device.name,
    };
  }

  /** A timed-out call returned: say so, to the `late` listeners or as a process warning. */
  #onLate(late: LateReturn): void {
    const event = late as LateEvent;
    if (this.listenerCount('late') > 0) {
      queueMicrotask(() => this.emit('late', event));
      return;
    }
    process.emitWarning(
      `${late.call} returned after ${late.elapsedMs} ms, past its ${late.timeoutMs} ms timeout: ${late.outcome}; control calls work again`,
      { code: 'DPDK_HOTPLUG_LATE_CALL' },
    );
  }

  /**
   * A probe that made no port of its own is undone: the devices whose ports it made (netvsc's
   * failsafe), then the device itself. Says what is left (a PMD that cannot be removed).
   */
  #removePortless(device: DeviceRecord, before: Uint16Array): string {
    const stuck: string[] = [];
    for (const other of this.#table.devicesOfNewPorts(before)) {
      if (other.name === device.name) continue;
      if (this.#dpdk.rte_eal_hotplug_remove(other.bus, other.name) < 0) stuck.push(other.name);
      else {
        const record = this.#table.device(other.name);
        if (record) this.#table.remove(record);
      }
    }
    const rc = this.#dpdk.rte_eal_hotplug_remove(device.bus, device.name);
    if (rc < 0) stuck.push(device.name);
    else this.#table.remove(device);
    this.#table.sync();
    return stuck.length === 0
      ? 'it is removed again, with what its probe made'
      : `${stuck.join(', ')} could not be removed (${errnoName(rc)}); detachDevice may retry`;
  }

  #ownFiles(files: readonly DevargsFile[]): void {
    for (const f of files) if (f.access === 'write') this.#policy.ownFiles.add(resolve(f.path));
  }

  /**
   * A PMD that failed half-way may leave its device probed, and the sub-devices it probed
   * (failsafe's dev(...)): every device whose ports appeared since `before` is removed.
   */
  #undoFailedProbe(bus: string, name: string, before: Uint16Array): void {
    if (this.#table.devicePorts(name).length > 0) this.#dpdk.rte_eal_hotplug_remove(bus, name);
    for (const left of this.#table.devicesOfNewPorts(before))
      this.#dpdk.rte_eal_hotplug_remove(left.bus, left.name);
  }

  #onEvent(event: RawEvent): void {
    if (event.kind === 'port-removed') {
      const record: PortRecord | undefined = this.#table.holding(event.port);
      this.emit('remove', { source: 'ethdev', port: event.port as PortId, device: record?.device.name });
    } else if (event.kind === 'device-removed') {
      this.emit('remove', { source: 'bus', device: event.device });
    }
  }

  /** A control call on this thread: refused while an async one is queued or running (BUSY), or wedged. */
  #ensureIdle(what: string): void {
    this.#ensureRunning();
    if (this.#control.active) this.#control.refuseUnlessIdle(what);
  }

  /** The timed-out call still running on a worker thread, if any (see EAL_WEDGED). */
  get stuckCall():
    | {
        /** The C call, as the TIMEOUT error named it. */
        call: string;
        /** How long it has run so far. */
        runningMs: number;
        /** The timeout it was given. */
        timeoutMs: number;
      }
    | undefined {
    return this.#control.stuck;
  }

  static {
    attachUnchecked = (eal, devargs, options) => eal.#attachAsync(devargs, options, false);
    // Every public way to add a listener (events.on and events.once call these too) marks the
    // Eal as listened to; EventEmitter's own method does the rest.
    for (const name of ['on', 'addListener', 'prependListener', 'once', 'prependOnceListener'] as const) {
      const add = EventEmitter.prototype[name] as (this: Eal, ...args: unknown[]) => Eal;
      Object.defineProperty(Eal.prototype, name, {
        value: function (this: Eal, ...args: unknown[]): Eal {
          this.#listened = true;
          return add.apply(this, args);
        },
        writable: true,
        configurable: true,
      });
    }
  }

  #ensureRunning(): void {
    if (!this.#running) {
      throw new EalStateError(
        'EAL_NOT_INITIALIZED',
        'The EAL has been cleaned up: no DPDK call can be made in this process',
      );
    }
  }
}

/**
 * For this package's tests only (the package does not export it): an async attach that skips
 * the devargs checks, so that a test can make DPDK hang for real (HAZARDOUS_DEVARGS' hangs).
 */
export function attachUncheckedForTests(eal: Eal, devargs: string, options?: AttachOptions): Promise<PortId> {
  return attachUnchecked(eal, devargs, options);
}

/** A port handle that releases its port when disposed (see {@link Eal.attachPort}). */
function attachedPort(eal: Eal, handle: PortHandle, device: string): AttachedPort {
  return Object.freeze({
    ...handle,
    device,
    async [Symbol.asyncDispose]() {
      if (!eal.running) return;
      try {
        await eal.release(handle);
      } catch (e) {
        // Detached already (by the application, or cleanup): nothing left to release.
        if (!isHotplugError(e, 'PORT_NOT_FOUND')) throw e;
      }
    },
  });
}

/** A vdev string as given, unchecked: its name is what comes before the first comma. */
function uncheckedDevice(devargs: string): Device {
  return { name: devargs.split(',')[0]!, bus: 'vdev', devargs, files: [], subDevices: [] };
}

// The errors of the checks every attach and detach makes, built out of line: the checks stay
// small enough for V8 to inline and optimize early, and the messages cost nothing until thrown.

function alreadyAttached(known: DeviceRecord, devargs: string): PortStateError {
  const ids = known.ports.map((p) => `${p.id} (${p.state})`).join(', ') || 'none';
  return new PortStateError(
    'ALREADY_ATTACHED',
    `Device ${known.name} is already attached (ports: ${ids}); detach it first`,
    { devargs, device: known.name },
  );
}

/** DETACH_NOT_SUPPORTED or DETACH_FAILED: rte_eal_hotplug_remove returned `rc` < 0. */
function detachFailed(device: DeviceRecord, rc: number, dpdkLog: string[]): DpdkError {
  const code = rc === -ENOTSUP ? 'DETACH_NOT_SUPPORTED' : 'DETACH_FAILED';
  const why = rc === -ENOTSUP ? 'its driver does not support removal' : `DPDK returned ${errnoName(rc)}`;
  return new DpdkError(code, `Could not detach ${device.name}: ${why}`, {
    errno: -rc,
    device: device.name,
    dpdkLog,
  });
}

/** DETACH_INCOMPLETE: the removal returned 0 and left `left` (ports), or the device probed. */
function detachIncomplete(device: DeviceRecord, left: readonly PortId[], dpdkLog: string[]): DpdkError {
  const what = left.length
    ? `port${left.length > 1 ? 's' : ''} ${left.join(', ')} of the device remain`
    : `the device is still probed on the ${device.bus} bus`;
  return new DpdkError(
    'DETACH_INCOMPLETE',
    `Could not detach ${device.name}: DPDK reported success but ${what} (the PMD's remove did not finish)`,
    { device: device.name, ...(left.length ? { port: left[0] } : {}), dpdkLog },
  );
}

/** PORT_STARTED or PORT_NOT_CLOSED of a port a detach found open. */
function notClosed(record: PortRecord): PortStateError {
  const which = `Port ${record.id} (${record.device.name})`;
  const details = { port: record.id, device: record.device.name };
  return record.state === 'started'
    ? new PortStateError('PORT_STARTED', `${which} is started: stop and close it first`, details)
    : new PortStateError('PORT_NOT_CLOSED', `${which} is ${record.state}: close it first`, details);
}

/** The sync forms run on this thread: they can neither be timed out nor aborted. */
function syncOnly<T extends AsyncOptions>(what: string, options: T): T {
  for (const key of ['timeoutMs', 'signal'] as const) {
    if (options[key] !== undefined) {
      throw new InvalidInputError(
        'INVALID_OPTION',
        `Invalid ${what} option ${key}: ${what} runs on this thread and cannot be ${key === 'signal' ? 'aborted' : 'timed out'}; the async form takes it`,
        { key },
      );
    }
  }
  return options;
}

/** Whether every port is closed (every detach asks: an indexed loop, no callback). */
function allClosed(ports: readonly PortRecord[]): boolean {
  for (let i = 0; i < ports.length; i++) if (ports[i]!.state !== 'closed') return false;
  return true;
}

const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

/** The default of `delays` when `Eal.init` is not given one: what a command sets for its children (the lab's guests). */
export const DELAYS_ENV = 'DPDK_HOTPLUG_DELAYS';

function delaysOf(options: EalOptions): 'busy' | 'sleep' | undefined {
  if (options.delays !== undefined) return options.delays;
  const value = process.env[DELAYS_ENV];
  if (value === undefined || value === '' || value === 'busy' || value === 'sleep') return value || undefined;
  throw new InvalidInputError(
    'INVALID_OPTION',
    `Invalid ${DELAYS_ENV}: ${JSON.stringify(value)} is not "busy" or "sleep"`,
    { key: 'delays' },
  );
}
