/**
 * Typos refused before anything runs: a `--dut` that names no device here — a PCI address with
 * no device in sysfs, a vdev that no PMD of the DPDK in use registers — is one usage line, with
 * the nearest registered PMD name, instead of a full run that fails every check.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '@dpdk-hotplug/args';
import { registeredDriverOf, registeredPmdNames, unknownPmdMessage } from '@dpdk-hotplug/pmd-probe';
import type { DutDevice } from '../model/dut.js';

export interface DutExistsOptions {
  /** The DPDK in use: its prefix (whose PMDs are read) and version (for the message). */
  dpdk: { prefix: string; version: string };
  /** Names registered by PMDs loaded besides the installed ones (out-of-tree drivers). */
  extraNames?: readonly string[];
  /** Where sysfs is; tests give a fake tree. */
  sysfs?: string;
}

/** Throws UsageError for the first `--dut` device (as the DUT model read it) that is not here. */
export async function refuseUnknownDuts(
  devices: readonly DutDevice[],
  options: DutExistsOptions,
): Promise<void> {
  let known: string[] | undefined;
  for (const { bus, name: device } of devices) {
    if (bus === 'pci') {
      const devices = join(options.sysfs ?? '/sys', 'bus', 'pci', 'devices');
      // No nearest address: it could be the machine's own NIC, which certify must never be pointed at.
      if (!existsSync(join(devices, device)))
        throw new UsageError(
          `--dut ${device}: no PCI device ${device} in ${devices} (dpdk-hotplug devices lists them)`,
        );
      continue;
    }
    known ??= [...((await registeredPmdNames(options.dpdk.prefix)) ?? []), ...(options.extraNames ?? [])];
    // When the installed PMDs cannot be read, DPDK's own attach says what is wrong.
    if (known.length && !registeredDriverOf(device, known))
      throw new UsageError(`--dut ${device}: ${unknownPmdMessage(device, known, options.dpdk.version)}`);
  }
}
