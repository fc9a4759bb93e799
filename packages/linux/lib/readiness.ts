import { isDriverName, KernelError } from './errors.js';
import { type Host, run } from './host.js';
import { getDevice, USERSPACE_DRIVERS } from './inventory.js';

/** The module that provides a driver: `vfio-pci` → `vfio_pci` (module names use underscores). */
export function moduleOf(driver: string): string {
  return driver.replace(/-/g, '_');
}

/** What to run to get a driver loaded. */
export function modprobeHint(driver: string): string {
  if (driver === 'igb_uio') {
    return 'igb_uio is out of tree: apt-get install dpdk-kmods-dkms linux-headers-$(uname -r), then modprobe igb_uio';
  }
  return `run modprobe ${driver}`;
}

export interface ReadinessCheck {
  name: string;
  ok: boolean;
  detail: string;
  /** What to do when it is not ok. */
  fix?: string;
}

export interface Readiness {
  driver: string;
  device?: string;
  ready: boolean;
  checks: ReadinessCheck[];
}

export interface VfioState {
  /** How many IOMMU groups the kernel made; 0 means no IOMMU is on. */
  iommuGroups: number;
  /** `enabled`, `disabled`, or `unavailable` when the kernel has no no-IOMMU mode. */
  noIommuMode: 'enabled' | 'disabled' | 'unavailable';
  /** `/dev/vfio/vfio`, the container device. */
  containerDevice: boolean;
}

export async function moduleLoaded(host: Host, module: string): Promise<boolean> {
  return host.io.exists(host.sys('module', moduleOf(module)));
}

/** Whether `modprobe` can find the module (a dry run: nothing is loaded). */
export async function moduleAvailable(host: Host, module: string): Promise<boolean> {
  try {
    return (await host.exec('modprobe', ['-n', '-q', moduleOf(module)])).code === 0;
  } catch {
    return false;
  }
}

export async function vfioState(host: Host): Promise<VfioState> {
  let groups = 0;
  try {
    groups = (await host.io.list(host.sys('kernel/iommu_groups'))).length;
  } catch {}
  let mode: VfioState['noIommuMode'] = 'unavailable';
  try {
    const v = (await host.io.read(host.sys('module/vfio/parameters/enable_unsafe_noiommu_mode'))).trim();
    mode = v === 'Y' || v === '1' ? 'enabled' : 'disabled';
  } catch {}
  return {
    iommuGroups: groups,
    noIommuMode: mode,
    containerDevice: await host.io.exists(`${host.devfs}/vfio/vfio`),
  };
}

/**
 * What a driver (and, given one, a device) needs before DPDK can use it, each item checked and,
 * where missing, the command that fixes it. Only reads; loads nothing.
 */
