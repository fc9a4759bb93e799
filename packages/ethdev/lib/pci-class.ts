/**
 * The class a PCI device declares (sysfs `class`, e.g. 0x020000 for an Ethernet controller), read
 * before DPDK probes it: only network controllers (base class 0x02) make ethdev ports, and a
 * device of another class (an NVMe drive, a crypto or compress accelerator) is refused unless
 * `nonPortDevices` — the PCI side of what device-class.ts does for vdevs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** PCI base class 0x02: network controller (Ethernet 0x0200, …). */
export const PCI_NETWORK_CLASS = 0x02;
/** PCI base class 0x06: bridge (the host bridge 0x0600, …), which no PMD drives. */
export const PCI_BRIDGE_CLASS = 0x06;

// The PCI base classes (PCI Code and ID Assignment Specification), for the error message.
const BASE_CLASSES: Record<number, string> = {
  0: 'unclassified device',
  1: 'mass storage controller',
  2: 'network controller',
  3: 'display controller',
  4: 'multimedia controller',
  5: 'memory controller',
  6: 'bridge',
  7: 'communication controller',
  8: 'generic system peripheral',
  9: 'input device controller',
  11: 'processor',
  12: 'serial bus controller',
  13: 'wireless controller',
  16: 'encryption controller',
  17: 'signal processing controller',
  18: 'processing accelerator',
};

/** Reads a device's class from `<sysfs>/bus/pci/devices/<address>/class`; undefined when absent. */
export function pciClassReader(sysfs = '/sys'): (address: string) => number | undefined {
  return (address) => {
    let text: string;
    try {
      text = readFileSync(join(sysfs, 'bus/pci/devices', address, 'class'), 'utf8').trim();
    } catch {
      return undefined; // no such device here: DPDK says so (DEVICE_NOT_FOUND)
    }
    return /^0x[0-9a-f]{6}$/i.test(text) ? Number.parseInt(text, 16) : undefined;
  };
}

/** `0x010802 (mass storage controller)`. */
export function describePciClass(code: number): string {
  const name = BASE_CLASSES[code >> 16] ?? 'unknown base class';
  return `0x${code.toString(16).padStart(6, '0')} (${name})`;
}
