import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LabError } from '../errors.js';
import type { Accel } from './accel.js';
import { guardChild } from './guard.js';
import type { LabImage } from './image.js';
import { type Request, serve } from './mailbox.js';
import { QmpClient as Qmp, type QmpClient, type QmpEvent } from './qmp.js';

/**
 * Emulated NIC models, as QEMU names them: the PMD that drives each, its kernel driver and module,
 * and its `vendor:device` ids as the guest sees it (virtio-net-pci on a PCIe root port is the
 * modern device).
 */
export const NIC_MODELS = {
  e1000: { pmd: 'net_e1000_em', kernelDriver: 'e1000', kernelModule: 'e1000', ids: '8086:100e' },
  e1000e: { pmd: 'net_e1000_em', kernelDriver: 'e1000e', kernelModule: 'e1000e', ids: '8086:10d3' },
  igb: { pmd: 'net_e1000_igb', kernelDriver: 'igb', kernelModule: 'igb', ids: '8086:10c9' },
  // virtio-pci binds the PCI function; virtio_net makes the interface on top of it.
  'virtio-net-pci': {
    pmd: 'net_virtio',
    kernelDriver: 'virtio-pci',
    kernelModule: 'virtio_net',
    ids: '1af4:1041',
  },
  vmxnet3: { pmd: 'net_vmxnet3', kernelDriver: 'vmxnet3', kernelModule: 'vmxnet3', ids: '15ad:07b0' },
  // An SR-IOV virtual function of QEMU's igb (QEMU >= 8): the lab plugs its PF, an igb bound to
  // the kernel's igb, and the guest makes the VFs (sriov_numvfs); the DUT is the first VF.
  igbvf: {
    pmd: 'net_e1000_igb_vf',
    kernelDriver: 'igbvf',
    kernelModule: 'igbvf',
    pf: 'igb',
    ids: '8086:10ca',
  },
} as const;
export type NicModel = keyof typeof NIC_MODELS;

/** The PF model whose VFs a VF model is (`igb` for `igbvf`), or undefined for a NIC QEMU plugs itself. */
export function pfModel(model: NicModel): NicModel | undefined {
  const m = NIC_MODELS[model];
  return 'pf' in m ? m.pf : undefined;
}

/** The guest's kernel modules a model needs: its driver's, and its PF's for a VF. */
export function kernelModules(model: NicModel): string[] {
  const pf = pfModel(model);
  return [NIC_MODELS[model].kernelModule, ...(pf ? [NIC_MODELS[pf].kernelModule] : [])];
}

export interface MachineOptions {
  /** The run's folder: shared read-write with the guest at the same path; sockets and logs go here. */
  runDir: string;
  /** Hotplug-capable PCIe root ports (default 4). */
  rootPorts?: number;
  /** An emulated Intel IOMMU, for vfio-pci (kernel `intel_iommu=on iommu=pt`). */
  iommu?: boolean;
  memoryMb?: number;
  cpus?: number;
  /** Host folders the guest must see although they lie under /tmp or /run, where it mounts tmpfs. */
  keep?: string[];
  /** KVM (`-cpu host`) or software emulation (`-cpu max`, the default): see `chooseAccel`. */
  accel?: Accel;
  /** `-cpu`: the model the accelerator's probe chose (default `max`). */
  cpu?: string;
}

/** A guest's options where `start` is given none (the test of its arguments starts from these too). */
export const MACHINE_DEFAULTS: Omit<Required<MachineOptions>, 'runDir'> = {
  rootPorts: 4,
  iommu: false,
  memoryMb: 2048,
  cpus: 2,
  keep: [],
  accel: 'tcg',
  cpu: 'max',
};

/** How QEMU ended: its exit code or signal, the reason of its SHUTDOWN event, the end of its stderr. */
export interface QemuExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** QMP's SHUTDOWN reason (`guest-reset` is a guest that rebooted: a panic, under `-no-reboot`). */
  shutdown?: string;
  /** The last lines QEMU wrote to stderr (an assertion, an abort), if any. */
  stderr?: string;
}

/** Where a guest runner's folder records how its QEMU ended (`QemuExit`, and `beforeStop`). */
export const QEMU_EXIT_FILE = 'qemu-exit.json';

/** One line for a report: why QEMU is gone. */
export function describeQemuExit(e: QemuExit): string {
  const how = e.signal ? `killed by ${e.signal}` : `exited with code ${e.code}`;
  const shutdown = e.shutdown
    ? `, after QMP SHUTDOWN (${e.shutdown})`
    : ', no QMP SHUTDOWN event (QEMU did not shut down by itself)';
  return `QEMU ${how}${shutdown}${e.stderr ? `; its stderr: ${e.stderr}` : ''}`;
}

