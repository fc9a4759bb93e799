/**
 * Check 17's comparison: check 14's scenario through the SDK (its outcome, handed over in
 * common/mp-outcome.ts) and through testpmd, step by step. Pure: tested on made-up outcomes.
 */

import type { MpOutcome } from '../common/mp-outcome.js';
import type { Fault } from '../model/summary.js';
import { LAST_DETACH, SecondaryUnavailable, stepTitle } from '../multi-process/mp-scenario.js';
import { faultOfDifference, testpmdFailure } from '../testpmd/oracle.js';
import { TestpmdGone } from '../testpmd/testpmd.js';

/** Where testpmd's scenario must differ from check 14's, and why (evidence on every run). */
export const TESTPMD_DIFFERS = `step 5 differs by design: check 14 has "${LAST_DETACH.primary}", testpmd "${LAST_DETACH.secondary}" — testpmd's primary cannot detach a port another process attached (its RTE_ETH_EVENT_NEW handler leaves it in RTE_PORT_HANDLING: "Port not stopped"), and its only other way, close then remove, crashes the secondary on 22.11 for the control PMD too`;

export interface MpJudgement {
  /** Agree (pass) or not. */
  agree: boolean;
  /** Whose a disagreement or a testpmd failure is; undefined when they agree. */
  fault?: Fault;
  /** The finding (fail) or what the agreement was (pass). */
  finding: string;
}

const at = (o: MpOutcome, last: 'primary' | 'secondary') =>
  o.step ? `step ${o.step} ("${stepTitle(o.step, last)}")` : 'a step';

/**
 * Compares testpmd's run (its outcome and what its failed step threw) with check 14's. A testpmd
 * that did not start, or whose secondary did not, is the environment's; output the parser cannot
 * read is the suite's; otherwise the first failed step decides, by check 16's rule
 * ({@link faultOfDifference}): testpmd fails a step the SDK passed → the PMD or DPDK under
 * testpmd; the SDK fails a step testpmd passed → the suite. A crash or hang of testpmd is a failed
 * step like any other, named.
 */
export function judgeMp(sdk: MpOutcome, testpmd: MpOutcome, error?: unknown): MpJudgement {
  if (sdk.result === 'could not run')
    return {
      agree: false,
      fault: 'environment',
      finding: `check 14 could not run (${sdk.said}): nothing to compare`,
    };
  const failure = testpmdFailure(error);
  if (error instanceof SecondaryUnavailable || testpmd.result === 'could not run')
    return {
      agree: false,
      fault: 'environment',
      finding: `testpmd's group could not run here: ${testpmd.said ?? 'no reason'}`,
    };
  if (failure && failure.fault !== 'pmd') return { agree: false, fault: failure.fault, finding: failure.why };
  const named =
    error instanceof TestpmdGone
      ? ` (${failure!.why} at ${at(testpmd, 'secondary')})`
      : testpmd.said
        ? ` (${testpmd.said})`
        : '';
  // A step number per side: how far each got. 6 = passed every step.
  const tStep = testpmd.result === 'pass' ? 6 : (testpmd.step ?? 1);
  const sStep = sdk.result === 'pass' ? 6 : (sdk.step ?? 1);
  if (tStep === sStep)
    return {
      agree: true,
      finding:
        tStep === 6
          ? 'agrees with check 14: both pass every step'
          : `agrees with check 14: both fail at step ${tStep}; testpmd${named || ` (${testpmd.said})`}; the SDK (${sdk.said})`,
    };
  // The first step where one side failed: the side that passed it did what the contract says.
  const testpmdPassedIt = tStep > sStep;
  const step = Math.min(tStep, sStep);
  return {
    agree: false,
    fault: faultOfDifference(testpmdPassedIt),
    finding: testpmdPassedIt
      ? `step ${step}: the SDK failed it (${sdk.said}) and testpmd passed it: the suite's`
      : `step ${step}: under testpmd it failed${named} where the SDK passed it: the PMD or DPDK under testpmd`,
  };
}
