import { type PciCheckId, plannedPciChecks } from '@dpdk-hotplug/conformance/pci-checks';
import type { UserspaceDriver } from '@dpdk-hotplug/linux';
import type { NicModel } from '../virtual/machine.js';

export type { UserspaceDriver } from '@dpdk-hotplug/linux';

/** One device under test in the virtual lab: a NIC model on a userspace driver, removed one way. */
export interface LabCase {
  name: string;
  model: NicModel;
  driver: UserspaceDriver;
  removal: 'clean' | 'surprise';
  /** Attach/detach cycles in check 107 (default 12). */
  cycles: number;
}

/** What the host hands the guest in `plan.json`. */
export interface LabPlan {
  /** `modprobe -d` root of the guest kernel's modules. */
  modulesRoot: string;
  hugepagesMb: number;
  /** A NIC bound to its kernel driver, on the same hub, that counts the frames DUTs send. */
  peer: NicModel | null;
  qemuVersion: string;
  /** The accelerator the guest runs on and why (`chooseAccel`), for the report. */
  accel?: string;
  kernelVersion: string;
  cases: LabCase[];
}

export { PCI_CHECKS, type PciCheckId } from '@dpdk-hotplug/conformance/pci-checks';

export function plannedChecks(c: LabCase): PciCheckId[] {
  return plannedPciChecks(c.removal);
}
