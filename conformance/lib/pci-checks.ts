/**
 * The checks of a PCI device under test that a lab can hot-plug (numbered after the vdev checks
 * 1–15). The virtual lab (`hil/`) runs them inside its QEMU guest; results come back as
 * `CheckResult`s of these ids into the same certification summary as the vdev DUTs.
 */
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

/** Clean removal runs 101–109; surprise removal replaces the repeated cycles by 110 and 111. */
export function plannedPciChecks(removal: 'clean' | 'surprise'): PciCheckId[] {
  return removal === 'clean'
    ? [101, 102, 103, 104, 105, 106, 107, 108, 109]
    : [101, 102, 103, 104, 110, 111, 106, 108, 109];
}
