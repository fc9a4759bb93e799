import type { NicModel } from '../virtual/machine.js';

export type UserspaceDriver = 'uio_pci_generic' | 'vfio-pci' | 'igb_uio';

/** One device under test in the virtual lab: a NIC model on a userspace driver, removed one way. */
export interface LabCase {
  name: string;
  model: NicModel;
  driver: UserspaceDriver;
  removal: 'clean' | 'surprise';
  /** Attach/detach cycles in check 107 (default 3). */
  cycles: number;
  /** The case is killed and failed after this long (default 120 s). */
  timeoutMs: number;
}

/** What the host hands the guest in `plan.json`. */
export interface LabPlan {
  /** `modprobe -d` root of the guest kernel's modules. */
  modulesRoot: string;
  hugepagesMb: number;
  /** A NIC bound to its kernel driver, on the same hub, that counts the frames DUTs send. */
  peer: NicModel | null;
  qemuVersion: string;
  kernelVersion: string;
  cases: LabCase[];
}

/** The checks of a PCI DUT, numbered after the vdev suite's 1–15. */
export const PCI_CHECKS = {
  101: 'plug: the hot-plugged NIC appears, bound to its kernel driver',
  102: 'bind: the device moves to the userspace driver, its kernel interface goes',
  103: 'attach: a valid port, driven by the expected PMD',
  104: 'traffic: frames sent by the port reach the peer NIC on the hub',
  105: 'detaching a started port is refused and the port keeps working',
  106: 'stop → close → detach returns the PCI address; the port is gone',
  107: 'repeated attach/detach cycles',
  108: 'restore: the kernel driver and its interface come back',
  109: 'unplug: the device leaves the guest and QEMU',
  110: 'surprise removal: removal event, detach without hang or crash, device gone',
  111: 're-plug and attach again',
} as const;
export type PciCheckId = keyof typeof PCI_CHECKS;

export function plannedChecks(c: LabCase): PciCheckId[] {
  return c.removal === 'clean'
    ? [101, 102, 103, 104, 105, 106, 107, 108, 109]
    : [101, 102, 103, 104, 110, 111, 106, 108, 109];
}
