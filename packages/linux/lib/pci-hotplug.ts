import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PlannedWrite } from './bind.js';
import { errnoOf, KernelError, writeHint } from './errors.js';
import type { Host } from './host.js';
import { getDevice } from './inventory.js';
import { type PciAddress, pciAddress } from './pci-address.js';

export interface PciSlot {
  /** The slot's name in /sys/bus/pci/slots. */
  slot: string;
  /** `domain:bus:device` of what sits in it (functions share the slot). */
  address: string;
  /** Power state, or null where the slot has no power control. */
  power: boolean | null;
}

/** Makes one write, or only returns it on a dry run. */
async function write(
  host: Host,
  path: string,
  data: string,
  device: string | undefined,
  dryRun: boolean | undefined,
): Promise<PlannedWrite[]> {
  if (dryRun) return [{ path, data }];
  try {
    await host.io.write(path, data);
  } catch (cause) {
    const errno = errnoOf(cause);
    throw new KernelError('SYSFS_WRITE_FAILED', `writing "${data}" to ${path} failed (${errno ?? 'error'})`, {
      ...(device ? { device } : {}),
      path,
      errno,
      hint: writeHint(errno, host.uid),
      cause,
    });
  }
  return [{ path, data }];
}

export interface HotplugOptions {
  /** Go ahead although the device is active. */
  force?: boolean;
  /** Write nothing: check as for the real thing and return the writes that would be made. */
  dryRun?: boolean;
}

async function refuseActive(
  host: Host,
  bdf: PciAddress,
  force: boolean | undefined,
  what: string,
): Promise<void> {
  const dev = await getDevice(host, bdf);
  if (!dev.active || force) return;
  throw new KernelError('DEVICE_ACTIVE', `device ${bdf} is active (${dev.activeReasons.join('; ')})`, {
    device: bdf,
    hint: `${what} would cut that off; use force if you mean it`,
  });
}

/**
 * Removes a device from the kernel's view (as a surprise removal would). Refuses an active one.
 * Returns the write made (or, on a dry run, that would be made).
 */
export async function removeDevice(
  host: Host,
  address: string,
  options: HotplugOptions = {},
): Promise<PlannedWrite[]> {
  const bdf = pciAddress(address);
  await refuseActive(host, bdf, options.force, 'removing it');
  return write(host, host.sys('bus/pci/devices', bdf, 'remove'), '1', bdf, options.dryRun);
}

/** Asks the kernel to rescan every PCI bus: removed devices come back and are probed. */
export async function rescan(
  host: Host,
  options: Pick<HotplugOptions, 'dryRun'> = {},
): Promise<PlannedWrite[]> {
  return write(host, host.sys('bus/pci/rescan'), '1', undefined, options.dryRun);
}

export async function slots(host: Host): Promise<PciSlot[]> {
  let names: string[] = [];
  try {
    names = await host.io.list(host.sys('bus/pci/slots'));
  } catch {
    return [];
  }
  const out: PciSlot[] = [];
  for (const slot of names.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))) {
    const dir = host.sys('bus/pci/slots', slot);
    const address = (await host.io.read(`${dir}/address`).catch(() => '')).trim();
    const power = await host.io.read(`${dir}/power`).then(
      (p) => p.trim() === '1',
      () => null,
    );
    out.push({ slot, address, power });
  }
  return out;
}

/**
 * Powers a hotplug slot off or on. Off is the fast way to finish an unplug the hypervisor
 * announced (the attention button otherwise waits 5 s); refuses when an active device sits there.
 */
export async function slotPower(
  host: Host,
  slot: string,
  on: boolean,
  options: HotplugOptions = {},
): Promise<PlannedWrite[]> {
  const found = (await slots(host)).find((s) => s.slot === slot);
  if (!found) {
    throw new KernelError('NO_SUCH_SLOT', `no PCI slot "${slot}"`, {
      hint: 'slots exist where the platform has hotplug-capable ports; list them with `dpdk-hotplug pci slots`',
    });
  }
  if (found.power === null) {
    throw new KernelError('NO_SUCH_SLOT', `slot ${slot} has no power control`, {
      hint: 'use `dpdk-hotplug pci remove <bdf>` instead',
    });
  }
  if (!on) {
    const devices = (await host.io.list(host.sys('bus/pci/devices'))).filter((d) =>
      d.startsWith(`${found.address}.`),
    );
    for (const d of devices)
      await refuseActive(host, d as PciAddress, options.force, `powering slot ${slot} off`);
  }
  return write(host, host.sys('bus/pci/slots', slot, 'power'), on ? '1' : '0', undefined, options.dryRun);
}

/**
 * Waits until a device is present (optionally bound to `driver`) or absent, polling sysfs.
 * Throws TIMEOUT naming what it waited for.
 */
