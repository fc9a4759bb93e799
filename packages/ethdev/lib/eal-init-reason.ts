/**
 * Why rte_eal_init failed, in one line for EAL_INIT_FAILED's message: DPDK's own last words,
 * and what to do where the cause is known (its full log is the error's dpdkLog).
 */
import { pluginFailure } from './drivers.js';

/** DPDK's words when a secondary cannot map the primary's memory at the primary's addresses. */
const ADDRESS_TAKEN = /Cannot get a virtual area at requested address: (0x[0-9a-f]+)/;

/**
 * A secondary whose process already has a mapping where the primary's memory must go. In Node,
 * V8 maps at random hints below 2^46 before Eal.init runs (7 of 70 starts of a secondary here,
 * with the primary at 0x200000000000; docs/ethdev-contract.md).
 */
function addressTaken(dpdkLog: readonly string[]): string | undefined {
  const at = dpdkLog.map((l) => ADDRESS_TAKEN.exec(l)).find(Boolean);
  if (!at) return undefined;
  return (
    `this process already has a mapping at ${at[1]}, where the primary's memory must be mapped ` +
    '(V8 maps at random addresses below 0x400000000000): start this process again, or start the ' +
    "primary with extraArgs ['--base-virtaddr', '0x500000000000'] (no PCI, or an IOMMU of 47 bits or more)"
  );
}

/** `secondary`: the process joined another's instance (a secondary maps the primary's memory). */
export function initFailureReason(dpdkLog: readonly string[], secondary: boolean): string {
  return (
    pluginFailure(dpdkLog) ??
    (secondary ? addressTaken(dpdkLog) : undefined) ??
    dpdkLog.filter((l) => !/^EAL: (Detected|Selected|Probe)/.test(l)).at(-1) ??
    'see dpdkLog'
  );
}
