/**
 * The body of "testpmd agrees" — check 16 (vdevs, tests/hotplug.spec.ts) and check 112 (PCI
 * DUTs, tests/pci.spec.ts) — run in the DUT's worker: the SDK's scenario on the worker's EAL, then
 * testpmd's in a process of its own, compared. Every difference, and a testpmd that crashed, hung
 * or said what the parser cannot read, is a finding with both sides attached.
 */
import { type Eal, isHotplugError } from '@dpdk-hotplug/ethdev';
import type { TestInfo } from '@playwright/test';
import type { Dut } from '../model/dut.js';
import { HELPER_PORTS } from '../model/helper-ports.js';
import type { Fault } from '../model/summary.js';
import {
  compare,
  type OraclePlan,
  type StepResult,
  sdkScenario,
  testpmdFailure,
  testpmdScenario,
} from '../testpmd/oracle.js';
import { Testpmd, type TestpmdInstance } from '../testpmd/testpmd.js';
import type { Lab } from '../worker/dut-environment.js';

/**
 * testpmd's side of the DUT: the same helper ports the lab made in the worker, attached first so
 * that ids compare, and its own socket files (a server socket the worker's PMD made is still
 * there: memif keeps its listener after detach, see the README), otherwise the same devargs.
 */
export function testpmdPlan(dut: Dut, labDevargs: string, device: string): OraclePlan {
  const devargs = ownSockets(labDevargs, 'testpmd');
  const helpers =
    dut.setup === 'null-members'
      ? HELPER_PORTS['null-members']()
      : dut.setup === 'vhost-backend'
        ? HELPER_PORTS['vhost-backend'](/path=([^,]+)/.exec(devargs)?.[1] ?? '')
        : [];
  return { helpers, startHelpers: dut.setup === 'vhost-backend', devargs, device };
}

/**
 * The devargs with socket files of testpmd's own (`memif.sock` → `memif-TAG.sock`): a server
 * socket an earlier process made can still be bound (net_memif keeps its listener after detach),
 * and a second process could not bind the same path.
 */
export function ownSockets(devargs: string, tag: string): string {
  return devargs.replace(/(\/[^,/]+)\.sock\b/g, `$1-${tag}.sock`);
}

export interface OracleOutcome {
  /** One line per difference, or the failure of testpmd's run; empty when the tools agree. */
  findings: string[];
  fault?: Fault;
}

/** Check 16 for a vdev DUT: the lab's devargs, the DUT's pool, testpmd in a private instance. */
export function oracleCheck(
  eal: Eal,
  lab: Lab,
  dut: Dut,
  device: string,
  testInfo: TestInfo,
): Promise<OracleOutcome> {
  return compareWithTestpmd(
    eal,
    {
      sdk: { helpers: [], devargs: lab.devargs, device },
      testpmd: testpmdPlan(dut, lab.devargs, device),
      ...(lab.mbufs !== undefined ? { mbufs: lab.mbufs } : {}),
      settled: lab.settled,
    },
    testInfo,
  );
}

/** What both tools are run on, each its own way. */
export interface OracleTarget {
  sdk: OraclePlan;
  testpmd: OraclePlan;
  /** The DUT's pool, on both sides: a pool the suite chose must not decide a difference. */
  mbufs?: number;
  /** testpmd's DPDK instance; default private (vdevs). */
  instance?: TestpmdInstance;
  /** How long testpmd's start may take (the driver's default otherwise). */
  startTimeoutMs?: number;
  /** Resolves once what the kernel holds for an earlier attach has gone (a tap interface). */
  settled(): Promise<unknown>;
}

/**
 * The SDK's scenario on the worker's EAL, then testpmd's in a process of its own, compared: the
 * body of check 16 (vdevs) and 112 (PCI). Every difference, and a testpmd that crashed, hung or
 * said what the parser cannot read, is a finding with both sides attached to the test.
 */
export async function compareWithTestpmd(
  eal: Eal,
  target: OracleTarget,
  testInfo: TestInfo,
): Promise<OracleOutcome> {
  const { device } = target.sdk;
  const mbufs = target.mbufs !== undefined ? { mbufs: target.mbufs } : {};
  const sdk = await sdkScenario(eal, { ...target.sdk, ...mbufs });
  // The SDK's re-attached port goes, and with it what the kernel holds for it (a tap interface).
  // A DUT that cannot be detached stays: the checks about detach report it (the `detachedAfter`
  // fixture), and testpmd's own answers are still compared.
  try {
    if (eal.ports().some((p) => p.device === device)) eal.detachDeviceSync(device, { force: true });
  } catch (e) {
    if (!isHotplugError(e)) throw e;
    testInfo.annotations.push({
      type: 'teardown',
      description: `the SDK could not detach the DUT: ${e.message}`,
    });
  }
  await target.settled();
  const attach = (name: string, body: string, contentType = 'text/plain') =>
    testInfo.attach(name, { body, contentType });
  await attach('sdk-results.json', JSON.stringify(sdk, null, 2), 'application/json');
  let tp: Testpmd | undefined;
  let theirs: StepResult[] = [];
  try {
    const t0 = performance.now();
    tp = await Testpmd.start({
      filePrefix: `certify-testpmd-${process.pid}`,
      ...mbufs,
      ...(target.instance ? { instance: target.instance } : {}),
      ...(target.startTimeoutMs !== undefined ? { startTimeoutMs: target.startTimeoutMs } : {}),
    });
    testInfo.annotations.push({
      type: 'testpmd start',
      description: `${Math.round(performance.now() - t0)} ms to its first prompt`,
    });
    theirs = await testpmdScenario(tp, target.testpmd);
  } catch (e) {
    const failed = testpmdFailure(e);
    if (!failed) throw e;
    await attach('testpmd-transcript.txt', failed.transcript || (tp?.transcript ?? ''));
    return { findings: [failed.why], fault: failed.fault };
  } finally {
    await tp?.close();
    await target.settled();
  }
  await attach('testpmd-transcript.txt', tp.transcript);
  await attach('testpmd-results.json', JSON.stringify(theirs, null, 2), 'application/json');
  const diffs = compare(sdk, theirs);
  testInfo.annotations.push({
    type: 'testpmd',
    description: `${theirs.map((s) => `${s.step} ${s.outcome}${s.value !== undefined ? ` ${s.value}` : ''}`).join(', ')}`,
  });
  if (!diffs.length) return { findings: [] };
  // Any difference testpmd could not do is the PMD's (or testpmd's); each is listed.
  return {
    findings: diffs.map((d) => `${d.step}: ${d.why}`),
    fault: diffs.some((d) => d.fault === 'pmd') ? 'pmd' : 'suite',
  };
}
