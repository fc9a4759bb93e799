import { BindError, errnoOf, isDriverName, KernelError, writeHint } from './errors.js';
import type { Host } from './host.js';
import { getDevice, type PciDevice, USERSPACE_DRIVERS } from './inventory.js';
import { type PciAddress, pciAddress } from './pci-address.js';
import { modprobeHint } from './readiness.js';
import { type BindingRecord, forgetBinding, readBinding, recordBinding, recordFits } from './records.js';

export interface BindOptions {
  /** Take the device although it is active (an interface up with addresses, a mounted disk). */
  force?: boolean;
  /** Change nothing; return the writes that would be made. */
  dryRun?: boolean;
}

/** One write to sysfs: the file (absolute) and what goes in it. */
export interface PlannedWrite {
  path: string;
  data: string;
  /** Why it is made, or when it is skipped. */
  note?: string;
}

export interface BindResult {
  device: PciAddress;
  /** The driver before the call, and after it (or the one it would have, on a dry run). */
  from: string | null;
  to: string | null;
  /** False when the device was already where it was asked to be: nothing was written. */
  changed: boolean;
  dryRun: boolean;
  writes: PlannedWrite[];
}

interface Step extends PlannedWrite {
  /** Skip the write when this says so at the time it would run. */
  skipIf?: () => Promise<boolean>;
  /** Errnos that mean "already so" for this write. */
  tolerate?: string[];
}

const driversDir = (host: Host, driver: string, file?: string) =>
  file ? host.sys('bus/pci/drivers', driver, file) : host.sys('bus/pci/drivers', driver);

async function currentDriver(host: Host, bdf: PciAddress): Promise<string | null> {
  try {
    const link = await host.io.readlink(host.sys('bus/pci/devices', bdf, 'driver'));
    return link.split('/').at(-1) ?? null;
  } catch {
    return null;
  }
}

async function hasOverride(host: Host, bdf: PciAddress): Promise<boolean> {
  return host.io.exists(host.sys('bus/pci/devices', bdf, 'driver_override'));
}

async function requireLoaded(host: Host, driver: string, bdf: PciAddress): Promise<void> {
  if (await host.io.exists(driversDir(host, driver))) return;
  throw new KernelError('DRIVER_NOT_LOADED', `${driver} is not loaded, so ${bdf} cannot be bound to it`, {
    device: bdf,
    hint: modprobeHint(driver),
  });
}

async function requireIommu(host: Host, dev: PciDevice): Promise<void> {
  if (dev.iommuGroup !== null) return;
  let noIommu = '';
  try {
    noIommu = (await host.io.read(host.sys('module/vfio/parameters/enable_unsafe_noiommu_mode'))).trim();
  } catch {}
  if (noIommu === 'Y' || noIommu === '1') return;
  throw new KernelError(
    'IOMMU_UNAVAILABLE',
    `${dev.address} has no IOMMU group, so vfio-pci cannot drive it`,
    {
      device: dev.address,
      hint:
        'enable the IOMMU (intel_iommu=on iommu=pt or amd_iommu=on on the kernel command line), or no-IOMMU mode ' +
        '(echo 1 > /sys/module/vfio/parameters/enable_unsafe_noiommu_mode, where the kernel has it), ' +
        'or bind uio_pci_generic or igb_uio instead',
    },
  );
}

