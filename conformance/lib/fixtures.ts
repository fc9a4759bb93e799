import { join } from 'node:path';
import { type AttachEvent, type DetachEvent, Eal, parseDevargs } from '@dpdk-hotplug/ethdev';
import { test as base } from '@playwright/test';
import { DEFAULT_DUTS } from './default-duts.js';
import type { Dut } from './dut.js';
import { HANG_MARKER } from './fixtures-constants.js';
import { buildLab, type Lab } from './lab.js';
import { Watchdog } from './watchdog.js';

export interface Settings {
  /** Cycles of the repeated-cycles check (the DUT's own `cycles` caps it unless `forceCycles`). */
  cycles: number;
  /** Upper bound of that check's time, per DUT. */
  budgetMs: number;
  forceCycles: boolean;
}

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

export { HANG_MARKER } from './fixtures-constants.js';

type WorkerFixtures = { dut: Dut; settings: Settings; watchdog: Watchdog; eal: Eal; lab: Lab };
type TestFixtures = {
  requirements: undefined;
  hangGuard: undefined;
  detachedAfter: undefined;
  events: EventLog;
  device: string;
};

export const test = base.extend<TestFixtures, WorkerFixtures>({
  dut: [DEFAULT_DUTS[0]!, { scope: 'worker', option: true }],
  settings: [
    { cycles: 1000, budgetMs: 10_000, forceCycles: false },
    { scope: 'worker', option: true },
  ],
  watchdog: [
    async ({}, use, workerInfo) => {
      const watchdog = new Watchdog(join(workerInfo.project.outputDir, HANG_MARKER));
      await use(watchdog);
      await watchdog.stop();
    },
    { scope: 'worker' },
  ],
  // One EAL per worker process (rte_eal_init runs once per process); Playwright starts a new
  // worker after a failed test, and with it a new EAL.
  eal: [
    async ({ dut }, use) => {
      const pci = parseDevargs(dut.devargs.replace(/\{\w+\}/g, 'x')).bus === 'pci';
      const eal = Eal.init({
        noHuge: !pci,
        noPci: !pci,
        memoryMb: 512,
        noSharedConfig: !pci,
        filePrefix: `certify-${process.pid}`,
        logLevel: 'error',
        logEcho: false,
      });
      await use(eal);
      eal.cleanup();
    },
    { scope: 'worker' },
  ],
  lab: [
    async ({ eal, dut }, use) => {
      const lab = buildLab(eal, dut);
      await use(lab);
      lab.teardown();
    },
    { scope: 'worker' },
  ],
  device: async ({ lab }, use) => {
    await use(parseDevargs(lab.devargs).name);
  },
  // Auto fixtures run in this order. First: skip with the reason when the machine lacks what the
  // DUT needs (before any EAL is made).
  requirements: [
    async ({ dut }, use, testInfo) => {
      testInfo.skip(
        dut.needsRoot === true && process.getuid?.() !== 0,
        `${dut.pmd} needs root (it makes network devices)`,
      );
      await use(undefined);
    },
    { auto: true },
  ],
  // Playwright's own timeout fires while the event loop runs; the watchdog when a PMD blocks it.
  hangGuard: [
    async ({ watchdog }, use, testInfo) => {
      watchdog.arm(testInfo.title, testInfo.timeout + 15_000);
      await use(undefined);
      watchdog.disarm();
    },
    { auto: true },
  ],
  // Every check starts with the DUT detached, whatever the one before left.
  detachedAfter: [
    async ({ eal, device }, use) => {
      await use(undefined);
      if (eal.running && eal.ports().some((p) => p.device === device))
        eal.detachDeviceSync(device, { force: true });
    },
    { auto: true },
  ],
  events: async ({ eal }, use) => {
    const log = new EventLog(eal);
    await use(log);
    log.stop();
  },
});

export { expect } from '@playwright/test';
