/**
 * Fixtures of the PCI checks (`tests/pci.spec.ts`): the lab that plugs the DUT (`pciLab`, from the
 * module the run names), a PCI EAL per worker, and the DUT's state along the checks (`pciDut`).
 *
 * The checks of one DUT are steps of one story (plug, bind, attach, …, unplug), but Playwright
 * starts a new worker, with a new EAL, after a failed test. So what outlives the EAL — which NIC
 * is plugged, whether it is bound, whether it was pulled — is kept in a file in the project's
 * output folder, and only the port lives in the worker. A check whose starting point a failure
 * took away is skipped with that reason (the failure itself is the finding).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Eal, type PortId } from '@dpdk-hotplug/ethdev';
import { test as base, type TestInfo } from '@playwright/test';
import { addFinding } from '../common/check-findings.js';
import type { Dut } from '../model/dut.js';
import { guardedTest } from './guarded-test.js';
import { type LabModule, loadPciLab, type PciLab, type PluggedDevice } from './pci-lab.js';

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
      'not run: no port is attached in this worker (a check before it failed: Playwright restarts the worker, and its EAL, after a failure)',
    );
    return this.port!;
  }
}

type WorkerFixtures = {
  dut: Dut;
  /** The module that makes the lab (a run's `pciLab`); none: the PCI checks cannot run. */
  pciLabModule: LabModule | undefined;
  pciLab: PciLab;
  eal: Eal;
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

/** The IOVA mode the DUT's userspace driver needs (for the SDK's EAL and testpmd's alike). */
export function iovaModeOf(dut: Dut): { iovaMode?: 'pa' } {
  // UIO drivers give no IOMMU: DMA needs physical addresses.
  return pciOf(dut).driver !== 'vfio-pci' ? { iovaMode: 'pa' } : {};
}

/** How long loading the lab's module may take (its compilation under TCG is minutes). */
const PCI_LAB_LOAD_MS = 300_000;

export const test = guardedTest.extend<Record<never, never>, WorkerFixtures>({
  dut: [undefined as unknown as Dut, { scope: 'worker', option: true }],
  pciLabModule: [undefined, { scope: 'worker', option: true }],
  pciLab: [
    async ({ pciLabModule, dut, watchdog }, use) => {
      if (!pciLabModule)
        throw new Error('the PCI checks need a lab: the run names none (pciLab in its plan)');
      // The import blocks the event loop while it compiles: the hang guard waits as long as this
      // fixture's own timeout (before, its 135 s killed a worker the fixture allowed 300 s), for
      // the load only: the first PCI check then has its own deadline back.
      const loaded = watchdog.allowAtLeast(PCI_LAB_LOAD_MS + 15_000);
      let lab: PciLab;
      try {
        lab = await loadPciLab(pciLabModule, dut);
      } finally {
        loaded();
      }
      await use(lab);
    },
    // Importing the lab's module compiles it first (Playwright's transform): in a QEMU guest under
    // TCG on a loaded host that took over the 60 s a fixture has by default.
    { scope: 'worker', timeout: PCI_LAB_LOAD_MS },
  ],
  pciDut: [
    async ({ pciLab }, use, workerInfo) => {
      const file = join(workerInfo.project.outputDir, 'pci-dut.json');
      // The DUT's first worker starts from a clean lab: NICs an earlier DUT left plugged go.
      if (!existsSync(file)) await pciLab.sweep();
      await use(new PciDut(file));
    },
    { scope: 'worker' },
  ],
  // One EAL per worker, probing nothing at start (the peer NIC stays the kernel's).
  eal: [
    async ({ dut, pciDut }, use) => {
      const eal = Eal.init({
        memoryMb: 64,
        allow: ['0000:00:00.0'],
        filePrefix: `pci-${process.pid}`,
        logLevel: 'notice',
        logEcho: false,
        ...iovaModeOf(dut),
      });
      await use(eal);
      // A failed check leaves its port: stop, close and detach it so the device can be restored.
      const bdf = pciDut.state.device?.bdf;
      if (bdf && eal.ports().some((p) => p.device === bdf)) {
        try {
          eal.detachDeviceSync(bdf, { force: true });
        } catch {}
      }
      eal.cleanup();
    },
    { scope: 'worker' },
  ],
});

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
