/** @dpdk-hotplug/conformance: the certification suite's parts, for tools and the lab runner. */
export { certify, planFromArgs } from './cli.js';
export { DEFAULT_DUTS } from './default-duts.js';
export {
  type Dut,
  DutError,
  dutFromDevargs,
  dutsFromInventory,
  pmdOf,
  type SetupKind,
  type TrafficMode,
  validateDut,
} from './dut.js';
export { analyzeLeaks, type LeakThreshold, type LeakVerdict, percentile, slope } from './leak.js';
export { PCI_CHECKS, type PciCheckId, plannedPciChecks } from './pci-checks.js';
export {
  type CheckResult,
  type CheckStatus,
  type DutSummary,
  type RunSummary,
  toMarkdown,
  type Verdict,
  verdictOf,
} from './summary.js';
