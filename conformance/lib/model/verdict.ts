/**
 * The one verdict rule, used by `certify`, the lab and the merged reports.
 *
 * - FAILED: a required check failed because of the DUT (fault `pmd`).
 * - INCONCLUSIVE: not FAILED, and a required check could not be judged here: it did not run, it
 *   was skipped for want of something the machine lacks (`needs`), or it failed for the
 *   environment or for the suite itself.
 * - CERTIFIED WITH WARNINGS: every required check passed (or does not apply), and an advisory
 *   check failed, or a DPDK core finding touched the DUT.
 * - CERTIFIED: everything else.
 */
import { classOf } from './catalogue.js';
import type { Dut } from './dut.js';
import type { CheckResult, CoreFinding, DutSummary, Verdict } from './summary.js';

export interface Judgement {
  verdict: Verdict;
  /** One line per reason the verdict is not CERTIFIED, check by check. */
  reasons: string[];
}

/**
 * `notRun`: why the suite did not run the DUT at all (a runner not prepared for it, a lab that
 * stopped before it, a host that cannot run it). Then it is INCONCLUSIVE for that one reason,
 * `not run: <why>`, unless a check it did run failed for the PMD.
 */
export function judge(
  checks: readonly CheckResult[],
  planned: readonly number[],
  notRun?: string,
): Judgement {
  const failed: string[] = [];
  const inconclusive: string[] = [];
  const warnings: string[] = [];
  for (const id of planned) {
    if (!checks.some((c) => c.id === id) && classOf(id) === 'required')
      inconclusive.push(`check ${id} did not run`);
  }
  for (const c of checks) {
    const cls = classOf(c.id);
    if (c.status === 'SKIP') {
      if (cls === 'required' && c.needs) inconclusive.push(`check ${c.id} needs ${c.needs}`);
      continue;
    }
    if (c.status !== 'FAIL') continue;
    const fault = c.fault ?? 'pmd';
    const line = `check ${c.id}: ${c.reason ?? 'failed'}`;
    if (cls === 'reported') warnings.push(line);
    else if (fault === 'dpdk') warnings.push(`${line} (a DPDK core finding, not the PMD's)`);
    else if (cls === 'advisory') warnings.push(line);
    else if (fault === 'pmd') failed.push(line);
    else inconclusive.push(`${line} (${fault === 'suite' ? "the suite's own fault" : 'the environment'})`);
  }
  if (failed.length) return { verdict: 'FAILED', reasons: failed };
  if (notRun !== undefined) return { verdict: 'INCONCLUSIVE', reasons: [`not run: ${notRun}`] };
  if (inconclusive.length) return { verdict: 'INCONCLUSIVE', reasons: inconclusive };
  if (warnings.length) return { verdict: 'CERTIFIED WITH WARNINGS', reasons: warnings };
  return { verdict: 'CERTIFIED', reasons: [] };
}

/** Judges one DUT in place from its checks, its plan and, if it was not run, why. */
export function judgeDut(dut: DutSummary): DutSummary {
  const { verdict, reasons } = judge(dut.checks, dut.planned ?? [], dut.notRun);
  dut.verdict = verdict;
  dut.verdictReasons = reasons;
  return dut;
}

/** What names a DUT in a summary, without what judging it gives. */
export type DutNotJudged = Omit<DutSummary, 'checks' | 'verdict' | 'verdictReasons' | 'notRun'> & {
  checks?: CheckResult[];
};

/**
 * The one way to report a DUT the suite did not run: INCONCLUSIVE through judge(), its reason
 * `not run: <why>`. Used by certify (a runner not prepared, the run ended before it), the virtual
 * lab (a host that cannot run it, a lab stopped before it) and `lab merge` (a runner that did not
 * reach it).
 */
export function notRunDut(dut: DutNotJudged, why: string): DutSummary {
  return judgeDut({ ...dut, checks: dut.checks ?? [], notRun: why, verdict: 'INCONCLUSIVE' });
}

/** notRunDut for a DUT of the plan (an inventory's, with its runner), on `dpdkVersion`. */
export function dutNotRun(dut: Dut, dpdkVersion: string, why: string): DutSummary {
  return notRunDut(
    {
      name: dut.name,
      pmd: dut.pmd,
      devargs: dut.devargs,
      ...(dut.pci ? { pci: dut.pci } : {}),
      ...(dut.runner ? { runner: dut.runner } : {}),
      dpdkVersion,
      planned: [],
    },
    why,
  );
}

/** PMDs whose failures are the control: if they fail a check too, the check is not the PMD's. */
export const CONTROL_PMDS: ReadonlySet<string> = new Set(['net_null', 'net_ring']);
/** Distinct PMDs that must all fail a check before it counts as DPDK's rather than theirs. */
const CORE_QUORUM = 3;

/**
 * What fails for every PMD is one core finding: a required check that failed, blamed on the PMD,
 * for every DUT that ran it, at least {@link CORE_QUORUM} distinct PMDs, a control among them.
 * Those failures move to DPDK's account (fault `dpdk`, with the evidence) and the run lists the
 * finding once. Returns the findings; re-judges the DUTs it touched.
 */
export function attributeAcrossDuts(duts: DutSummary[], dpdkVersion: string): CoreFinding[] {
  const findings: CoreFinding[] = [];
  const ids = new Set(duts.flatMap((d) => d.checks.map((c) => c.id)));
  for (const id of ids) {
    if (classOf(id) !== 'required') continue;
    const ran = duts.flatMap((d) => {
      const c = d.checks.find((x) => x.id === id && x.status !== 'SKIP');
      return c ? [{ dut: d, check: c }] : [];
    });
    const blamed = ran.filter((r) => r.check.status === 'FAIL' && (r.check.fault ?? 'pmd') === 'pmd');
    const pmds = new Set(blamed.map((r) => r.dut.pmd));
    if (blamed.length !== ran.length || pmds.size < CORE_QUORUM) continue;
    if (![...pmds].some((p) => CONTROL_PMDS.has(p))) continue;
    const evidence = `fails for every DUT that ran it (${blamed.map((r) => r.dut.name).join(', ')}), control PMDs included`;
    for (const { dut, check } of blamed) {
      check.fault = 'dpdk';
      check.evidence = [...(check.evidence ?? []), evidence];
      judgeDut(dut);
    }
    findings.push({
      check: id,
      dpdkVersion,
      duts: blamed.map((r) => r.dut.name),
      reason: blamed[0]!.check.reason ?? 'failed',
      evidence,
    });
  }
  // A failure a check moved to DPDK itself (its control re-run failed too: check 14) is listed
  // once per check, with every DUT it touched.
  for (const id of ids) {
    if (findings.some((f) => f.check === id)) continue;
    const core = duts.flatMap((d) => {
      const c = d.checks.find((x) => x.id === id && x.status === 'FAIL' && x.fault === 'dpdk');
      return c ? [{ dut: d, check: c }] : [];
    });
    if (!core.length) continue;
    findings.push({
      check: id,
      dpdkVersion,
      duts: core.map((r) => r.dut.name),
      reason: core[0]!.check.reason ?? 'failed',
      evidence: core[0]!.check.evidence?.join('; ') ?? 'a control PMD fails it too',
    });
  }
  return findings;
}
