/**
 * How the lab runs conformance's PCI spec: the suite's plan for a guest's cases (one DUT per
 * case, this lab as the spec's lab fixture) and the Playwright command. The guest agent runs it;
 * the host lists the same plan first, in parallel with the guest's boot, to fill Playwright's
 * transform cache in the run folder: under emulation, compiling the suite's TypeScript in the
 * guest took minutes (see README, Measured).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Dut, PARENT_PIPE_ENV } from '@dpdk-hotplug/conformance';
import { TRANSFORM_CACHE_ENV } from '../runner/worker-cache.js';
import { NIC_MODELS } from '../virtual/machine.js';
import type { LabCase, LabPlan } from './plan.js';
import type { VirtualLabOptions } from './virtual-lab.js';

// Playwright's transform cache folder (without it the cache is in the temporary folder, a tmpfs
// the guest starts empty).
export { TRANSFORM_CACHE_ENV };

/** Where the guest's run of the PCI suite writes its reports (summary, HTML, JUnit), in the run folder. */
export function suiteOutOf(runDir: string): string {
  return join(runDir, 'suite');
}

/** A case as the suite's DUT: the model's PMD and drivers, its removal, what the lab is. */
export function dutOf(
  c: LabCase,
  plan: Pick<LabPlan, 'qemuVersion' | 'kernelVersion' | 'accel'>,
  peerIf?: string,
): Dut {
  const nic = NIC_MODELS[c.model];
  return {
    name: c.name,
    pmd: nic.pmd,
    devargs: `hot-plugged ${c.model}`,
    setup: 'none',
    cycles: c.cycles,
    ...(peerIf ? { traffic: 'kernel-peer', peerInterface: peerIf } : { traffic: 'none' }),
    pci: {
      model: c.model,
      driver: c.driver,
      kernelDriver: nic.kernelDriver,
      unplug: c.removal,
      lab: `QEMU ${plan.qemuVersion}${plan.accel ? ` (${plan.accel})` : ''}, guest kernel ${plan.kernelVersion}`,
    },
  };
}

/** Writes the suite's plan for the guest's cases into `file`. */
export function writeSuitePlan(file: string, plan: LabPlan, out: string, lab: VirtualLabOptions): void {
  writeFileSync(
    file,
    JSON.stringify({
      duts: plan.cases.map((c) => dutOf(c, plan, lab.peer?.ifname)),
      // Each case's own cycles (the DUT's `cycles`); no time budget but the checks' timeouts.
      settings: { cycles: 1000, budgetMs: 86_400_000, forceCycles: false },
      out,
      // One machine, one peer NIC: DUTs one after the other.
      workers: 1,
      pciLab: { module: fileURLToPath(new URL('./virtual-lab.js', import.meta.url)), options: lab },
    }),
  );
}

/**
 * Starts Playwright on the suite's plan, in a process group of its own that stops when this
 * process goes (its stdin closes: conformance's parent-watch). `list` only loads and lists.
 */
export function startSuite(planFile: string, runDir: string, options: { list?: boolean } = {}): ChildProcess {
  const conformance = createRequire(import.meta.url).resolve('@dpdk-hotplug/conformance/package.json');
  const config = join(dirname(conformance), 'playwright.config.js');
  const playwright = createRequire(conformance).resolve('@playwright/test/cli');
  return spawn(process.execPath, [playwright, 'test', '-c', config, ...(options.list ? ['--list'] : [])], {
    cwd: runDir,
    stdio: ['pipe', options.list ? 'ignore' : 'inherit', options.list ? 'ignore' : 'inherit'],
    detached: true,
    env: {
      ...process.env,
      DPDK_HOTPLUG_PLAN: planFile,
      [PARENT_PIPE_ENV]: '1',
      [TRANSFORM_CACHE_ENV]: join(runDir, 'transform-cache'),
    },
  });
}
