/** @dpdk-hotplug/conformance: the certification suite's parts, for tools and the lab runner. */

export { PARENT_PIPE_ENV } from './common/parent-watch.js';
export { type InventoryDocument, InventorySchema } from './lab/inventory-schema.js';
export {
  dpdkMatches,
  type PrepareItem,
  type PrepareOptions,
  preparationTable,
  prepareRunner,
  type Runner,
  type RunnerPreparation,
} from './lab/runner-prepare.js';
export {
  type CheckClass,
  type CheckId,
  type CheckSpec,
  checkSpec,
  checkTitle,
  classOf,
  PCI_CHECK_SPECS,
  VDEV_CHECKS,
} from './model/catalogue.js';
export { DEFAULT_DUTS } from './model/default-duts.js';
export {
  type Dut,
  type DutDevice,
  DutError,
  deviceOf,
  dutDevice,
  dutFromDevargs,
  parseTraffic,
  pmdOf,
  REMOVAL_METHODS,
  type RemovalMethod,
  SETUP_KINDS,
  type SetupKind,
  type TrafficMode,
  validateDut,
} from './model/dut.js';
export { PCI_CHECKS, type PciCheckId, plannedPciChecks } from './model/pci-checks.js';
export { collectRunFacts, type RunFacts } from './model/run-facts.js';
export {
  type CheckResult,
  type CheckStatus,
  type CoreFinding,
  type CoverageGap,
  coverageOf,
  type DutAttempt,
  type DutSummary,
  exitCodeOf,
  type Fault,
  type ReportLink,
  type RunSummary,
  SUMMARY_FORMAT,
  toMarkdown,
  type Verdict,
  writeSummary,
} from './model/summary.js';
export { defaultTraffic, TRAFFIC_BY_PMD } from './model/traffic-table.js';
export {
  attributeAcrossDuts,
  type DutNotJudged,
  type Judgement,
  judge,
  judgeDut,
  notRunDut,
} from './model/verdict.js';
export {
  type CertificationPlan,
  PLAN_ENV,
  readPlanFile,
  type SuitePlan,
  writePlanFile,
} from './plan/certification-plan.js';
export { certify, DEVARGS_POLICY_OPTIONS, devargsPolicyRequest, planFromArgs } from './plan/cli.js';
export { launch } from './plan/launcher.js';
export { LIMITS, type PlanRequest, planCertification } from './plan/planner.js';
export { type CertificateOptions, reportLinks } from './reports/certificate.js';
// Everything a DPDK-less machine may use (inventories, expectations, JUnit, summaries, the page).
export * from './reports.js';
export {
  type LabModule,
  type PciLab,
  PciLabError,
  type PluggedDevice,
  pciProject,
  type Removal,
} from './worker/pci-lab.js';
