import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  dutsFromInventory,
  PARENT_PIPE_ENV,
  PLAN_ENV,
  readInventory,
  writePlanFile,
} from '@dpdk-hotplug/conformance';
import { afterAll, describe, expect, it } from 'vitest';
import { labCases, matrixInventory } from '../virtual/run.js';
import { NATIVE_ESM_ENV } from './native-esm.js';
import { RUNNER_LAB_MODULE } from './run.js';

const work = mkdtempSync(join(tmpdir(), 'dphp-native-esm-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The tests Playwright lists for the lab's compiled suite, as `lab run` starts it, with `env` added. */
function listSuite(env: Record<string, string>): { status: number | null; tests: string[]; stderr: string } {
  const file = join(work, 'matrix.json');
  const cases = labCases({ models: ['e1000e'], drivers: ['uio_pci_generic'], cycles: 1 });
  writeFileSync(file, JSON.stringify(matrixInventory(cases)));
  const planFile = join(work, 'plan.json');
  writePlanFile(planFile, {
    duts: dutsFromInventory(readInventory(file), 'virtual-uio'),
    settings: { cycles: 1, budgetMs: 1000, forceCycles: false },
    out: join(work, 'out'),
    workers: 1,
    pciLab: { module: RUNNER_LAB_MODULE },
  });
  const conformance = createRequire(import.meta.url).resolve('@dpdk-hotplug/conformance/package.json');
  const playwright = createRequire(conformance).resolve('@playwright/test/cli');
  const r = spawnSync(
    process.execPath,
    [playwright, 'test', '-c', join(dirname(conformance), 'playwright.config.js'), '--list'],
    {
      cwd: work,
      encoding: 'utf8',
      input: '',
      env: { ...process.env, ...env, [PLAN_ENV]: planFile, [PARENT_PIPE_ENV]: '1' },
    },
  );
  return { status: r.status, tests: r.stdout.split('\n').filter((l) => l.includes(' › ')), stderr: r.stderr };
}

describe("the compiled suite without Playwright's loader thread", () => {
  /**
   * Steps: list the lab's suite (compiled config and spec, one lab DUT) with Playwright, once as
   * it comes and once with NATIVE_ESM_ENV, as the guests run it.
   * Verify: the env is Playwright's switch; both listings succeed and hold the same tests, the
   * DUT's planned PCI checks among them: nothing of the suite needs Playwright's transform.
   */
  it('lists the same tests as with it', { timeout: 120_000 }, () => {
    expect(NATIVE_ESM_ENV).toEqual({ PW_DISABLE_TS_ESM: '1' });
    const hooked = listSuite({});
    const native = listSuite({ ...NATIVE_ESM_ENV });
    expect(hooked.status, hooked.stderr).toBe(0);
    expect(native.status, native.stderr).toBe(0);
    expect(native.tests).toEqual(hooked.tests);
    expect(native.tests.join('\n')).toMatch(/virtual-e1000e-uio_pci_generic-clean › 101\. plug/);
    expect(native.tests.join('\n')).toMatch(/virtual-e1000e-uio_pci_generic-clean › 112\. testpmd/);
  });
});
