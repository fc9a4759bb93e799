/**
 * Out-of-tree PMDs (`certify --driver PATH.so`, an inventory DUT's `pmdFile`): what each .so
 * registers, read from its PMD_INFO_STRING records (pmd-probe) before anything runs, and the one
 * list every EAL of the run loads with `-d` (the worker's, check 13's, 14's and the pool
 * control's children, testpmd), passed down the run's processes in DRIVERS_ENV (run-drivers.ts).
 */
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { UsageError } from '@dpdk-hotplug/args';
import { type PciId, type PmdInfo, readPmdInfoFileSync } from '@dpdk-hotplug/pmd-probe';
import { type Dut, deviceOf } from '../model/dut.js';

export interface OutOfTreeDriver {
  /** The .so's real path (what `-d` gets). */
  file: string;
  /** Driver names it registers (`net_mypmd`) and its aliases. */
  names: string[];
  /** The PCI ids its drivers claim. */
  pciIds: PciId[];
}

/** The first world-writable folder above `file`, which DPDK's EAL refuses to load a PMD from. */
function worldWritableFolder(file: string): string | undefined {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o002) !== 0) return dir;
    if (dir === dirname(dir)) return undefined;
  }
}

/**
 * Reads one out-of-tree PMD: an existing regular file outside world-writable folders, whose
 * PMD_INFO_STRING records name at least one driver. Throws UsageError naming what is wrong.
 */
export function readDriver(
  path: string,
  where = '--driver',
  cwd = process.cwd(),
  dpdk?: string,
): OutOfTreeDriver {
  const abs = isAbsolute(path) ? path : resolve(cwd, path);
  if (!existsSync(abs) || !statSync(abs).isFile()) throw new UsageError(`${where} ${path}: no such file`);
  const file = realpathSync(abs);
  const open = worldWritableFolder(file);
  if (open)
    throw new UsageError(
      `${where} ${path}: ${open} is world-writable, and DPDK refuses to load a PMD below it; copy the .so elsewhere`,
    );
  let records: PmdInfo[];
  try {
    records = readPmdInfoFileSync(file, dpdk === undefined ? {} : { dpdk });
  } catch (e) {
    throw new UsageError(`${where} ${path}: ${(e as Error).message}`);
  }
  if (records.length === 0)
    throw new UsageError(
      `${where} ${path}: registers no PMD (no PMD_INFO_STRING record; a PMD built outside DPDK's tree gets one from buildtools/pmdinfogen.py)`,
    );
  const names = records.flatMap((r) => [
    r.name,
    ...(typeof r.alias === 'string' && r.alias ? [r.alias] : []),
  ]);
  return { file, names: [...new Set(names)], pciIds: records.flatMap((r) => r.pci_ids ?? []) };
}

/** `vendor:device` of a PCI device, from sysfs; undefined when there is no such device. */
function pciIdsOf(
  address: string,
  sysfs = '/sys/bus/pci/devices',
): { vendor: string; device: string } | undefined {
  const read = (f: string) => readFileSync(`${sysfs}/${address}/${f}`, 'utf8').trim().replace(/^0x/, '');
  try {
    return { vendor: read('vendor'), device: read('device') };
  } catch {
    return undefined;
  }
}

/**
 * The DUT with the out-of-tree PMD that drives it (its `driver`): the .so registering the DUT's
 * vdev driver name, or, for a PCI address, claiming the device's vendor:device ids (the DUT's
 * `pmd` then names that driver). A DUT no given .so drives is returned unchanged.
 */
export function withDriver(dut: Dut, drivers: readonly OutOfTreeDriver[], sysfs?: string): Dut {
  if (dut.driver !== undefined) return dut;
  if (dut.pmd !== 'pci') {
    const hit = drivers.find((d) => d.names.includes(dut.pmd));
    return hit ? { ...dut, driver: hit.file } : dut;
  }
  const ids = pciIdsOf(deviceOf(dut).name, sysfs);
  if (!ids) return dut;
  for (const d of drivers) {
    if (d.pciIds.some((p) => p.vendor === ids.vendor && (p.device === undefined || p.device === ids.device)))
      return { ...dut, driver: d.file };
  }
  return dut;
}
