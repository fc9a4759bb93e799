import { basename } from 'node:path';
import { KernelError } from './errors.js';
import type { Host, NetState } from './host.js';
import { mounts } from './mounts.js';
import { type PciAddress, pciAddress } from './pci-address.js';
import { type PciNames, pciNames } from './pci-ids.js';

/** The drivers that hand a PCI device to userspace for DPDK. */
export const USERSPACE_DRIVERS = ['vfio-pci', 'igb_uio', 'uio_pci_generic'] as const;
export type UserspaceDriver = (typeof USERSPACE_DRIVERS)[number];

/** PCI base classes by the names `--class` accepts. */
export const DEVICE_CLASSES = {
  net: 0x02,
  storage: 0x01,
  display: 0x03,
  bridge: 0x06,
  crypto: 0x10,
} as const;
export type DeviceClassName = keyof typeof DEVICE_CLASSES;

export interface NetInterface {
  name: string;
  up: boolean;
  /** Addresses other than link-local ones (which every up interface has). */
  addresses: string[];
  /** Destinations routed through it, link-local ones left out. */
  routes: string[];
  defaultRoute: boolean;
}

export interface BlockDevice {
  name: string;
  /** Where it or one of its partitions is mounted. */
  mounts: string[];
}

/** One PCI device as sysfs shows it, with what is using it. */
export interface PciDevice {
  address: PciAddress;
  /** Lower-case hex without `0x`, as lspci prints them: `8086`, `10fb`. */
  vendorId: string;
  deviceId: string;
  subsystemVendorId: string;
  subsystemDeviceId: string;
  /** The 24-bit class code, six hex digits: `020000` for Ethernet. */
  classCode: string;
  names: PciNames;
  /** The driver bound now, or null. */
  driver: string | null;
  /** What `driver_override` holds, or null when empty or absent (old kernels). */
  driverOverride: string | null;
  numaNode: number | null;
  iommuGroup: number | null;
  interfaces: NetInterface[];
  blockDevices: BlockDevice[];
  /** True when taking the device from the kernel would cut something off; see `activeReasons`. */
  active: boolean;
  activeReasons: string[];
}

export interface ListOptions {
  /** A class name (`net`) or a hex class prefix (`02`, `0200`). */
  class?: DeviceClassName | string;
}

const hex = (s: string) => s.trim().replace(/^0x/, '').toLowerCase();
const linkLocal = (a: string) => /^fe80:/i.test(a) || a.startsWith('169.254.');

async function readOr(host: Host, path: string, fallback: string | null = null): Promise<string | null> {
  try {
    return (await host.io.read(path)).trim();
  } catch {
    return fallback;
  }
}

async function linkName(host: Host, path: string): Promise<string | null> {
  try {
    return basename(await host.io.readlink(path));
  } catch {
    return null;
  }
}

/** For each /sys/class/<cls> entry, the PCI device it sits under (its real path names it). */
async function childrenByDevice(host: Host, cls: string): Promise<Map<string, string[]>> {
  const map = new Map<string, string[]>();
  let names: string[] = [];
  try {
    names = await host.io.list(host.sys(cls));
  } catch {
    return map;
  }
  for (const name of names) {
    let real: string;
    try {
      real = await host.io.realpath(host.sys(cls, name));
    } catch {
      continue;
    }
    // The nearest PCI address in the path is the function the interface or disk belongs to.
    const bdfs = real.split('/').filter((p) => /^[0-9a-f]{4,8}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/.test(p));
    const bdf = bdfs.at(-1);
    if (bdf) map.set(bdf, [...(map.get(bdf) ?? []), name]);
  }
  return map;
}

interface Context {
  net: NetState;
  netByDevice: Map<string, string[]>;
  blockByDevice: Map<string, string[]>;
  mounts: Array<{ source: string; target: string }>;
}

/** What the devices' use is judged by; `only` limits it to one device (no `ip` runs if it has no interface). */
async function context(host: Host, only?: string): Promise<Context> {
  const [netByDevice, blockByDevice, mounted] = await Promise.all([
    childrenByDevice(host, 'class/net'),
    childrenByDevice(host, 'block'),
    mounts(host),
  ]);
  const needNet = only === undefined ? netByDevice.size > 0 : netByDevice.has(only);
  const net: NetState = needNet ? await host.net() : { links: [], routes: [] };
  return { net, netByDevice, blockByDevice, mounts: mounted };
}

function describeInterface(ctx: Context, name: string): NetInterface {
  const link = ctx.net.links.find((l) => l.name === name);
  const routes = ctx.net.routes.filter((r) => r.dev === name && !linkLocal(r.dst));
  return {
    name,
    up: link?.up ?? false,
    addresses: (link?.addresses ?? []).filter((a) => !linkLocal(a)),
    routes: routes.filter((r) => !r.default).map((r) => r.dst),
    defaultRoute: routes.some((r) => r.default),
  };
}

