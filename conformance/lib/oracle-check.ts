/**
 * Check 16's body, run by tests/hotplug.spec.ts in the DUT's worker: the SDK's scenario on the
 * worker's EAL, then testpmd's in a process of its own, compared. Every difference, and a testpmd
 * that crashed, hung or said what the parser cannot read, is a finding with both sides attached.
 */
import { type Eal, isHotplugError } from '@dpdk-hotplug/ethdev';
import type { TestInfo } from '@playwright/test';
import type { Dut } from './dut.js';
import { HELPER_PORTS, type Lab } from './lab.js';
import {
  compare,
  type OraclePlan,
  type StepResult,
  sdkScenario,
  testpmdFailure,
  testpmdScenario,
} from './oracle.js';
import type { Fault } from './summary.js';
import { Testpmd } from './testpmd.js';

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

export async function oracleCheck(
  eal: Eal,
  lab: Lab,
  dut: Dut,
  device: string,
  testInfo: TestInfo,
): Promise<OracleOutcome> {
  const plan = testpmdPlan(dut, lab.devargs, device);
  const sdk = await sdkScenario(eal, {
    helpers: [],
    devargs: lab.devargs,
    device,
    ...(lab.mbufs !== undefined ? { mbufs: lab.mbufs } : {}),
  });
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
  await lab.settled();
  const attach = (name: string, body: string, contentType = 'text/plain') =>
    testInfo.attach(name, { body, contentType });
  await attach('sdk-results.json', JSON.stringify(sdk, null, 2), 'application/json');
  let tp: Testpmd | undefined;
  let theirs: StepResult[] = [];
  try {
    // The DUT's pool on both sides: a pool the suite chose must not decide a difference.
    tp = await Testpmd.start({
      filePrefix: `certify-testpmd-${process.pid}`,
      ...(lab.mbufs !== undefined ? { mbufs: lab.mbufs } : {}),
    });
    theirs = await testpmdScenario(tp, plan);
  } catch (e) {
    const failed = testpmdFailure(e);
    if (!failed) throw e;
    await attach('testpmd-transcript.txt', failed.transcript || (tp?.transcript ?? ''));
    return { findings: [failed.why], fault: failed.fault };
  } finally {
    await tp?.close();
    await lab.settled();
  }
  await attach('testpmd-transcript.txt', tp.transcript);
  await attach('testpmd-results.json', JSON.stringify(theirs, null, 2), 'application/json');
  const diffs = compare(sdk, theirs);
  testInfo.annotations.push({
    type: 'testpmd',
    description: `${theirs.map((s) => `${s.step} ${s.outcome}${s.value !== undefined ? ` ${s.value}` : ''}`).join(', ')}`,
  });
  if (!diffs.length) return { findings: [] };
  // The first difference decides whose the finding is; each is listed.
  return {
    findings: diffs.map((d) => `${d.step}: ${d.why}`),
    fault: diffs.some((d) => d.fault === 'pmd') ? 'pmd' : 'suite',
  };
}