/** QEMU's stderr kept for the report: the end, where an abort's message is. */
const STDERR_KEPT = 2000;

/** The QEMU log of the trace events a run asked for (copied beside the lab's summary). */
export const QEMU_TRACE_LOG = 'qemu-trace.log';

/**
 * QEMU trace events to log, from `DPDK_HOTPLUG_LAB_QEMU_TRACE` (comma-separated names or
 * patterns, e.g. `igb_core_vf_reset,igb_set_vfmailbox,e1000e_tx_disabled`): a diagnosis aid for
 * what an emulated NIC did, written to `qemu-trace.log` in the run folder. Unset: no tracing.
 */
export function qemuTrace(runDir: string, env = process.env.DPDK_HOTPLUG_LAB_QEMU_TRACE): string[] {
  const events = (env ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (!events.length) return [];
  return [...events.flatMap((e) => ['-trace', `enable=${e}`]), '-D', join(runDir, QEMU_TRACE_LOG)];
}

/**
 * More of the guest kernel's command line, from `DPDK_HOTPLUG_LAB_KERNEL_ARGS` (space-separated,
 * e.g. `nohz=off highres=off`): a diagnosis aid to try a kernel setting against the guest's timer
 * stalls under TCG (docs/measurements.md) without changing the lab's own. Unset: none.
 */
export function guestKernelArgs(env = process.env.DPDK_HOTPLUG_LAB_KERNEL_ARGS): string[] {
  return (env ?? '').split(/\s+/).filter(Boolean);
}

/**
 * TCG's threading: `single` (a guest's vCPUs take turns on one host thread) unless
 * `DPDK_HOTPLUG_LAB_TCG_THREAD=multi` (a host thread per vCPU, QEMU's default for this guest).
 * Single, measured on this 2-core machine: the full default matrix in 13.3 minutes against
 * 17.6 (host CPU 0.70×), one guest alone 0.74× (docs/measurements.md). Multi-threaded TCG makes
 * every vCPU wait for the others at each cross-vCPU flush, and a vCPU whose host thread is
 * descheduled (three guests' six threads on two CPUs) holds the rest up; the guests' work is
 * mostly one thread at a time (Node's main thread, testpmd). Another accelerator: undefined; any
 * other value: INVALID_ARGUMENT.
 */
export function tcgThread(
  accel: Accel,
  env = process.env.DPDK_HOTPLUG_LAB_TCG_THREAD,
): 'single' | 'multi' | undefined {
  if (accel !== 'tcg') return undefined;
  if (env === undefined || env === '' || env === 'single') return 'single';
  if (env === 'multi') return 'multi';
  throw new LabError(
    'INVALID_ARGUMENT',
    `DPDK_HOTPLUG_LAB_TCG_THREAD=${JSON.stringify(env)} is not TCG's threading`,
    {
      hint: `use single or multi${/mul/i.test(env) ? ' (did you mean multi?)' : /sin/i.test(env) ? ' (did you mean single?)' : ''}`,
    },
  );
}

export interface PluggedNic {
  id: string;
  model: NicModel;
  /** The root port it sits in, and that port's slot number (the guest's /sys/bus/pci/slots/N). */
  port: string;
  slot: number;
}

/**
 * One QEMU guest (KVM or software emulation): q35, PCIe root ports with native hotplug, the host's
 * root and the run folder over virtio-9p, QMP for device_add/device_del. Every NIC sits on one
 * QEMU hub, so NICs in the guest can exchange frames. `stop()` always ends QEMU.
 */
export class VirtualMachine {
  readonly image: LabImage;
  readonly options: Required<MachineOptions>;
  readonly qmp: QmpClient;
  readonly #child: ChildProcess;
  readonly #exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #stderr: () => string;
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  readonly #plugged = new Map<string, PluggedNic>();
  readonly events: QmpEvent[] = [];
  #next = 1;

  private constructor(
    image: LabImage,
    options: Required<MachineOptions>,
    child: ChildProcess,
    qmp: QmpClient,
    stderr: () => string,
  ) {
    this.image = image;
    this.options = options;
    this.#child = child;
    this.qmp = qmp;
    this.#stderr = stderr;
    this.#exited = new Promise((resolve) =>
      child.on('exit', (code, signal) => {
        this.#exit = { code, signal };
        resolve({ code, signal });
      }),
    );
    qmp.on('event', (e) => this.events.push(e));
  }

  static args(image: LabImage, o: Required<MachineOptions>): string[] {
    const append = [
      'console=ttyS0',
      'pcie_ports=native',
      'panic=-1',
      // Booted through PVH there is no BIOS MP table routing the 8254 timer: the kernel's timer
      // check fails, and with interrupt remapping (the IOMMU guest) it panics.
      'no_timer_check',
      'quiet',
      `dphp.lab=${o.runDir}`,
      ...(o.keep.length ? [`dphp.keep=${o.keep.join(',')}`] : []),
      // no_timer_check: under TCG on a loaded host the IO-APIC timer check through interrupt
      // remapping failed ("timer doesn't work through Interrupt-remapped IO-APIC": a panic at boot).
      ...(o.iommu ? ['intel_iommu=on', 'iommu=pt', 'no_timer_check'] : []),
      // The IOMMU guest's worker has blocked in the kernel after a vfio-pci detach: its console
      // gets every level (after `quiet`, which it overrides), so the hung-task report's stack and
      // the DMAR faults are there even when the agent can no longer write its own record.
      ...(o.iommu ? ['loglevel=7'] : []),
      ...guestKernelArgs(),
    ].join(' ');
    const thread = tcgThread(o.accel);
    const ports = Array.from({ length: o.rootPorts }, (_, i) => [
      '-device',
      `pcie-root-port,id=rp${i + 1},chassis=${i + 1},slot=${i + 1}`,
    ]).flat();
    return [
      ...qemuTrace(o.runDir),
      ...(thread
        ? ['-machine', `q35${o.iommu ? ',kernel-irqchip=split' : ''}`, '-accel', `tcg,thread=${thread}`]
        : ['-machine', `q35,accel=${o.accel}${o.iommu ? ',kernel-irqchip=split' : ''}`]),
      ...['-cpu', o.cpu],
      ...['-m', `${o.memoryMb}M`, '-smp', String(o.cpus), '-nodefaults', '-nographic', '-no-reboot'],
      ...['-kernel', image.kernel, '-initrd', image.initrd, '-append', append],
      ...['-serial', `file:${join(o.runDir, 'console.log')}`],
      ...['-qmp', `unix:${join(o.runDir, 'qmp.sock')},server=on,wait=off`],
      // ACPI hotplug never adds a device behind a root port here; native PCIe hotplug does.
      ...['-global', 'ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off'],
      ...(o.iommu ? ['-device', 'intel-iommu,intremap=on,caching-mode=on,aw-bits=48'] : []),
      ...['-fsdev', 'local,id=root,path=/,security_model=none,readonly=on,multidevs=remap'],
      ...['-device', 'virtio-9p-pci,fsdev=root,mount_tag=hostroot'],
      ...['-fsdev', `local,id=lab,path=${o.runDir},security_model=none`],
      ...['-device', 'virtio-9p-pci,fsdev=lab,mount_tag=lab'],
      ...ports,
    ];
  }

  static async start(image: LabImage, options: MachineOptions): Promise<VirtualMachine> {
    const o: Required<MachineOptions> = { ...MACHINE_DEFAULTS, ...options };
    rmSync(join(o.runDir, 'qmp.sock'), { force: true });
    const child = spawn(image.qemu, VirtualMachine.args(image, o), { stdio: ['ignore', 'ignore', 'pipe'] });
    // If this process dies without quitting QEMU (SIGKILL), the guard kills it.
    const guard = guardChild(child.pid!, image.qemu);
    child.once('exit', () => guard.release());
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString()).slice(-STDERR_KEPT);
    });
    try {
      const qmp = await Promise.race([
        Qmp.connect(join(o.runDir, 'qmp.sock'), 15_000),
        new Promise<never>((_, reject) =>
          child.once('exit', (code) =>
            reject(
              new LabError('BOOT_FAILED', `QEMU exited (${code}) at start`, {
                hint: stderr.trim() || 'see its stderr',
              }),
            ),
          ),
        ),
      ]);
      return new VirtualMachine(image, o, child, qmp, () => stderr);
    } catch (e) {
      child.kill('SIGKILL');
      throw e;
    }
  }

  /**
   * How QEMU ended, once it has (undefined while it runs): read after `stop()` it also tells
   * whether QEMU was gone before the lab asked it to quit (`stop()` records nothing of its own).
   */
  exit(): QemuExit | undefined {
    if (!this.#exit) return undefined;
    const shutdown = this.events.findLast((e) => e.event === 'SHUTDOWN');
    const reason = shutdown?.data?.reason;
    const err = this.#stderr().trim();
    return {
      ...this.#exit,
      ...(typeof reason === 'string' ? { shutdown: reason } : {}),
      ...(err ? { stderr: err.split('\n').slice(-5).join(' | ') } : {}),
    };
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /**
   * Hot-plugs a NIC into root port `at` (its slot number: an inventory's address lives there),
   * else into the first free one, on the shared hub.
   */
  async plug(model: NicModel, extra: Record<string, unknown> = {}, at?: number): Promise<PluggedNic> {
    if (!(model in NIC_MODELS)) throw new LabError('INVALID_ARGUMENT', `unknown NIC model "${model}"`);
    const used = new Set([...this.#plugged.values()].map((p) => p.slot));
    if (at !== undefined && (!Number.isInteger(at) || at < 1 || at > this.options.rootPorts || used.has(at)))
      throw new LabError(
        'INVALID_ARGUMENT',
        `root port ${at} is not a free one of 1 to ${this.options.rootPorts}`,
      );
    const slot =
      at ?? Array.from({ length: this.options.rootPorts }, (_, i) => i + 1).find((s) => !used.has(s));
    if (slot === undefined)
      throw new LabError('INVALID_ARGUMENT', `all ${this.options.rootPorts} root ports are in use`);
    const id = `nic${this.#next++}`;
    await this.qmp.execute('netdev_add', { type: 'hubport', id: `hp-${id}`, hubid: 0 });
    const iommuOpts =
      this.options.iommu && model === 'virtio-net-pci'
        ? { iommu_platform: true, 'disable-legacy': 'on' }
        : {};
    try {
      await this.qmp.execute('device_add', {
        // A VF model: its PF is plugged; the guest makes the VFs.
        driver: pfModel(model) ?? model,
        id,
        bus: `rp${slot}`,
        netdev: `hp-${id}`,
        ...iommuOpts,
        ...extra,
      });
    } catch (e) {
      await this.qmp.execute('netdev_del', { id: `hp-${id}` }).catch(() => {});
      throw e;
    }
    const nic: PluggedNic = { id, model, port: `rp${slot}`, slot };
    this.#plugged.set(id, nic);
    return nic;
  }

  /** The NICs in the root ports; one QEMU reported deleted is forgotten here (no wait-deleted came). */
  pluggedNics(): PluggedNic[] {
    for (const id of [...this.#plugged.keys()]) if (this.#deleted(id)) this.#forget(id);
    return [...this.#plugged.values()];
  }

  /** QEMU said the NIC is gone (DEVICE_DELETED): a surprise removal's check that failed before its wait-deleted. */
  #deleted(id: string): boolean {
    return this.events.some((e) => e.event === 'DEVICE_DELETED' && e.data?.device === id);
  }

  #forget(id: string): void {
    this.#plugged.delete(id);
    this.qmp.execute('netdev_del', { id: `hp-${id}` }).catch(() => {});
  }

  /** Answers the guest's lab requests (plug, unplug, …) through the mailbox in `runDir`. */
  serveMailbox(runDir: string): { stop(): Promise<void> } {
    return serve(runDir, async (r: Request) => {
      switch (r.op) {
        case 'plug':
          return this.plug(r.model as NicModel, {}, r.slot);
        case 'unplug':
          return this.requestUnplug(r.id);
        case 'wait-deleted':
          return this.waitDeleted(r.id, r.timeoutMs);
        case 'plugged':
          return this.pluggedNics();
      }
    });
  }

  /** Asks for the NIC's removal (`device_del`); the guest completes it (slot power off, or the attention button). */
  async requestUnplug(id: string): Promise<void> {
    // Already gone (pulled earlier): nothing to ask QEMU, whose device_del would say DeviceNotFound.
    if (this.#deleted(id)) return;
    await this.qmp.execute('device_del', { id });
  }

  /** Waits for QEMU to report the NIC gone (DEVICE_DELETED), then frees its port and hub port. */
  async waitDeleted(id: string, timeoutMs = 15_000): Promise<number> {
    const started = Date.now();
    const seen = (e: QmpEvent) => e.event === 'DEVICE_DELETED' && e.data?.device === id;
    if (!this.events.some(seen))
      await this.qmp.waitEvent('DEVICE_DELETED', (e) => e.data?.device === id, timeoutMs);
    if (this.#plugged.has(id)) {
      this.#plugged.delete(id);
      await this.qmp.execute('netdev_del', { id: `hp-${id}` }).catch(() => {});
    }
    return Date.now() - started;
  }

  /** Waits for QEMU to exit by itself (the guest powered off), up to `timeoutMs`; false if it did not. */
  async waitExit(timeoutMs: number): Promise<boolean> {
    const r = await Promise.race([this.#exited.then(() => true), sleep(timeoutMs).then(() => false)]);
    return r;
  }

  /** Ends QEMU: quit over QMP, then SIGKILL if it lingers. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.running) {
      await Promise.race([this.qmp.execute('quit').catch(() => {}), sleep(2000)]);
      if (!(await this.waitExit(3000))) this.#child.kill('SIGKILL');
      await this.#exited;
    }
    this.qmp.close();
    rmSync(join(this.options.runDir, 'qmp.sock'), { force: true });
  }
}