/** The writes that move a device from `from` to `to` (null: no driver). */
async function plan(host: Host, dev: PciDevice, from: string | null, to: string | null): Promise<Step[]> {
  const bdf = dev.address;
  const steps: Step[] = [];
  const unbind = (driver: string) => steps.push({ path: driversDir(host, driver, 'unbind'), data: bdf });
  const override = (driver: string) =>
    steps.push({ path: host.sys('bus/pci/devices', bdf, 'driver_override'), data: driver ? driver : '\n' });
  const bound = async () => (await currentDriver(host, bdf)) === to;
  if (to === null) {
    if (from) unbind(from);
    return steps;
  }
  if (await hasOverride(host, bdf)) {
    // driver_override makes the kernel match this device to `to` alone; drivers_probe then binds it.
    override(to);
    if (from) unbind(from);
    steps.push({ path: host.sys('bus/pci/drivers_probe'), data: bdf });
    // A kernel driver is not pinned by an override: leave the field empty, as it was.
    if (!USERSPACE_DRIVERS.includes(to as never)) override('');
    return steps;
  }
  // Kernels without driver_override: teach the driver the id, then bind (new_id may bind already).
  if (from) unbind(from);
  if (USERSPACE_DRIVERS.includes(to as never)) {
    const id = `${dev.vendorId} ${dev.deviceId}`;
    steps.push({ path: driversDir(host, to, 'new_id'), data: id, tolerate: ['EEXIST'] });
    steps.push({
      path: driversDir(host, to, 'bind'),
      data: bdf,
      skipIf: bound,
      note: 'unless new_id bound it',
    });
    // Left in place, the id would hand every other device of this model to `to` on its next probe.
    steps.push({ path: driversDir(host, to, 'remove_id'), data: id, tolerate: ['ENODEV'] });
  } else {
    steps.push({ path: driversDir(host, to, 'bind'), data: bdf });
  }
  return steps;
}

function writeError(host: Host, step: PlannedWrite, bdf: PciAddress, cause: unknown): KernelError {
  const errno = errnoOf(cause);
  return new KernelError(
    'SYSFS_WRITE_FAILED',
    `writing "${step.data.trim()}" to ${step.path} failed (${errno ?? 'error'})`,
    { device: bdf, path: step.path, errno, hint: writeHint(errno, host.uid), cause },
  );
}

async function execute(host: Host, bdf: PciAddress, steps: Step[]): Promise<PlannedWrite[]> {
  const done: PlannedWrite[] = [];
  for (const step of steps) {
    if (step.skipIf && (await step.skipIf())) continue;
    try {
      await host.io.write(step.path, step.data);
    } catch (cause) {
      const errno = errnoOf(cause);
      if (!(errno && step.tolerate?.includes(errno))) throw writeError(host, step, bdf, cause);
    }
    done.push({ path: step.path, data: step.data });
  }
  return done;
}

/**
 * Moves `dev` from `from` to `to`. On any failure it puts the device back on `from` and throws a
 * BindError saying whether that worked; the original error is its `cause`.
 */
async function transition(
  host: Host,
  dev: PciDevice,
  from: string | null,
  to: string | null,
): Promise<PlannedWrite[]> {
  const bdf = dev.address;
  const originalOverride = dev.driverOverride;
  let failure: KernelError;
  try {
    const done = await execute(host, bdf, await plan(host, dev, from, to));
    const now = await currentDriver(host, bdf);
    if (now === to) return done;
    failure = new KernelError(
      'BIND_FAILED',
      `${bdf} ended up ${now ? `on ${now}` : 'with no driver'}, not ${to ?? 'unbound'}`,
      {
        device: bdf,
        hint: to ? `the kernel refused the bind; see dmesg for ${to}` : 'see dmesg',
      },
    );
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
    failure = e;
  }
  // Roll back: whatever the failed steps left, put the device and its override back as they were.
  let rolledBack = false;
  try {
    const now = await currentDriver(host, bdf);
    const back = await plan(host, { ...dev, driverOverride: null }, now, from);
    if (now !== from) await execute(host, bdf, back);
    if (await hasOverride(host, bdf)) {
      await host.io.write(host.sys('bus/pci/devices', bdf, 'driver_override'), originalOverride ?? '\n');
    }
    rolledBack = (await currentDriver(host, bdf)) === from;
  } catch {}
  throw new BindError(
    rolledBack ? failure.code : 'ROLLBACK_FAILED',
    `${failure.reason}; ${rolledBack ? `${bdf} is back on ${from ?? 'no driver'}` : `${bdf} could not be put back on ${from ?? 'no driver'}`}`,
    rolledBack,
    {
      device: bdf,
      path: failure.path,
      errno: failure.errno,
      hint: rolledBack
        ? failure.hint
        : `bind it back by hand: dpdk-hotplug bind ${bdf} --driver ${from ?? '<driver>'}`,
      cause: failure,
    },
  );
}

/** The record for this device; a record left by another device at the same address is dropped. */
async function currentRecord(
  host: Host,
  dev: PciDevice,
): Promise<{ record: BindingRecord | null; stale?: BindingRecord }> {
  const record = await readBinding(host, dev.address);
  if (!record || recordFits(record, dev)) return { record };
  await forgetBinding(host, dev.address);
  return { record: null, stale: record };
}