async function describe(host: Host, address: PciAddress, ctx: Context): Promise<PciDevice> {
  const dir = host.sys('bus/pci/devices', address);
  const read = (f: string) => readOr(host, `${dir}/${f}`);
  const [vendor, device, subVendor, subDevice, cls, numa, override, driver, group] = await Promise.all([
    read('vendor'),
    read('device'),
    read('subsystem_vendor'),
    read('subsystem_device'),
    read('class'),
    read('numa_node'),
    read('driver_override'),
    linkName(host, `${dir}/driver`),
    linkName(host, `${dir}/iommu_group`),
  ]);
  const ids = {
    vendorId: hex(vendor ?? '0'),
    deviceId: hex(device ?? '0'),
    subsystemVendorId: hex(subVendor ?? '0'),
    subsystemDeviceId: hex(subDevice ?? '0'),
  };
  const classCode = hex(cls ?? '0').padStart(6, '0');
  const names = await pciNames(host, {
    vendor: Number.parseInt(ids.vendorId, 16),
    device: Number.parseInt(ids.deviceId, 16),
    subsystemVendor: Number.parseInt(ids.subsystemVendorId, 16),
    subsystemDevice: Number.parseInt(ids.subsystemDeviceId, 16),
    classCode: Number.parseInt(classCode, 16),
  });
  const interfaces = (ctx.netByDevice.get(address) ?? []).sort().map((n) => describeInterface(ctx, n));
  const blockDevices = (ctx.blockByDevice.get(address) ?? []).sort().map((name) => ({
    name,
    mounts: ctx.mounts
      .filter((m) => m.source === `/dev/${name}` || new RegExp(`^/dev/${name}p?\\d+$`).test(m.source))
      .map((m) => m.target),
  }));
  const activeReasons: string[] = [];
  for (const i of interfaces) {
    if (!i.up) continue;
    if (i.addresses.length) activeReasons.push(`${i.name} is up with ${i.addresses.join(', ')}`);
    else if (i.routes.length) activeReasons.push(`${i.name} is up and routes ${i.routes.join(', ')}`);
    if (i.defaultRoute) activeReasons.push(`${i.name} carries the default route`);
  }
  for (const b of blockDevices) {
    if (b.mounts.length) activeReasons.push(`${b.name} is mounted at ${b.mounts.join(', ')}`);
  }
  const numaNode = numa === null ? null : Number(numa);
  return {
    address,
    ...ids,
    classCode,
    names,
    driver,
    driverOverride: override && override !== '(null)' ? override : null,
    numaNode: numaNode === null || Number.isNaN(numaNode) || numaNode < 0 ? null : numaNode,
    iommuGroup: group === null ? null : Number(group),
    interfaces,
    blockDevices,
    active: activeReasons.length > 0,
    activeReasons,
  };
}

function classMatches(classCode: string, wanted: string): boolean {
  const byName = DEVICE_CLASSES[wanted as DeviceClassName];
  const prefix =
    byName === undefined ? wanted.toLowerCase().replace(/^0x/, '') : byName.toString(16).padStart(2, '0');
  return classCode.startsWith(prefix);
}

/** Every PCI device, in address order, optionally of one class. */
export async function listDevices(host: Host, options: ListOptions = {}): Promise<PciDevice[]> {
  const wanted = options.class;
  if (wanted !== undefined && !(wanted in DEVICE_CLASSES) && !/^(0x)?[0-9a-f]{2,6}$/i.test(wanted)) {
    throw new KernelError('INVALID_ARGUMENT', `unknown device class "${wanted}"`, {
      hint: `use one of ${Object.keys(DEVICE_CLASSES).join(', ')} or a hex class prefix such as 02`,
    });
  }
  const addresses = (await host.io.list(host.sys('bus/pci/devices'))).sort();
  const ctx = await context(host);
  const devices = await Promise.all(addresses.map((a) => describe(host, a as PciAddress, ctx)));
  return wanted === undefined ? devices : devices.filter((d) => classMatches(d.classCode, wanted));
}

/** One device by address; DEVICE_NOT_FOUND when sysfs has no such device. */
export async function getDevice(host: Host, address: string): Promise<PciDevice> {
  const bdf = pciAddress(address);
  if (!(await host.io.exists(host.sys('bus/pci/devices', bdf)))) {
    throw new KernelError('DEVICE_NOT_FOUND', `no PCI device ${bdf}`, {
      device: bdf,
      hint: 'list the devices with `dpdk-hotplug devices`; a removed device comes back with `dpdk-hotplug pci rescan`',
    });
  }
  return describe(host, bdf, await context(host, bdf));
}
