/**
 * Fixtures of the PCI checks (`tests/pci.spec.ts`): the lab that plugs the DUT (`pciLab`, from the
 * module the run names), a PCI EAL per worker, and the DUT's state along the checks (`pciDut`).
 * A worker runs the DUTs of its project (`pciDuts`, one IOVA mode: lib/worker/pci-lab.ts) one
 * after the other on its one EAL; each DUT's checks are a `describe` naming it (`dutName`).
 *
 * The checks of one DUT are steps of one story (plug, bind, attach, …, unplug), but Playwright
 * starts a new worker, with a new EAL, after a failed test (unless `keepWorkerAfterFailure` made it
 * expected). So what outlives the EAL — which NIC
 * is plugged, whether it is bound, whether it was pulled — is kept in a file in the project's
 * output folder, and only the port lives in the worker. A check whose starting point a failure
 * took away is skipped with that reason (the failure itself is the finding).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Eal, type PortId } from '@dpdk-hotplug/ethdev';
import { test as base, type TestInfo } from '@playwright/test';
import { addFinding } from '../common/check-findings.js';
import type { Dut } from '../model/dut.js';
import { guardedTest } from './guarded-test.js';
import { iovaModeOf, type LabModule, loadPciLab, type PciLab, type PluggedDevice } from './pci-lab.js';

export { iovaModeOf };

/** What the checks of one DUT left for the next ones. */
export interface PciDutState {
  /** The NIC plugged for the DUT (check 101, or 111 after a surprise removal). */
  device?: PluggedDevice;
  /** Bound to the DUT's userspace driver (102, 111), until restored (108). */
  bound?: boolean;
  /** Pulled by check 110: gone, or going. */
  pulled?: boolean;
  /** Unplugged by check 109. */
  unplugged?: boolean;
}

/** The DUT's state, kept in a file across the workers of its project; the port only in this worker. */
export class PciDut {
  readonly #file: string;
  state: PciDutState;
  /** The port attached in this worker's EAL. */
  port: PortId | undefined;
  /** The port has been started (by check 104). */
  started = false;

  constructor(file: string) {
    this.#file = file;
    this.state = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as PciDutState) : {};
  }

  /** Merges `change` into the state and writes it at once: a crash right after keeps it. */
  save(change: Partial<PciDutState>): void {
    this.state = { ...this.state, ...change };
    writeFileSync(this.#file, JSON.stringify(this.state));
  }

  /** The plugged NIC, or the test is skipped with why there is none. */
  device(): PluggedDevice {
    const d = this.state.device;
    base.skip(!d, 'not run: no NIC is plugged (check 101 or 111 failed)');
    base.skip(this.state.pulled === true, 'not run: the NIC was pulled (check 110) and not plugged again');
    base.skip(this.state.unplugged === true, 'not run: the NIC was unplugged');
    return d!;
  }

  /** The plugged NIC, bound to the userspace driver, or the test is skipped. */
  boundDevice(): PluggedDevice {
    const d = this.device();
    base.skip(!this.state.bound, 'not run: the NIC is not bound to the userspace driver (check 102 failed)');
    return d;
  }

  /** The port attached in this worker, or the test is skipped. */
  attachedPort(): PortId {
    base.skip(
      this.port === undefined,
      'not run: no port is attached (a check before it failed: its ports were detached, as a new worker starts without them)',
    );
    return this.port!;
  }
}

type WorkerFixtures = {
  /** The project's DUTs, checked one after the other in each worker. */
  pciDuts: Dut[];
  /** The module that makes the lab (a run's `pciLab`); none: the PCI checks cannot run. */
  pciLabModule: LabModule | undefined;
  /** Each DUT's lab, made once per worker from the module (imported once). */
  pciLabs: (dut: Dut) => Promise<PciLab>;
  eal: Eal;
  /** Each DUT's state in this worker (its port lives as long as the worker). */
  pciDutsInWorker: Map<string, PciDut>;
};

type TestFixtures = {
  /** The DUT whose checks these are: its `describe` says (`forEachPciDut`). */
  dutName: string;
  dut: Dut;
  pciLab: PciLab;
  pciDut: PciDut;
};

/** The DUT's PCI fields, which a lab DUT must have. */
export function pciOf(
  dut: Dut,
): Required<Pick<NonNullable<Dut['pci']>, 'model' | 'driver' | 'kernelDriver'>> {
  const { model, driver, kernelDriver } = dut.pci ?? {};
  if (!model || !driver || !kernelDriver)
    throw new Error(`DUT ${dut.name}: a lab DUT needs pci.model, pci.driver and pci.kernelDriver`);
  return { model, driver, kernelDriver };
}

/** How long loading the lab's module may take (its compilation under TCG is minutes). */
const PCI_LAB_LOAD_MS = 300_000;

