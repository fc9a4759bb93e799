import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AttachEvent, type DetachEvent, Eal, type HeldResources } from '@dpdk-hotplug/ethdev';
import type { TestInfo } from '@playwright/test';
import { addFinding } from '../common/check-findings.js';
import { type HugepageLab, hugepageLab } from '../common/hugepages.js';
import { runtimeFolder } from '../common/ledger.js';
import { runDrivers } from '../common/run-drivers.js';
import type { Watchdog } from '../common/watchdog.js';
import { type CheckSpec, idOfTitle, VDEV_CHECKS, type VdevCheckId } from '../model/catalogue.js';
import { DEFAULT_DUTS } from '../model/default-duts.js';
import { type Dut, deviceOf } from '../model/dut.js';
import { mpGroup } from '../multi-process/mp-group.js';
import type { MpGroup } from '../multi-process/mp-scenario.js';
import { type TestpmdGroup, testpmdGroup } from '../testpmd/testpmd-mp.js';
import { buildLab, type Lab } from './dut-environment.js';
import { guardedTest } from './guarded-test.js';
import { leftBehindEvidence } from './left-behind.js';

export type { Settings } from '../model/settings.js';

/** Attach and detach events seen during one test. */
export class EventLog {
  readonly attached: AttachEvent[] = [];
  readonly detached: DetachEvent[] = [];
  readonly #eal: Eal;
  readonly #onAttach = (e: AttachEvent) => this.attached.push(e);
  readonly #onDetach = (e: DetachEvent) => this.detached.push(e);
  constructor(eal: Eal) {
    this.#eal = eal;
    eal.on('attach', this.#onAttach);
    eal.on('detach', this.#onDetach);
  }
  /** Lets events of calls made so far arrive (they come one microtask after the call). */
  async settle(): Promise<void> {
    await new Promise((r) => setImmediate(r));
  }
  stop(): void {
    this.#eal.off('attach', this.#onAttach);
    this.#eal.off('detach', this.#onDetach);
  }
}

export { HANG_MARKER } from '../common/markers.js';

/** Set when the DUT could not be detached after a check: the worker's EAL still holds it. */
export interface StuckDut {
  after?: string;
  reason?: string;
}

type WorkerFixtures = {
  stuck: StuckDut;
  dut: Dut;
  eal: Eal;
  /** The lab, and what the process held before the DUT's first attach (for `leftBehindEvidence`). */
  labSetUp: { lab: Lab; held: HeldResources } | { error: string };
};
type MultiProcess = () => Promise<MpGroup | { unavailable: string }>;
type TestpmdMultiProcess = () => Promise<TestpmdGroup | { unavailable: string }>;

type TestFixtures = {
  multiProcess: MultiProcess;
  testpmdMultiProcess: TestpmdMultiProcess;
  requirements: undefined;
  detachedAfter: undefined;
  events: EventLog;
  lab: Lab;
  device: string;
};

export const test = guardedTest.extend<TestFixtures, WorkerFixtures>({
  dut: [DEFAULT_DUTS[0]!, { scope: 'worker', option: true }],
  stuck: [
    async ({}, use) => {
      await use({});
    },
    { scope: 'worker' },
  ],
  // One EAL per worker process (rte_eal_init runs once per process); Playwright starts a new
  // worker after a failed test, and with it a new EAL.
  eal: [
    async ({ dut }, use) => {
      const pci = deviceOf(dut).bus === 'pci';
      // The worker's runtime folder, in the ledger: a crash leaves it to the run's end.
      const runtime = runtimeFolder(`certify-${process.pid}`);
      const eal = Eal.init({
        noHuge: !pci,
        noPci: !pci,
        memoryMb: 512,
        noSharedConfig: !pci,
        filePrefix: `certify-${process.pid}`,
        // The lab's files live in its own private folder: rewriting them is the point.
        overwriteFiles: true,
        logLevel: 'error',
        drivers: runDrivers(), // certify --driver: the run's out-of-tree PMDs
        logEcho: false,
      });
      await use(eal);
      eal.cleanup();
      runtime.remove();
    },
    { scope: 'worker' },
  ],
  // The DUT's environment (netdevs, files, a backend), made once per worker. Made before the PMD
  // is touched: when it cannot be made, that is the machine's (say, `ip -n` in a chroot whose root
  // is no mount point), and each check fails as the environment's, never as the PMD's.
  labSetUp: [
    async ({ eal, dut }, use) => {
      let lab: Lab;
      try {
        lab = await buildLab(eal, dut);
      } catch (e) {
        await use({ error: String((e as Error).message ?? e).trim() });
        return;
      }
      await use({ lab, held: eal.held() });
      await lab.teardown();
    },
    { scope: 'worker' },
  ],
  lab: async ({ labSetUp, dut }, use, testInfo) => {
    if ('error' in labSetUp) {
      const needs = `what the DUT's set-up (${dut.setup}) needs from the machine`;
      // Once per DUT: a failed check restarts the worker, which tries the set-up again; failing
      // the same way, the later checks are skipped with the reason (one restart, not fifteen).
      const seen = join(testInfo.project.outputDir, 'lab-set-up-failed');
      if (existsSync(seen)) {
        addFinding(testInfo, { needs });
        testInfo.skip(true, `not run: the DUT's set-up failed, as in an earlier check: ${labSetUp.error}`);
      }
      mkdirSync(testInfo.project.outputDir, { recursive: true });
      writeFileSync(seen, labSetUp.error);
      addFinding(testInfo, {
        fault: 'environment',
        needs,
        evidence: [`the set-up failed before the PMD was touched: ${labSetUp.error}`],
      });
      throw new Error(`the DUT's set-up (${dut.setup}) failed: ${labSetUp.error}`);
    }
    await use(labSetUp.lab);
  },
  // The DUT's device name, as the model read it (the lab fills in no name); after the lab's set-up.
  device: async ({ lab: _lab, dut }, use) => {
    await use(deviceOf(dut).name);
  },
  // Auto fixtures run in this order, after guardedTest's hang guard. First: skip with the reason
  // when the machine lacks what the DUT needs (before any EAL is made).
  requirements: [
    async ({ dut, stuck }, use, testInfo) => {
      testInfo.skip(
        dut.needsRoot === true && process.getuid?.() !== 0,
        `${dut.pmd} needs root (it makes network devices)`,
      );
      // A DUT that could not be detached: the finding belongs to the checks about detach; the
      // others cannot start from a detached DUT in this worker, and say why instead of failing.
      const spec = VDEV_CHECKS[idOfTitle(testInfo.title) as VdevCheckId] as CheckSpec | undefined;
      if (stuck.reason && spec?.inWorker) {
        const why = `the DUT cannot be detached (${stuck.reason}), first seen after "${stuck.after}"`;
        if (spec.detaches) throw new Error(why);
        testInfo.skip(true, `not run: ${why}`);
      }
      await use(undefined);
    },
    { auto: true },
  ],
  // Every check starts with the DUT detached, whatever the one before left.
  detachedAfter: [
    async ({ eal, device, progress, stuck, labSetUp }, use, testInfo) => {
      await use(undefined);
      if (eal.running && eal.ports().some((p) => p.device === device)) {
        progress.step(`teardown: stop, close and detach ${device}`);
        try {
          eal.detachDeviceSync(device, { force: true });
        } catch (e) {
          // Not this check's failure: the checks about detach report it (see `requirements`).
          const err = e as { code?: string; message?: string };
          stuck.after = testInfo.title;
          stuck.reason = `${err.code ?? 'error'}: ${err.message}`;
          testInfo.annotations.push({
            type: 'teardown',
            description: `could not detach the DUT: ${stuck.reason}`,
          });
        }
      }
      // A failed check (a re-attach refused, say): what the DUT's detaches left in this process.
      if (testInfo.status !== testInfo.expectedStatus && eal.running && 'held' in labSetUp) {
        try {
          const left = leftBehindEvidence(labSetUp.held, eal.held());
          if (left) addFinding(testInfo, { evidence: [left] });
        } catch {} // the EAL is busy (a call that timed out): nothing to add
      }
    },
    { auto: true },
  ],
  // Check 14's processes and hugepages, undone in teardown, which runs even after a timeout. Each
  // call makes a DPDK instance of its own (the check's, then its control re-runs'), one
  // reservation of hugepages for all.
  multiProcess: async ({ watchdog }, use, testInfo) => {
    extendTimeout(testInfo, watchdog, 90_000);
    await groupsOnHugepages((n, dir) => mpGroup(`certify-mp-${process.pid}-${n}`, dir), use);
  },
  // Check 17's testpmd groups, the same way (the DUT's pool, as check 16 gives testpmd).
  testpmdMultiProcess: async ({ labSetUp }, use) => {
    const mbufs = 'lab' in labSetUp ? labSetUp.lab.mbufs : undefined;
    await groupsOnHugepages(
      (n, dir) => testpmdGroup(`certify-tpmp-${process.pid}-${n}`, dir, mbufs === undefined ? {} : { mbufs }),
      use,
    );
  },
  events: async ({ eal }, use) => {
    const log = new EventLog(eal);
    await use(log);
    log.stop();
  },
});

/**
 * Gives the check a maker of DPDK instances of its own (`make(n, hugeDir)`), on one reservation of
 * 48 hugepages made at the first call, and gives everything back after the check, even after a
 * timeout: each group stopped, the hugepages and mount undone.
 */
async function groupsOnHugepages<G extends MpGroup>(
  make: (n: number, hugeDir: string) => G,
  use: (fn: () => Promise<G | { unavailable: string }>) => Promise<void>,
): Promise<void> {
  let lab: Promise<HugepageLab | { unavailable: string }> | undefined;
  const groups: G[] = [];
  await use(async () => {
    lab ??= hugepageLab(48);
    const huge = await lab;
    if ('unavailable' in huge) return huge;
    const group = make(groups.length, huge.dir);
    groups.push(group);
    return group;
  });
  for (const group of groups) await group.stop();
  const huge = await lab;
  if (huge && !('unavailable' in huge)) await huge.undo();
}

/** Gives a check more time, and the hang watchdog with it. */
export function extendTimeout(testInfo: TestInfo, watchdog: Watchdog, ms: number): void {
  testInfo.setTimeout(ms);
  watchdog.arm(testInfo.title, ms + 15_000);
}

export { expect } from '@playwright/test';
