/**
 * Check 16, "testpmd agrees": the scenario of checks 1–5 run twice on the same DUT, once through
 * the SDK and once through dpdk-testpmd (DPDK's reference application, in a process of its own),
 * and the answers compared step by step: port ids, name and driver, refusals in the same places,
 * the detached device, re-attach's id.
 */
import { type Eal, isHotplugError, type PortId } from '@dpdk-hotplug/ethdev';
import type { Fault } from '../model/summary.js';
import { type Testpmd, TestpmdGone } from './testpmd.js';
import { TestpmdParseError } from './testpmd-parse.js';

/** The scenario's steps, in order. */
export const STEPS = [
  'attach',
  'info',
  'start',
  'detach-started',
  'stop',
  'close',
  'detach',
  're-attach',
] as const;
export type Step = (typeof STEPS)[number];

export interface StepResult {
  step: Step;
  /** `ok`; `refused` (the tool said no, as it should for detach-started); `not-run` after a failed attach. */
  outcome: 'ok' | 'refused' | 'not-run';
  /** What is compared: a port id, `name driver`, a device name. */
  value?: string | number;
  /** The tool's own words: the SDK's error code and message, testpmd's answer. */
  said?: string;
}

/** What each step should give when the DUT behaves: a detach of a started port is refused. */
export const EXPECTED_OUTCOME: Record<Step, StepResult['outcome']> = {
  attach: 'ok',
  info: 'ok',
  start: 'ok',
  'detach-started': 'refused',
  stop: 'ok',
  close: 'ok',
  detach: 'ok',
  're-attach': 'ok',
};

/** The DUT's helper ports (bonding members, a vhost backend), attached first, in the lab's order. */
export interface OraclePlan {
  helpers: string[];
  /** Start the helpers (a vhost backend serves its socket once started). */
  startHelpers?: boolean;
  devargs: string;
  device: string;
  /** The DUT's pool (its `mbufs`) for the SDK's configure; undefined: the SDK's. */
  mbufs?: number;
}

/** The SDK's answers, on the worker's EAL (the DUT detached at the start). */
export async function sdkScenario(eal: Eal, plan: OraclePlan): Promise<StepResult[]> {
  const out: StepResult[] = [];
  const step = async (
    name: Step,
    fn: () => Promise<string | number | undefined> | string | number | undefined,
  ) => {
    try {
      const value = await fn();
      out.push({ step: name, outcome: 'ok', ...(value !== undefined ? { value } : {}) });
      return true;
    } catch (e) {
      if (!isHotplugError(e)) throw e;
      out.push({ step: name, outcome: 'refused', said: `${e.code}: ${e.message}` });
      return false;
    }
  };
  let port = -1 as PortId;
  if (
    !(await step('attach', async () => {
      port = await eal.attach(plan.devargs);
      return port;
    }))
  )
    return notRun(out);
  await step('info', () => {
    const info = eal.port(port);
    return `${info.name} ${info.driver}`;
  });
  await step('start', () => {
    eal.configure(port, plan.mbufs === undefined ? {} : { mbufs: plan.mbufs });
    eal.start(port);
    return undefined;
  });
  await step('detach-started', () => {
    eal.detachSync(port);
    return undefined;
  });
  await step('stop', () => {
    eal.stop(port);
    return undefined;
  });
  await step('close', () => {
    eal.close(port);
    return undefined;
  });
  await step('detach', () => eal.detachSync(port));
  await step('re-attach', async () => eal.attach(plan.devargs));
  return out;
}

/**
 * testpmd's answers for the same scenario, in a testpmd of its own. A crash or hang throws
 * {@link TestpmdGone}, output it cannot read {@link TestpmdParseError}; both with the transcript.
 */