export const test = guardedTest.extend<TestFixtures, WorkerFixtures>({
  pciDuts: [[], { scope: 'worker', option: true }],
  pciLabModule: [undefined, { scope: 'worker', option: true }],
  pciLabs: [
    async ({ pciLabModule, watchdog }, use) => {
      const labs = new Map<string, Promise<PciLab>>();
      await use((dut) => {
        if (!pciLabModule)
          throw new Error('the PCI checks need a lab: the run names none (pciLab in its plan)');
        if (!labs.has(dut.name)) {
          // The first import blocks the event loop while it compiles: the hang guard waits as
          // long as the pciLab fixture's own timeout (before, its 135 s killed a worker allowed
          // 300 s), for the load only: the check then has its own deadline back.
          const loaded = labs.size === 0 ? watchdog.allowAtLeast(PCI_LAB_LOAD_MS + 15_000) : undefined;
          const lab = loadPciLab(pciLabModule, dut);
          if (loaded) lab.then(loaded, loaded);
          labs.set(dut.name, lab);
        }
        return labs.get(dut.name)!;
      });
    },
    { scope: 'worker' },
  ],
  dutName: ['', { option: true }],
  dut: async ({ dutName, pciDuts }, use) => {
    const dut = pciDuts.find((d) => d.name === dutName);
    if (!dut)
      throw new Error(
        `DUT ${dutName} is not one of this project's (${pciDuts.map((d) => d.name).join(', ')})`,
      );
    await use(dut);
  },
  pciLab: [
    async ({ pciLabs, dut }, use) => {
      await use(await pciLabs(dut));
    },
    // Importing the lab's module compiles it first (Playwright's transform): in a QEMU guest under
    // TCG on a loaded host that took over the 60 s a fixture has by default.
    { timeout: PCI_LAB_LOAD_MS },
  ],
  pciDutsInWorker: [
    async ({}, use) => {
      await use(new Map());
    },
    { scope: 'worker' },
  ],
  pciDut: async ({ pciLab, dut, eal, pciDutsInWorker }, use, testInfo) => {
    let pciDut = pciDutsInWorker.get(dut.name);
    if (!pciDut) {
      // The DUT's first check in this worker: an earlier DUT's port goes from the EAL (a skipped
      // check can leave one), so each DUT starts from an EAL holding no port.
      for (const p of eal.ports()) {
        try {
          eal.detachDeviceSync(p.device, { force: true });
        } catch {}
      }
      const file = join(testInfo.project.outputDir, `${dut.name}.pci-dut.json`);
      // The DUT's first worker starts from a clean lab: NICs an earlier DUT left plugged go.
      if (!existsSync(file)) {
        mkdirSync(testInfo.project.outputDir, { recursive: true });
        await pciLab.sweep();
      }
      pciDut = new PciDut(file);
      pciDutsInWorker.set(dut.name, pciDut);
    }
    await use(pciDut);
    keepWorkerAfterFailure(testInfo, eal, () => pciDutsInWorker.delete(dut.name));
  },
  // One EAL per worker, probing nothing at start (the peer NIC stays the kernel's); the IOVA mode
  // of its project's DUTs (one per project).
  eal: [
    async ({ pciDuts }, use) => {
      const eal = Eal.init({
        memoryMb: 64,
        allow: ['0000:00:00.0'],
        filePrefix: `pci-${process.pid}`,
        logLevel: 'notice',
        logEcho: false,
        ...(pciDuts[0] ? iovaModeOf(pciDuts[0]) : {}),
      });
      await use(eal);
      // A failed check leaves its port: stop, close and detach it so the device can be restored.
      for (const p of eal.ports()) {
        try {
          eal.detachDeviceSync(p.device, { force: true });
        } catch {}
      }
      eal.cleanup();
    },
    { scope: 'worker' },
  ],
});

/** The annotation of a failed check whose worker was kept (a note of the check in the report). */
export const WORKER_KEPT = 'worker';

/**
 * After a failed check, Playwright stops the worker and starts another, with a new EAL: minutes
 * each in a QEMU guest under TCG. This does in the worker what the new one would start from — no
 * port in the EAL (every port detached, as the EAL's teardown does) and no port of the DUT known
 * (`PciDut` made again from its file, as a new worker makes it) — then marks the failure expected
 * (`testInfo.fail()`) so that Playwright keeps the worker.
 * Fair: the reporter reads the result's status (still `failed`), its errors and its findings, as
 * before, so the check is a FAIL with the same evidence and the expectations judge it as before;
 * the run's exit code is the summary's, not Playwright's. What a new worker would renew and this
 * does not: the EAL's heap and the process's resources (check 107 measures growth within itself)
 * and the hotplug monitor check 110 turns on (on after a passed 110 too). A timed-out check (a
 * DPDK call may still run) or a port that will not go leaves the failure unexpected: a new worker.
 */
export function keepWorkerAfterFailure(testInfo: TestInfo, eal: Eal, forgetDut: () => void): void {
  if (testInfo.status !== 'failed' || testInfo.expectedStatus !== 'passed' || !eal.running) return;
  for (const p of eal.ports()) {
    try {
      eal.detachDeviceSync(p.device, { force: true });
    } catch {}
  }
  if (eal.ports().length) return;
  forgetDut();
  testInfo.annotations.push({
    type: WORKER_KEPT,
    description: 'kept after this failure, its ports detached (no Playwright worker restart)',
  });
  testInfo.fail();
}

/**
 * Declares the PCI checks (`declare`) once for each lab DUT of the run's `duts`, in a `describe`
 * named after it: each project's grep then picks its own DUTs' planned checks
 * (lib/worker/pci-lab.ts). The spec reads the plan: the worker's room does not import the plan's.
 */
export function forEachPciDut(duts: readonly Dut[], declare: () => void): void {
  for (const dut of duts.filter((d) => d.pci?.unplug))
    test.describe(dut.name, () => {
      test.use({ dutName: dut.name });
      declare();
    });
}

/**
 * Runs a check's body; if it fails, says whose the failure is (the reporter's `fault` and
 * `evidence` annotations): for the checks where no DPDK call is made, a failure is not the PMD's.
 */
export async function whoseIfFails<T>(
  testInfo: TestInfo,
  fault: 'environment' | 'suite',
  why: string,
  body: () => Promise<T>,
): Promise<T> {
  try {
    return await body();
  } catch (e) {
    addFinding(testInfo, { fault, evidence: [why] });
    throw e;
  }
}

export { expect } from '@playwright/test';
