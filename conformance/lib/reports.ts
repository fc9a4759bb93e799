/**
 * @dpdk-hotplug/conformance/reports: the suite's reports without the suite — inventories,
 * summaries, verdicts, expectations, JUnit and the certificate page. Nothing here loads the SDK's
 * binding (koffi) or needs a DPDK, so a machine with no DPDK (a CI job that lists a lab's runners
 * or merges their runs) can use it; `hil/lib/runner/no-dpdk.test.ts` proves it.
 */

export {
  blobName,
  dutsFromInventory,
  type Inventory,
  InventoryError,
  parseInventory,
  parseShard,
  readInventory,
  type Shard,
  shardOf,
} from './lab/inventory.js';
export {
  attemptLine,
  type CheckResult,
  type DutAttempt,
  type DutSummary,
  exitCodeOf,
  type RunSummary,
  toMarkdown,
  writeAtomic,
  writeSummary,
} from './model/summary.js';
export { type DutNotJudged, judge, judgeDut, notRunDut } from './model/verdict.js';
export { type CycleSeries, certificateHtml } from './reports/certificate.js';
export {
  compare,
  type Expectation,
  type ExpectationResult,
  ExpectationsError,
  type ExpectedFindings,
  expectedFindings,
  expectFiles,
  judgeAgainst,
  type Outcome,
  ownExpectations,
  readExpectations,
  regressionExitCode,
  shippedExpectationsFor,
} from './reports/expectations.js';
export { junitXml, writeJunit } from './reports/junit.js';
