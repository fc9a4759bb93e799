import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Project } from '@playwright/test';
import { LEDGER_ENV, ledgerOf } from './dist/common/ledger.js';
import type { Dut } from './dist/model/dut.js';
import type { Settings } from './dist/model/settings.js';
import { readPlanFile } from './dist/plan/certification-plan.js';
import { type LabModule, pciGroups, pciProject } from './dist/worker/pci-lab.js';

// One build: the runner, its workers and their child processes all load the compiled suite
// (dist/, built by `npm run build`), never lib/*.ts beside it (lib/runner/one-build.test.ts).
// `dpdk-hotplug certify` writes the run's plan (DUTs, settings, output folder) to a file and
// names it here; run directly, the suite certifies the default DUTs into ./reports/certify.
// A lab's run names the module of its lab (`pciLab`): its hot-plugged DUTs run the PCI checks.
// `dpdk-hotplug certify` runs this config compiled (playwright.config.js, tests/*.spec.js, built
// by `npm run build`): Playwright does not compile TypeScript inside node_modules, where an
// installed suite lives. Each flavour of the config runs the specs of its own kind.
const specs = extname(fileURLToPath(import.meta.url)) === '.js' ? '.js' : '.ts';
const plan = readPlanFile();

// What the run makes on the machine is listed here until given back (lib/common/ledger.ts); the workers
// inherit the variable from the runner.
process.env[LEDGER_ENV] = ledgerOf(plan.out);

// A project per vdev DUT; the lab's PCI DUTs in as few projects as can share an EAL (pciGroups),
// each at the place of its first DUT: one worker for many DUTs, not a worker's start per DUT.
const groups = pciGroups(plan.duts);
const groupOf = new Map(groups.flatMap((g) => g.duts.map((d) => [d, g] as const)));

type Options = { dut?: Dut; pciDuts?: Dut[]; settings: Settings; pciLabModule?: LabModule };

export default defineConfig<object, Options>({
  testDir: './tests',
  globalSetup: './dist/runner/global-setup.js',
  outputDir: join(plan.out, 'results'),
  // Checks of one DUT run in order in one worker (one EAL); DUTs run side by side.
  fullyParallel: false,
  workers: plan.workers,
  retries: 0,
  timeout: 60_000,
  // A failed check keeps its trace (steps, annotations, attachments), linked from the certificate.
  use: { trace: 'retain-on-failure' },
  reporter: [
    ['list'],
    ['html', { outputFolder: join(plan.out, 'html'), open: 'never' }],
    ['json', { outputFile: join(plan.out, 'results.json') }],
    // Also junit.xml: a suite per DUT, failures as the verdicts count them (lib/reports/junit.ts), not
    // Playwright's junit reporter (one class per spec file, every failed test a failure).
    ['./dist/runner/certification-reporter.js', { outputDir: plan.out, repro: plan.repro }],
    // certify --blob (lab run): a blob report for Playwright's merge-reports (lab merge).
    ...(plan.blob ? [['blob', { outputDir: join(plan.out, 'blob'), fileName: plan.blob }] as const] : []),
  ],
  projects: plan.duts.flatMap((dut): Array<Project<object, Options>> => {
    const group = groupOf.get(dut);
    if (!group)
      return [
        {
          name: dut.name,
          outputDir: join(plan.out, 'results', dut.name),
          use: { dut, settings: plan.settings },
          testMatch: `hotplug.spec${specs}`,
        },
      ];
    if (group.duts[0] !== dut) return [];
    return [
      {
        name: group.name,
        outputDir: join(plan.out, 'results', group.name),
        use: { pciDuts: group.duts, settings: plan.settings, pciLabModule: plan.pciLab },
        ...pciProject(group.duts, specs),
      },
    ];
  }),
});
