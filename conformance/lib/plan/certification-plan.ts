/**
 * The plan of a certification, one type for all who start one: `dpdk-hotplug certify` (its command
 * line), `dpdk-hotplug lab run` (an inventory's runner) and the lab's guests build a
 * `CertificationPlan`; the one launcher (launcher.ts) runs it; Playwright's config and the
 * certification reporter read the file the launcher writes (PLAN_ENV names it).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Inventory } from '../lab/inventory.js';
import { DEFAULT_DUTS } from '../model/default-duts.js';
import type { Dut, DutDevice, LabModule } from '../model/dut.js';
import { DEFAULT_SETTINGS, type Settings } from '../model/settings.js';
import type { ExpectedFindings } from '../reports/expectations.js';

/** Names the plan file for Playwright's runner and its workers. */
export const PLAN_ENV = 'DPDK_HOTPLUG_PLAN';

/** What Playwright's config needs to run a certification: the file a run's launcher writes. */
export interface SuitePlan {
  duts: Dut[];
  settings: Settings;
  /** The report folder. */
  out: string;
  /** Playwright workers: DUTs certified side by side. */
  workers: number;
  /** The module of the lab that plugs the PCI DUTs (the virtual lab's guests). */
  pciLab?: LabModule;
  /** A blob report of this name for `lab merge` (lab run). */
  blob?: string;
  /** Reproducers of the PMD findings into `dir`; `command` is the run's, for their README. */
  repro?: { dir: string; command: string };
  /** How the run was started, for the certificate. */
  command?: string[];
  /** The DPDK the run loads; `given`: named by --dpdk, not found. */
  dpdk?: { version: string; prefix: string; libdir: string; given: boolean };
  /** Known findings to compare the run with (--expect, the DUTs' own files). */
  expect?: ExpectedFindings;
}

/** A certification as the launcher takes it: the suite's plan and what the launcher does around it. */
export interface CertificationPlan extends SuitePlan {
  dpdk: { version: string; prefix: string; libdir: string; given: boolean };
  /** Out-of-tree PMDs (.so) every EAL of the run loads. */
  drivers: string[];
  /** Folders the DUTs' devargs may name files and sockets in (the SDK's devargsPaths). */
  devargsPaths?: string[];
  /** The MiB one DUT's rings may ask (the SDK's devargsBudgetMb). */
  devargsBudgetMb?: number;
  /** Where sysfs is mounted (the SDK's sysfs). */
  sysfs?: string;
  /** The inventory the DUTs come from: its runners are checked for what each DUT needs first. */
  inventory?: { file: string; runners: Inventory['runners'] };
  /** The --dut devices (as the DUT model read them), refused before anything runs when not here. */
  dutDevices: DutDevice[];
  /** PMD names the run's out-of-tree drivers register (a --dut may name them). */
  driverNames: string[];
  /**
   * How long the run may take to stop gracefully after SIGINT, SIGTERM or SIGHUP (reports,
   * teardown) before its process group is killed (certify --stop-grace).
   */
  stopGraceMs: number;
}

/** Writes the suite's plan to `file`, for Playwright's config and the reporter (readPlanFile). */
export function writePlanFile(file: string, plan: SuitePlan): void {
  writeFileSync(file, JSON.stringify(plan, null, 2));
}

/**
 * The plan PLAN_ENV names, or, with none (Playwright run directly on the config), the default
 * DUTs with the default settings into ./reports/certify.
 */
export function readPlanFile(env: NodeJS.ProcessEnv = process.env): SuitePlan {
  const file = env[PLAN_ENV];
  if (file) return JSON.parse(readFileSync(file, 'utf8')) as SuitePlan;
  return {
    duts: [...DEFAULT_DUTS],
    settings: { ...DEFAULT_SETTINGS },
    out: join(process.cwd(), 'reports', 'certify'),
    workers: 2,
  };
}
