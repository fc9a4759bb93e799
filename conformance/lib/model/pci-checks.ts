/**
 * The checks of a PCI device under test that a lab can hot-plug (numbered after the vdev checks
 * 1–15), as the lab uses them: id → title, and the plan per removal kind. Their classes live in
 * the one catalogue (`catalogue.ts`).
 */
import { PCI_CHECK_SPECS, type PciCheckId } from './catalogue.js';

export type { PciCheckId } from './catalogue.js';

export const PCI_CHECKS = Object.fromEntries(
  Object.entries(PCI_CHECK_SPECS).map(([id, spec]) => [id, spec.title]),
) as { readonly [K in PciCheckId]: (typeof PCI_CHECK_SPECS)[K]['title'] };

/**
 * Clean removal runs 101–109; surprise removal replaces the repeated cycles by 110 and 111. Both
 * compare with testpmd (112) once the port is detached and the NIC still bound, before the restore.
 */
export function plannedPciChecks(removal: 'clean' | 'surprise'): PciCheckId[] {
  return removal === 'clean'
    ? [101, 102, 103, 104, 105, 106, 107, 112, 108, 109]
    : [101, 102, 103, 104, 110, 111, 106, 112, 108, 109];
}