export async function testpmdScenario(tp: Testpmd, plan: OraclePlan): Promise<StepResult[]> {
  const out: StepResult[] = [];
  for (const helper of plan.helpers) {
    const { answer } = await tp.run(`port attach ${helper}`);
    if (answer.kind !== 'attached') throw new Error(`testpmd could not attach the helper port ${helper}`);
    if (plan.startHelpers) await tp.run(`port start ${answer.ports[0]}`);
  }
  const said = (text: string) => text.trim().split('\n').slice(-3).join(' | ');
  const attach = async (name: Step): Promise<number | undefined> => {
    const r = await tp.run(`port attach ${plan.devargs}`);
    const a = r.answer;
    if (a.kind === 'attached') {
      out.push({ step: name, outcome: 'ok', value: a.ports[0]!, said: said(r.text) });
      return a.ports[0];
    }
    out.push({ step: name, outcome: 'refused', said: said(r.text) });
    return undefined;
  };
  const port = await attach('attach');
  if (port === undefined) return notRun(out);
  const simple = async (name: Step, command: string, ok: string) => {
    const r = await tp.run(command);
    out.push({ step: name, outcome: r.answer.kind === ok ? 'ok' : 'refused', said: said(r.text) });
    return r;
  };
  const info = await tp.run(`show port info ${port}`);
  const i = info.answer;
  out.push(
    i.kind === 'info'
      ? { step: 'info', outcome: 'ok', value: `${i.name} ${i.driver}` }
      : { step: 'info', outcome: 'refused', said: said(info.text) },
  );
  await simple('start', `port start ${port}`, 'started');
  await simple('detach-started', `port detach ${port}`, 'detached');
  await simple('stop', `port stop ${port}`, 'stopped');
  await simple('close', `port close ${port}`, 'closed');
  // 22.11's `port detach` refuses a closed port (its id is freed by close): by device name, as
  // DTS does, which every release takes.
  const d = await tp.run(`device detach ${plan.device}`);
  out.push(
    d.answer.kind === 'detached'
      ? { step: 'detach', outcome: 'ok', value: d.answer.device, said: said(d.text) }
      : { step: 'detach', outcome: 'refused', said: said(d.text) },
  );
  await attach('re-attach');
  return out;
}

function notRun(out: StepResult[]): StepResult[] {
  for (const s of STEPS) if (!out.some((r) => r.step === s)) out.push({ step: s, outcome: 'not-run' });
  return out;
}

/** One difference between the two tools, and whose it is. */
export interface Difference {
  step: Step;
  sdk: StepResult;
  testpmd: StepResult;
  fault: Fault;
  why: string;
}

/**
 * The steps where the tools disagree. Whose a difference is: a step testpmd could not do and the
 * SDK could is the PMD's or testpmd's (fault `pmd`: the DUT fails under DPDK's own application);
 * a step the SDK could not do and testpmd could, or a different id, name or driver, is the
 * suite's (fault `suite`: the reference tool is the reference).
 */
export function compare(sdk: StepResult[], testpmd: StepResult[]): Difference[] {
  const diffs: Difference[] = [];
  for (const step of STEPS) {
    const s = sdk.find((r) => r.step === step) ?? { step, outcome: 'not-run' as const };
    const t = testpmd.find((r) => r.step === step) ?? { step, outcome: 'not-run' as const };
    if (s.outcome === t.outcome && (s.outcome !== 'ok' || s.value === t.value)) continue;
    if (s.outcome === 'not-run' || t.outcome === 'not-run') {
      // Follows from a failed attach, which is the difference reported.
      if (sdk[0]?.outcome !== testpmd[0]?.outcome) continue;
    }
    let fault: Fault;
    let why: string;
    if (s.outcome === t.outcome) {
      fault = 'suite';
      why = `the SDK says ${JSON.stringify(s.value)}, testpmd ${JSON.stringify(t.value)}`;
    } else {
      fault = faultOfDifference(t.outcome === EXPECTED_OUTCOME[step]);
      why =
        fault === 'suite'
          ? `testpmd: ${t.outcome}, the SDK: ${s.outcome}${s.said ? ` (${s.said})` : ''}`
          : `under testpmd: ${t.outcome}${t.said ? ` (${t.said})` : ''}; through the SDK: ${s.outcome}`;
    }
    diffs.push({ step, sdk: s, testpmd: t, fault, why });
  }
  return diffs;
}

/**
 * Whose a step is when the SDK and testpmd disagree on it (checks 16 and 17, one rule): testpmd
 * did what the contract says and the SDK did not → the suite's (testpmd is the reference);
 * otherwise the PMD's or DPDK's under testpmd.
 */
export function faultOfDifference(testpmdAsExpected: boolean): Fault {
  return testpmdAsExpected ? 'suite' : 'pmd';
}

/** Why testpmd's run stopped short, as a finding against the PMD or testpmd; undefined for other errors. */
export function testpmdFailure(e: unknown): { fault: Fault; why: string; transcript: string } | undefined {
  // Before any command, no PMD is involved: testpmd could not start on this machine.
  if (e instanceof TestpmdGone && e.command === 'start')
    return {
      fault: 'environment',
      why: `testpmd did not start (${e.how}, ${e.detail}): ${e.transcript.trim().split('\n').slice(-2).join(' | ')}`,
      transcript: e.transcript,
    };
  if (e instanceof TestpmdGone)
    return {
      fault: 'pmd',
      why: `the PMD or testpmd: ${e.message}`,
      transcript: e.transcript,
    };
  if (e instanceof TestpmdParseError)
    return { fault: 'suite', why: `the suite cannot read testpmd's answer: ${e.why}`, transcript: e.text };
  return undefined;
}
