/**
 * Check 14's outcome, handed to check 17 (the same scenario through testpmd): written into the
 * DUT's output folder when check 14 starts (unfinished) and when it ends, read by check 17.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** How one run of the scenario ended. */
export interface MpOutcome {
  /** What ran: the PMD and the order. */
  run: string;
  result: 'pass' | 'fail' | 'could not run';
  /** The step that failed, and what was wrong. */
  said?: string;
  /** The number (1–5) of the step that failed or could not run. */
  step?: number;
}

/** Check 14 writes how it ended into this file of the DUT's output folder; check 17 reads it. */
export const MP_OUTCOME_FILE = 'mp-outcome.json';

/** Written when check 14 starts, so a check 14 killed midway (hang, crash) reads as such. */
export const UNFINISHED: MpOutcome = {
  run: 'check 14',
  result: 'could not run',
  said: 'check 14 did not finish (its worker was killed)',
};

export function writeMpOutcome(dir: string, outcome: MpOutcome): void {
  writeFileSync(join(dir, MP_OUTCOME_FILE), JSON.stringify(outcome));
}

/** Check 14's outcome in `dir`, or undefined when it did not run there. */
export function readMpOutcome(dir: string): MpOutcome | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, MP_OUTCOME_FILE), 'utf8')) as MpOutcome;
  } catch {
    return undefined;
  }
}
