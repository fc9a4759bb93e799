/** @dpdk-hotplug/conformance: the certification suite's parts, for tools and the lab runner. */

export {
  type CheckClass,
  type CheckId,
  type CheckSpec,
  checkSpec,
  checkTitle,
  classOf,
  PCI_CHECK_SPECS,
  VDEV_CHECKS,
} from './catalogue.js';
export { type CertificateOptions, reportLinks } from './certificate.js';
export { certify, planFromArgs } from './cli.js';
export { DEFAULT_DUTS } from './default-duts.js';
export {
  type Dut,
  DutError,
  dutFromDevargs,
  parseTraffic,
  pmdOf,
  REMOVAL_METHODS,
  type RemovalMethod,
  SETUP_KINDS,
  type SetupKind,
  type TrafficMode,
  validateDut,
} from './dut.js';
export { type InventoryDocument, InventorySchema } from './inventory-schema.js';
export { PARENT_PIPE_ENV } from './parent-watch.js';
export { PCI_CHECKS, type PciCheckId, plannedPciChecks } from './pci-checks.js';
export {
  type LabModule,
  type PciLab,
  PciLabError,
  type PluggedDevice,
  pciProject,
  type Removal,
} from './pci-lab.js';
// Everything a DPDK-less machine may use (inventories, expectations, JUnit, summaries, the page).
export * from './reports.js';
export { collectRunFacts, type RunFacts } from './run-facts.js';
export {
  dpdkMatches,
  type PrepareItem,
  type PrepareOptions,
  preparationTable,
  prepareRunner,
  type Runner,
  type RunnerPreparation,
} from './runner-prepare.js';
export {
  type CheckResult,
  type CheckStatus,
  type CoreFinding,
  type CoverageGap,
  coverageOf,
  type DutSummary,
  exitCodeOf,
  type Fault,
  type ReportLink,
  type RunSummary,
  SUMMARY_FORMAT,
  toMarkdown,
  type Verdict,
  writeSummary,
} from './summary.js';
export { defaultTraffic, TRAFFIC_BY_PMD } from './traffic-table.js';
export {
  attributeAcrossDuts,
  type DutNotJudged,
  type Judgement,
  judge,
  judgeDut,
  notRunDut,
} from './verdict.js';
