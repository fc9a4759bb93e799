import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Host } from './host.js';
import type { PciDevice } from './inventory.js';
import type { PciAddress } from './pci-address.js';

/** What a device had before the first bind or unbind, kept until `restore` gives it back. */
export interface BindingRecord {
  address: PciAddress;
  /** The device's ids when recorded: another device hot-plugged at the same address is not this one. */
  vendorId?: string;
  deviceId?: string;
  originalDriver: string | null;
  originalOverride: string | null;
  /** The driver the first change asked for (null for an unbind). */
  firstBoundTo: string | null;
  /** Interfaces the device had, to say what restore should bring back. */
  interfaces: string[];
  recordedAt: string;
}

const dir = (host: Host) => join(host.stateDir, 'bindings');
const file = (host: Host, bdf: string) => join(dir(host), `${bdf}.json`);

export async function readBinding(host: Host, bdf: PciAddress): Promise<BindingRecord | null> {
  try {
    return JSON.parse(await readFile(file(host, bdf), 'utf8')) as BindingRecord;
  } catch {
    return null;
  }
}

/** Every device whose binding was changed and not yet restored. */
export async function listBindings(host: Host): Promise<BindingRecord[]> {
  let names: string[] = [];
  try {
    names = await readdir(dir(host));
  } catch {
    return [];
  }
  const records = await Promise.all(
    names.filter((n) => n.endsWith('.json')).map((n) => readBinding(host, n.slice(0, -5) as PciAddress)),
  );
  return records.filter((r): r is BindingRecord => r !== null);
}

export async function recordBinding(
  host: Host,
  dev: PciDevice,
  boundTo: string | null,
): Promise<BindingRecord> {
  const record: BindingRecord = {
    address: dev.address,
    vendorId: dev.vendorId,
    deviceId: dev.deviceId,
    originalDriver: dev.driver,
    originalOverride: dev.driverOverride,
    firstBoundTo: boundTo,
    interfaces: dev.interfaces.map((i) => i.name),
    recordedAt: new Date().toISOString(),
  };
  await mkdir(dir(host), { recursive: true });
  // Written to a temporary name first, so a crash never leaves half a record.
  const path = file(host, dev.address);
  await writeFile(`${path}.tmp`, `${JSON.stringify(record, null, 2)}\n`);
  await rename(`${path}.tmp`, path);
  return record;
}

/** Whether a record was made for this device, not for another one since plugged at its address. */
export function recordFits(record: BindingRecord, dev: Pick<PciDevice, 'vendorId' | 'deviceId'>): boolean {
  return (
    (record.vendorId === undefined || record.vendorId === dev.vendorId) &&
    (record.deviceId === undefined || record.deviceId === dev.deviceId)
  );
}

export async function forgetBinding(host: Host, bdf: PciAddress): Promise<void> {
  await rm(file(host, bdf), { force: true });
}
