import { writeFileSync } from 'node:fs';
import { hostname, release } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { integer, outputFolder } from '@dpdk-hotplug/args';
import {
  devargsPolicyRequest,
  LIMITS,
  launch,
  ownExpectations,
  parseShard,
  planCertification,
  readInventory,
} from '@dpdk-hotplug/conformance';
import { CERTIFY_FOLDER, RUNNER_RECORD, type RunnerRecord } from './record.js';

export { CERTIFY_FOLDER, RUNNER_RECORD, type RunnerRecord } from './record.js';

/** The runner's lab module, as `lab run` names it to the suite (its `pciLab` fixture imports it). */
export const RUNNER_LAB_MODULE = fileURLToPath(new URL('./pci-lab.js', import.meta.url));

export interface LabRunOptions {
  inventory: string;
  runner: string;
  out: string;
  shard?: string;
  /** Known findings, FILE or auto: certify's --expect (the DUTs' own files apply with or without it). */
  expect?: string;
  /** Comma-separated DUT names of the runner: only those (certify's --only). */
  only?: string;
  /** certify's --cycles, --budget (seconds) and --workers, as given on the command line. */
  cycles?: string;
  budget?: string;
  workers?: string;
  /** certify's --devargs-budget (MiB) and --sysfs, as given on the command line. */
  devargsBudget?: string;
  sysfs?: string;
  /** What lab the runner is (a QEMU guest's versions), for each PCI DUT's report (`pci.lab`). */
  lab?: string;
}

/**
 * `dpdk-hotplug lab run`: certifies one runner's DUTs (a shard of them) through the one
 * conformance suite, into OUT/certify (summary, JUnit, HTML, and a blob report for lab merge),
 * with OUT/runner.json saying what was planned where. Resolves with certify's exit code.
 */
export async function labRun(options: LabRunOptions): Promise<number> {
  const policy = devargsPolicyRequest({ 'devargs-budget': options.devargsBudget, sysfs: options.sysfs });
  const out = outputFolder('--out', options.out);
  const number = (option: 'cycles' | 'budget' | 'workers') =>
    options[option] === undefined ? undefined : integer(`--${option}`, options[option], LIMITS[option]);
  const command = [
    'dpdk-hotplug',
    'lab',
    'run',
    '--inventory',
    options.inventory,
    '--runner',
    options.runner,
  ];
  // The inventory is read once; the one launcher certifies the plan (as `certify` does).
  const plan = planCertification({
    inventory: {
      file: options.inventory,
      runner: options.runner,
      ...(options.shard !== undefined ? { shard: parseShard(options.shard) } : {}),
      read: readInventory(options.inventory),
    },
    ...(options.only !== undefined ? { only: options.only.split(',') } : {}),
    ...(options.expect !== undefined ? { expect: options.expect } : {}),
    ...(number('cycles') !== undefined ? { cycles: number('cycles') } : {}),
    ...(number('budget') !== undefined ? { budgetS: number('budget') } : {}),
    ...(number('workers') !== undefined ? { workers: number('workers') } : {}),
    ...policy,
    out: join(out, CERTIFY_FOLDER),
    blob: true,
    command,
  });
  if (options.lab !== undefined) for (const d of plan.duts) if (d.pci) d.pci.lab = options.lab;
  // PCI DUTs the runner can take away and bring back run the PCI checks with this runner's lab,
  // one DUT at a time: a bus rescan or a slot's power touches more than one DUT's NIC.
  if (plan.duts.some((d) => d.pci?.unplug)) {
    plan.pciLab = { module: RUNNER_LAB_MODULE };
    plan.workers = 1;
  }
  const own = ownExpectations(plan.duts);
  // What --expect read here, for lab merge (the file need not exist where it merges).
  const expect: RunnerRecord['expect'] =
    options.expect !== undefined && plan.expect
      ? { given: options.expect, files: plan.expect.files, list: plan.expect.list }
      : undefined;
  const record: RunnerRecord = {
    tool: 'dpdk-hotplug lab run',
    inventory: options.inventory,
    runner: options.runner,
    ...(options.shard ? { shard: options.shard } : {}),
    machine: { hostname: hostname(), kernel: `Linux ${release()}`, dpdk: plan.dpdk.version },
    duts: plan.duts.map((d) => d.name),
    ...(Object.keys(own).length ? { expectations: own } : {}),
    ...(expect ? { expect } : {}),
    startedAt: new Date().toISOString(),
  };
  const write = () => writeFileSync(join(out, RUNNER_RECORD), `${JSON.stringify(record, null, 2)}\n`);
  write();
  const code = await launch(plan);
  record.finishedAt = new Date().toISOString();
  record.exitCode = code;
  write();
  return code;
}
