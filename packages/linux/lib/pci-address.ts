import { KernelError } from './errors.js';

/** A PCI address in sysfs' full form, `0000:01:00.0` (domain:bus:device.function). */
export type PciAddress = string & { readonly __brand: 'PciAddress' };

const FULL = /^([0-9a-f]{4,8}):([0-9a-f]{2}):([01][0-9a-f])\.([0-7])$/;
const SHORT = /^([0-9a-f]{2}):([01][0-9a-f])\.([0-7])$/;

/**
 * Accepts `0000:01:00.0` or the short `01:00.0` (domain 0), any case; returns the sysfs form.
 * Throws INVALID_PCI_ADDRESS naming the input otherwise, before anything is touched.
 */
export function pciAddress(input: string): PciAddress {
  const s = input.trim().toLowerCase();
  const full = FULL.exec(s);
  if (full) return s as PciAddress;
  if (SHORT.test(s)) return `0000:${s}` as PciAddress;
  throw new KernelError('INVALID_PCI_ADDRESS', `"${input}" is not a PCI address`, {
    hint: 'write it as domain:bus:device.function, e.g. 0000:01:00.0 (device 00-1f, function 0-7)',
  });
}

export function isPciAddress(input: string): boolean {
  const s = input.trim().toLowerCase();
  return FULL.test(s) || SHORT.test(s);
}