function refuseActive(dev: PciDevice, options: BindOptions, what: string): void {
  if (!dev.active || options.force) return;
  throw new KernelError(
    'DEVICE_ACTIVE',
    `device ${dev.address} is active (${dev.activeReasons.join('; ')})`,
    {
      device: dev.address,
      hint: `taking it would cut that off; bring it down first, or ${what} with --force if you mean it`,
    },
  );
}

const result = (
  dev: PciDevice,
  to: string | null,
  changed: boolean,
  dryRun: boolean,
  writes: PlannedWrite[],
): BindResult => ({ device: dev.address, from: dev.driver, to, changed, dryRun, writes });

/**
 * Binds a device to `driver` (a userspace I/O driver, or a kernel driver by name). Records the
 * driver it had so `restore` can put it back; refuses an active device unless `force`; idempotent;
 * rolls back to the original binding if a step fails.
 */
export async function bind(
  host: Host,
  address: string,
  driver: string,
  options: BindOptions = {},
): Promise<BindResult> {
  const dev = await getDevice(host, address);
  if (!isDriverName(driver)) {
    throw new KernelError('DRIVER_UNKNOWN', `"${driver}" is not a driver name`, {
      hint: `use one of ${USERSPACE_DRIVERS.join(', ')}, or a kernel driver's name (letters, digits, _ and -)`,
    });
  }
  if (dev.driver === driver) return result(dev, driver, false, !!options.dryRun, []);
  refuseActive(dev, options, 'bind it');
  await requireLoaded(host, driver, dev.address);
  if (driver === 'vfio-pci') await requireIommu(host, dev);
  if (options.dryRun) return result(dev, driver, true, true, await plan(host, dev, dev.driver, driver));
  const { record: existing } = await currentRecord(host, dev);
  if (!existing) await recordBinding(host, dev, driver);
  try {
    const writes = await transition(host, dev, dev.driver, driver);
    return result(dev, driver, true, false, writes);
  } catch (e) {
    if (!existing && e instanceof BindError && e.rolledBack) await forgetBinding(host, dev.address);
    throw e;
  }
}

/** Leaves a device with no driver. Records the original driver, so `restore` can give it back. */
export async function unbind(host: Host, address: string, options: BindOptions = {}): Promise<BindResult> {
  const dev = await getDevice(host, address);
  if (dev.driver === null) return result(dev, null, false, !!options.dryRun, []);
  refuseActive(dev, options, 'unbind it');
  if (options.dryRun) return result(dev, null, true, true, await plan(host, dev, dev.driver, null));
  if (!(await currentRecord(host, dev)).record) await recordBinding(host, dev, null);
  return result(dev, null, true, false, await transition(host, dev, dev.driver, null));
}

/** Gives a device back to the driver it had before the first `bind`/`unbind`, and forgets the record. */
export async function restore(
  host: Host,
  address: string,
  options: Pick<BindOptions, 'dryRun'> = {},
): Promise<BindResult> {
  const bdf = pciAddress(address);
  const dev = await getDevice(host, bdf);
  const { record, stale } = await currentRecord(host, dev);
  if (!record) {
    const why = stale
      ? `the binding recorded for ${bdf} was of another device (${stale.vendorId}:${stale.deviceId}, now ${dev.vendorId}:${dev.deviceId}), so this one's original driver is unknown`
      : `no binding of ${bdf} was recorded, so its original driver is unknown`;
    throw new KernelError('NOT_RECORDED', why, {
      device: bdf,
      hint: `bind it to its kernel driver by name: dpdk-hotplug bind ${bdf} --driver <driver>`,
    });
  }
  const target = record.originalDriver;
  if (dev.driver === target && dev.driverOverride === record.originalOverride) {
    if (!options.dryRun) await forgetBinding(host, bdf);
    return result(dev, target, false, !!options.dryRun, []);
  }
  if (target) await requireLoaded(host, target, bdf);
  if (options.dryRun) return result(dev, target, true, true, await plan(host, dev, dev.driver, target));
  const writes = await transition(host, dev, dev.driver, target);
  await forgetBinding(host, bdf);
  return result(dev, target, true, false, writes);
}