export async function readiness(host: Host, driver: string, address?: string): Promise<Readiness> {
  requireDriverName(driver);
  const checks: ReadinessCheck[] = [];
  const loaded = await host.io.exists(host.sys('bus/pci/drivers', driver));
  const mod = moduleOf(driver);
  if (loaded) {
    checks.push({ name: 'driver loaded', ok: true, detail: `${driver} is registered on the PCI bus` });
  } else {
    const available = await moduleAvailable(host, mod);
    checks.push({
      name: 'driver loaded',
      ok: false,
      detail: available
        ? `${driver} is not loaded; modprobe can load module ${mod}`
        : `${driver} is not loaded and modprobe cannot find module ${mod} for this kernel`,
      fix: available
        ? modprobeHint(driver)
        : driver === 'igb_uio'
          ? modprobeHint(driver)
          : `install the modules of the running kernel (linux-image-$(uname -r)), then modprobe ${driver}`,
    });
  }
  if (!USERSPACE_DRIVERS.includes(driver as never)) {
    checks.push({
      name: 'userspace driver',
      ok: false,
      detail: `${driver} is not one of ${USERSPACE_DRIVERS.join(', ')}: DPDK's PCI PMDs cannot use a device bound to it`,
      fix: 'bind vfio-pci, igb_uio or uio_pci_generic',
    });
  }
  let group: number | null = null;
  if (address !== undefined) {
    const dev = await getDevice(host, address);
    group = dev.iommuGroup;
    checks.push({
      name: 'device free',
      ok: !dev.active,
      detail: dev.active
        ? `active: ${dev.activeReasons.join('; ')}`
        : `not in use by the kernel (driver ${dev.driver ?? 'none'})`,
      ...(dev.active
        ? { fix: 'bring its interfaces down and remove their addresses, or unmount its disks' }
        : {}),
    });
  }
  if (driver === 'vfio-pci') {
    const vfio = await vfioState(host);
    const iommu = vfio.iommuGroups > 0 || vfio.noIommuMode === 'enabled';
    checks.push({
      name: 'IOMMU',
      ok: iommu,
      detail:
        vfio.iommuGroups > 0
          ? `${vfio.iommuGroups} IOMMU groups`
          : `no IOMMU groups; no-IOMMU mode ${vfio.noIommuMode}`,
      ...(iommu
        ? {}
        : { fix: 'boot with intel_iommu=on iommu=pt (or amd_iommu=on), or enable vfio no-IOMMU mode' }),
    });
    if (address !== undefined && vfio.iommuGroups > 0) {
      checks.push({
        name: 'IOMMU group',
        ok: group !== null,
        detail: group === null ? `${address} has no IOMMU group` : `${address} is in group ${group}`,
      });
    }
    if (address !== undefined && group !== null && loaded) {
      // The group's node appears once a device of the group is bound to vfio-pci; DPDK opens it read-write.
      const node = `${host.devfs}/vfio/${group}`;
      const usable = await host.io.canReadWrite(node);
      const exists = usable || (await host.io.exists(node));
      checks.push({
        name: 'vfio group device',
        ok: usable || !exists,
        detail: !exists
          ? `${node} appears when ${address} is bound to vfio-pci`
          : usable
            ? `${node} is readable and writable by this user`
            : `${node} exists but this user cannot open it read-write`,
        ...(exists && !usable
          ? { fix: `run as root, or give this user ${node} (chown or a udev rule)` }
          : {}),
      });
    }
    if (loaded) {
      checks.push({
        name: 'vfio container device',
        ok: vfio.containerDevice,
        detail: vfio.containerDevice
          ? `${host.devfs}/vfio/vfio exists`
          : `${host.devfs}/vfio/vfio is missing`,
        ...(vfio.containerDevice ? {} : { fix: 'run modprobe vfio-pci (it creates /dev/vfio/vfio)' }),
      });
    }
  }
  if (driver === 'igb_uio' || driver === 'uio_pci_generic') {
    const uio = await moduleLoaded(host, 'uio');
    checks.push({
      name: 'uio',
      ok: uio,
      detail: uio ? 'the uio module is loaded' : 'the uio module is not loaded',
      ...(uio ? {} : { fix: 'run modprobe uio' }),
    });
  }
  return {
    driver,
    ...(address !== undefined ? { device: address } : {}),
    ready: checks.every((c) => c.ok),
    checks,
  };
}

/** Refuses a name that is not a driver's or module's (it would become a path under /sys). */
function requireDriverName(driver: string): void {
  if (isDriverName(driver)) return;
  throw new KernelError('INVALID_ARGUMENT', `"${driver}" is not a driver or module name`, {
    hint: 'letters, digits, _ and - only, e.g. vfio-pci or uio_pci_generic',
  });
}

export interface ModuleLoad {
  /** The module, `vfio_pci` for `vfio-pci`. */
  module: string;
  /** The command run (or, on a dry run, that would be run). */
  command: string[];
  /** False when the module was loaded already: nothing was run. */
  changed: boolean;
  dryRun: boolean;
}

/**
 * Loads the kernel module that provides `driver` with `modprobe` (nothing when it is loaded
 * already). With `dryRun`, runs nothing and returns the command. COMMAND_FAILED carries
 * modprobe's own message (a module this kernel lacks, not being root). `modulesRoot`: the modules
 * are under that root, not `/` (`modprobe -d`: a kernel unpacked beside the system, as the
 * virtual lab's guest boots).
 */
export async function loadModule(
  host: Host,
  driver: string,
  options: { dryRun?: boolean; modulesRoot?: string } = {},
): Promise<ModuleLoad> {
  requireDriverName(driver);
  const module = moduleOf(driver);
  const command = ['modprobe', ...(options.modulesRoot ? ['-d', options.modulesRoot] : []), module];
  const dryRun = options.dryRun === true;
  if ((await host.io.exists(host.sys('bus/pci/drivers', driver))) || (await moduleLoaded(host, module)))
    return { module, command, changed: false, dryRun };
  if (!dryRun) await run(host, command[0]!, command.slice(1));
  return { module, command, changed: true, dryRun };
}
