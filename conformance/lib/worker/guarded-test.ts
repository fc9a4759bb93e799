/**
 * The base of both suites (`fixtures.ts` for the vdev checks, `pci-fixtures.ts` for the PCI
 * ones): the run's settings, and the hang guard every check runs under. A PMD that blocks the
 * event loop stops Playwright's own timeout too, so a watchdog thread kills the worker and a
 * progress file says which check and step it was in (the reporter reads both).
 */
import { join } from 'node:path';
import { test as base } from '@playwright/test';
import { HANG_MARKER, PROGRESS_MARKER } from '../common/markers.js';
import { Progress } from '../common/progress.js';
import { Watchdog } from '../common/watchdog.js';
import { DEFAULT_SETTINGS, type Settings } from '../model/settings.js';

export type GuardedWorkerFixtures = {
  settings: Settings;
  watchdog: Watchdog;
  progress: Progress;
};

export const guardedTest = base.extend<{ hangGuard: undefined }, GuardedWorkerFixtures>({
  settings: [{ ...DEFAULT_SETTINGS }, { scope: 'worker', option: true }],
  watchdog: [
    async ({}, use, workerInfo) => {
      const watchdog = new Watchdog(join(workerInfo.project.outputDir, HANG_MARKER));
      await use(watchdog);
      await watchdog.stop();
    },
    { scope: 'worker' },
  ],
  progress: [
    async ({}, use, workerInfo) => {
      const progress = new Progress(join(workerInfo.project.outputDir, PROGRESS_MARKER));
      await use(progress);
      progress.close();
    },
    { scope: 'worker' },
  ],
  // Playwright's own timeout fires while the event loop runs; the watchdog when a PMD blocks it.
  hangGuard: [
    async ({ watchdog, progress }, use, testInfo) => {
      progress.check(testInfo.title);
      watchdog.arm(testInfo.title, testInfo.timeout + 15_000);
      progress.step('body');
      await use(undefined);
      progress.step('teardown');
      watchdog.disarm();
    },
    { auto: true },
  ],
});
