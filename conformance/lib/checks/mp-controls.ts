/**
 * Whose a failure of check 14 (multi-process) is, earned with controls rather than guessed: the
 * scenario is re-run (a) with a control PMD in the same environment and (b) with the DUT and the
 * other detach order. Runs only when check 14 failed, so a passing certification costs nothing.
 *
 * - the control fails too: not the PMD's — DPDK's core (or, when the control could not even
 *   start its processes, the environment's); listed once under DPDK by the cross-DUT rule;
 * - the control passes: the PMD's;
 * - the DUT passes with the other order: the report says which order breaks.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dut } from '../model/dut.js';
import type { Fault } from '../model/summary.js';
import { CONTROL_PMDS } from '../model/verdict.js';
import {
  DETACH_ORDERS,
  type DetachOrder,
  type MpGroup,
  type MpOutcome,
  tryMpScenario,
} from '../multi-process/mp-scenario.js';

/** The control of a DUT: net_null, or net_ring when the DUT is net_null; its devargs never clash. */
export function controlFor(pmd: string): { pmd: string; devargs: string } {
  const control = [...CONTROL_PMDS].find((c) => c !== pmd)!;
  return { pmd: control, devargs: `${control}70` };
}

export const OTHER_ORDER: Readonly<Record<DetachOrder, DetachOrder>> = {
  'remove-unclosed': 'close-then-remove',
  'close-then-remove': 'remove-unclosed',
};

export interface MpAttribution {
  fault: Fault;
  /** Which re-runs ran and how they ended, and what follows; for the check's result. */
  evidence: string[];
}

/** The owner of a failure of check 14 from the re-runs' outcomes (pure: tested on its own). */
export function attributeMpFailure(
  dut: { pmd: string; order: DetachOrder },
  control: MpOutcome,
  other: MpOutcome,
  controlOther?: MpOutcome,
): MpAttribution {
  const line = (o: MpOutcome) => `re-run ${o.run}: ${o.result.toUpperCase()}${o.said ? ` (${o.said})` : ''}`;
  const evidence = [control, other, ...(controlOther ? [controlOther] : [])].map(line);
  let fault: Fault = 'pmd';
  if (control.result === 'fail') {
    fault = 'dpdk';
    evidence.push(`the control PMD fails the same scenario: DPDK's multi-process hotplug, not ${dut.pmd}`);
  } else if (control.result === 'pass') {
    evidence.push(`the control PMD passes in the same environment: ${dut.pmd}'s failure`);
  } else {
    evidence.push(`the control could not run here, so nothing moves the failure off ${dut.pmd}`);
  }
  if (other.result === 'pass')
    evidence.push(`passes with the other order: the order that breaks is "${DETACH_ORDERS[dut.order]}"`);
  else if (other.result === 'fail' && controlOther?.result === 'fail')
    evidence.push(
      `the other order ("${DETACH_ORDERS[OTHER_ORDER[dut.order]]}") fails for the control too: that order is broken in DPDK itself, and its failure says nothing of ${dut.pmd}`,
    );
  else if (other.result === 'fail') evidence.push('fails in both detach orders');
  return { fault, evidence };
}

/**
 * The control's outcomes for the whole run: a control (its PMD, its order) ends the same way for
 * every DUT of one run on one machine, so a DUT whose check 14 fails after another's reuses it.
 * Kept as one file per control in a folder of the run's own; a control two workers need at the
 * same moment runs in both.
 */
export class ControlOutcomes {
  readonly #dir: string;
  constructor(dir: string) {
    this.#dir = dir;
  }
  #file(run: string): string {
    return join(this.#dir, `${run.replace(/[^A-Za-z0-9_-]+/g, '_')}.json`);
  }
  async get(run: string, make: () => Promise<MpOutcome>): Promise<MpOutcome> {
    const file = this.#file(run);
    if (existsSync(file)) {
      const known = JSON.parse(readFileSync(file, 'utf8')) as MpOutcome;
      return { ...known, said: `${known.said ? `${known.said}; ` : ''}from an earlier DUT of this run` };
    }
    const outcome = await make();
    // A control that could not run says nothing for the next DUT: it tries again.
    if (outcome.result !== 'could not run') {
      mkdirSync(this.#dir, { recursive: true });
      writeFileSync(file, JSON.stringify(outcome));
    }
    return outcome;
  }
}

/** Runs both re-runs, one after the other (each with a DPDK instance of its own), and attributes. */
export async function reRunWithControls(
  makeGroup: () => Promise<MpGroup | { unavailable: string }>,
  dut: Pick<Dut, 'pmd'>,
  target: {
    devargs: string;
    device: string;
    order: DetachOrder;
    settled(): Promise<boolean>;
    helpers?: readonly string[];
  },
  outcomes?: ControlOutcomes,
): Promise<MpAttribution> {
  const ctl = controlFor(dut.pmd);
  const controlTarget = { devargs: ctl.devargs, device: ctl.devargs, settled: async () => true };
  const runControl = (order: DetachOrder) => {
    const run = `with the control ${ctl.pmd} (${order})`;
    const make = () => tryMpScenario(run, makeGroup, { ...controlTarget, order });
    return outcomes ? outcomes.get(run, make) : make();
  };
  const control = await runControl(target.order);
  const otherOrder = OTHER_ORDER[target.order];
  const other = await tryMpScenario(`with ${dut.pmd}, ${otherOrder}`, makeGroup, {
    ...target,
    order: otherOrder,
  });
  // Only when the DUT fails the other order too: is that order broken for every PMD?
  const controlOther = other.result === 'fail' ? await runControl(otherOrder) : undefined;
  return attributeMpFailure({ pmd: dut.pmd, order: target.order }, control, other, controlOther);
}