export async function waitForDevice(
  host: Host,
  address: string,
  state: 'present' | 'absent',
  options: { timeoutMs?: number; intervalMs?: number; driver?: string } = {},
): Promise<void> {
  const bdf = pciAddress(address);
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  const dir = host.sys('bus/pci/devices', bdf);
  for (;;) {
    const present = await host.io.exists(dir);
    let done = state === 'absent' ? !present : present;
    if (done && state === 'present' && options.driver) {
      const link = await host.io.readlink(`${dir}/driver`).catch(() => '');
      done = link.split('/').at(-1) === options.driver;
    }
    if (done) return;
    if (Date.now() >= deadline) {
      const what =
        state === 'absent' ? 'disappear' : `appear${options.driver ? ` bound to ${options.driver}` : ''}`;
      throw new KernelError('TIMEOUT', `${bdf} did not ${what} within ${options.timeoutMs ?? 10_000} ms`, {
        device: bdf,
        hint:
          state === 'absent'
            ? 'the unplug may wait for the attention button; power the slot off'
            : 'rescan the bus',
      });
    }
    await sleep(options.intervalMs ?? 20);
  }
}

/**
 * Waits until a device bound to its kernel driver has a kernel interface (the driver registers it
 * a moment after the bind) and returns its name. Throws TIMEOUT naming the device.
 * The default wait is long: a driver's probe reads the NIC's NVM before it registers the
 * interface, which took over 5 s for e1000e in an emulated guest on a loaded host.
 */
export async function waitForInterface(
  host: Host,
  address: string,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<string> {
  const bdf = pciAddress(address);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ifname = (await getDevice(host, bdf)).interfaces[0]?.name;
    if (ifname) return ifname;
    if (Date.now() >= deadline)
      throw new KernelError('TIMEOUT', `${bdf} has no kernel interface within ${timeoutMs} ms`, {
        device: bdf,
        hint: 'is it bound to its kernel network driver?',
      });
    await sleep(options.intervalMs ?? 50);
  }
}

/**
 * Waits until a device sits in a hotplug slot (and, given `driver`, is bound to it) and returns
 * its function 0's address: what a lab needs after asking a hypervisor or a person to plug a card.
 */
export async function waitForSlot(
  host: Host,
  slot: string,
  options: { timeoutMs?: number; intervalMs?: number; driver?: string } = {},
): Promise<PciAddress> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await slots(host)).find((s) => s.slot === slot);
    // A slot's address is empty, or `domain:bus:device` without a function, until a card is in it.
    if (found && /^[0-9a-f]{4,8}:[0-9a-f]{2}:[0-9a-f]{2}$/.test(found.address)) {
      const bdf = pciAddress(`${found.address}.0`);
      await waitForDevice(host, bdf, 'present', {
        ...options,
        timeoutMs: Math.max(0, deadline - Date.now()),
      });
      return bdf;
    }
    if (Date.now() >= deadline) {
      throw new KernelError('TIMEOUT', `no device appeared in slot ${slot} within ${timeoutMs} ms`, {
        hint: found
          ? 'the card may need the slot powered on'
          : `there is no slot ${slot}: list them with dpdk-hotplug pci slots`,
      });
    }
    await sleep(options.intervalMs ?? 20);
  }
}

/** The SR-IOV VFs a PF has now, in order (its `virtfnN` links); none for a device that is no PF. */
export async function virtualFunctions(host: Host, pf: string): Promise<PciAddress[]> {
  const bdf = pciAddress(pf);
  const out: PciAddress[] = [];
  for (let i = 0; ; i++) {
    const link = host.sys('bus/pci/devices', bdf, `virtfn${i}`);
    if (!(await host.io.exists(link))) return out;
    out.push(pciAddress(basename(await host.io.readlink(link))));
  }
}

/** The PF a VF belongs to (its `physfn` link), or undefined for a device that is no VF. */
export async function physicalFunction(host: Host, vf: string): Promise<PciAddress | undefined> {
  const link = host.sys('bus/pci/devices', pciAddress(vf), 'physfn');
  if (!(await host.io.exists(link))) return undefined;
  return pciAddress(basename(await host.io.realpath(link)));
}

/**
 * Makes `count` SR-IOV VFs on PF `pf` (`sriov_numvfs`) and resolves with their addresses once
 * each is there; `count` 0 destroys them (the kernel's write returns once every VF is gone: under
 * vfio-pci, once the application holding one let it go). A PF's VFs change only through 0.
 */
export async function setVfCount(
  host: Host,
  pf: string,
  count: number,
  options: { timeoutMs?: number; dryRun?: boolean } = {},
): Promise<PciAddress[]> {
  const bdf = pciAddress(pf);
  await write(host, host.sys('bus/pci/devices', bdf, 'sriov_numvfs'), String(count), bdf, options.dryRun);
  if (options.dryRun || count === 0) return [];
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const vfs = await virtualFunctions(host, bdf);
    if (vfs.length >= count) return vfs;
    if (Date.now() >= deadline)
      throw new KernelError('TIMEOUT', `${bdf}: ${vfs.length} of ${count} VFs within ${timeoutMs} ms`, {
        device: bdf,
        hint: 'see the PF driver in the kernel log (dmesg)',
      });
    await sleep(20);
  }
}
