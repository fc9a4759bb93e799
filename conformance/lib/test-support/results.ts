/** Builders of check results and DUT summaries for the tests of the verdict, the expectations and the reports. */
import type { CheckResult, DutSummary } from '../model/summary.js';

export const check = (
  id: number,
  status: CheckResult['status'],
  extra: Partial<CheckResult> = {},
): CheckResult => ({
  id,
  title: `${id}. check`,
  status,
  notes: [],
  durationMs: 1,
  ...extra,
});

export const dutOf = (
  name: string,
  pmd: string,
  checks: CheckResult[],
  extra: Partial<DutSummary> = {},
): DutSummary => ({
  name,
  pmd,
  devargs: `${pmd}0`,
  dpdkVersion: 'DPDK 22.11.11',
  planned: checks.map((c) => c.id),
  checks,
  verdict: 'FAILED',
  ...extra,
});
