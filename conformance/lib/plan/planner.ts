/**
 * From a typed request (what `certify`'s command line or `lab run` asks for) to a
 * `CertificationPlan`: the DUTs (--dut, an inventory's runner and shard, else the defaults, then
 * --only), the settings, the DPDK in use, the out-of-tree drivers and the known findings. Every
 * refusal is a UsageError naming what was wrong.
 */
import { existsSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { names, nonEmpty, notRootFolder, UsageError } from '@dpdk-hotplug/args';
import { DPDK_ENV, findDpdk, isHotplugError } from '@dpdk-hotplug/ethdev';
import {
  blobName,
  dutsFromInventory,
  type Inventory,
  InventoryError,
  readInventory,
  type Shard,
  shardOf,
} from '../lab/inventory.js';
import { DEFAULT_DUTS } from '../model/default-duts.js';
import { type Dut, DutError, deviceOf, dutFromDevargs } from '../model/dut.js';
import { DEFAULT_SETTINGS } from '../model/settings.js';
import { ExpectationsError, expectedFindings, ownExpectations } from '../reports/expectations.js';
import type { CertificationPlan } from './certification-plan.js';
import { readDriver, withDriver } from './oot-drivers.js';

/** The ranges of the numeric settings, as certify's --help states them. */
export const LIMITS = {
  cycles: { min: 1, max: 1_000_000, default: DEFAULT_SETTINGS.cycles },
  budget: { min: 1, max: 86_400, default: DEFAULT_SETTINGS.budgetMs / 1000 },
  workers: { min: 1, max: 64 },
  // The SDK's bound of devargsBudgetMb.
  devargsBudget: { min: 1, max: 2 ** 20 },
  // After a stop signal: the time to write the reports and give back hugepages and mounts. A
  // default run under load took 11.7 s once (seven jobs on two cores): a signalled run that needs
  // longer is killed, its reports kept as far as they were written.
  stopGrace: { min: 0, max: 600, default: 10 },
} as const;

/** What a certification is asked for, already typed (a command line's values, checked). */
export interface PlanRequest {
  /** Devargs of the devices under test (--dut), and what traffic they can show (--traffic). */
  duts?: string[];
  traffic?: string;
  /** An inventory's runner (and a shard of its vdev DUTs); `read`: the inventory, already read. */
  inventory?: { file: string; runner?: string; shard?: Shard; read?: Inventory };
  /** Only these DUTs (names). */
  only?: string[];
  /** Cycles of the repeated-cycles check: given, it overrides the DUTs' own caps. */
  cycles?: number;
  /** The time budget of the cycles, in seconds. */
  budgetS?: number;
  workers?: number;
  /** How long the run may take to stop gracefully after a signal, in seconds. */
  stopGraceS?: number;
  /** The report folder (relative to `cwd`). */
  out?: string;
  /** Known findings: a file, or `auto` (the one shipped for the DPDK in use). */
  expect?: string;
  /** The DPDK's install prefix (else DPDK_HOTPLUG_DPDK, else pkg-config's). */
  dpdk?: string;
  /** Out-of-tree PMD files (.so). */
  drivers?: string[];
  /** Folders the devargs may name files in (absolute, existing). */
  devargsPaths?: string[];
  /** The MiB one DUT's rings may ask (the SDK's devargsBudgetMb). */
  devargsBudgetMb?: number;
  /** Where sysfs is mounted (the SDK's sysfs), an existing folder. */
  sysfs?: string;
  /** Write a blob report for `lab merge`. */
  blob?: boolean;
  /** Reproducers of the PMD findings: their folder (relative to `cwd`). */
  repro?: string;
  /** How the run was started, for the certificate and the reproducers. */
  command: string[];
}

/** The plan of `request`; throws UsageError on anything wrong (DUT, inventory, expectations too). */
export function planCertification(request: PlanRequest, cwd = process.cwd()): CertificationPlan {
  try {
    return plan(request, cwd);
  } catch (e) {
    if (e instanceof DutError || e instanceof ExpectationsError || e instanceof InventoryError)
      throw new UsageError(e.message);
    throw e;
  }
}

function plan(request: PlanRequest, cwd: string): CertificationPlan {
  if (request.traffic !== undefined && request.duts === undefined)
    throw new UsageError('--traffic says what the --dut devices can show; give --dut too');
  // Read before any DUT: what each .so registers is what --dut may name.
  const drivers = (request.drivers ?? []).map((p) =>
    readDriver(nonEmpty('--driver', p), '--driver', cwd, request.dpdk),
  );
  const given = (request.duts ?? []).map((d) => dutFromDevargs(d, request.traffic));
  let duts: Dut[] = [...given];
  let inventory: CertificationPlan['inventory'];
  const inv = request.inventory;
  if (inv) {
    if (inv.shard !== undefined && inv.runner === undefined)
      throw new UsageError('--shard splits the vdev DUTs of one --runner; give --inventory and --runner too');
    const read = inv.read ?? readInventory(inv.file);
    const runner = inv.runner === undefined ? undefined : nonEmpty('--runner', inv.runner);
    duts.push(...shardOf(dutsFromInventory(read, runner), inv.shard));
    inventory = { file: inv.file, runners: read.runners.filter((r) => !runner || r.name === runner) };
  }
  if (duts.length === 0) duts = [...DEFAULT_DUTS];
  // An inventory DUT's pmdFile must register a driver too (before anything runs).
  for (const d of duts) if (d.driver) readDriver(d.driver, `DUT ${d.name}: pmdFile`, cwd, request.dpdk);
  duts = duts.map((d) => withDriver(d, drivers));
  if (request.only !== undefined) {
    const wanted = names(
      '--only',
      request.only.join(','),
      duts.map((d) => d.name),
      'DUT named',
    );
    // In the order given: lab virtual's second guest runs the DUT its first one stalled in last.
    duts = wanted.flatMap((name) => duts.filter((d) => d.name === name));
  }
  const seen = new Set<string>();
  for (const d of duts) {
    if (seen.has(d.name)) throw new UsageError(`two DUTs are named ${d.name}`);
    seen.add(d.name);
  }
  // The DPDK to certify with: checked here (one line naming the path when wrong); the workers
  // inherit it through DPDK_HOTPLUG_DPDK.
  const dpdk = dpdkInUse(request.dpdk === undefined ? undefined : nonEmpty('--dpdk', request.dpdk));
  // Known findings: --expect's file (auto: the one shipped for this DPDK) and each inventory
  // DUT's own `expectations` file; with either, the exit code is about regressions only.
  const expect = expectedFindings(
    request.expect === undefined ? undefined : nonEmpty('--expect', request.expect),
    [dpdk.version],
    ownExpectations(duts),
  );
  const out = notRootFolder('--out', request.out ?? join('reports', 'certify'), cwd);
  return {
    duts,
    settings: {
      cycles: request.cycles ?? LIMITS.cycles.default,
      budgetMs: (request.budgetS ?? LIMITS.budget.default) * 1000,
      forceCycles: request.cycles !== undefined,
    },
    // One more worker than cores: kernel-backed DUTs wait on the kernel (netdevs, sockets) as
    // much as they compute; measured 55 s instead of 64 s for the default run on 2 cores.
    workers: request.workers ?? Math.min(LIMITS.workers.max, availableParallelism() + 1),
    stopGraceMs: (request.stopGraceS ?? LIMITS.stopGrace.default) * 1000,
    out,
    dpdk: {
      version: dpdk.version,
      prefix: dpdk.prefix,
      libdir: dpdk.libdir,
      given: request.dpdk !== undefined,
    },
    // Every out-of-tree PMD of the run: the --driver files and the inventory DUTs' pmdFile.
    drivers: [
      ...new Set([...drivers.map((d) => d.file), ...duts.flatMap((d) => (d.driver ? [d.driver] : []))]),
    ],
    ...(request.devargsPaths !== undefined ? { devargsPaths: devargsPaths(request.devargsPaths) } : {}),
    ...(request.devargsBudgetMb !== undefined ? { devargsBudgetMb: request.devargsBudgetMb } : {}),
    ...(request.sysfs !== undefined ? { sysfs: request.sysfs } : {}),
    ...(request.blob ? { blob: blobName(inv?.runner, inv?.shard) } : {}),
    ...(request.repro !== undefined
      ? {
          repro: {
            dir: resolve(cwd, nonEmpty('--repro', request.repro)),
            command: request.command.join(' '),
          },
        }
      : {}),
    ...(inventory ? { inventory } : {}),
    command: request.command,
    // Checked against the PMDs of the DPDK in use before anything runs; with the .so's names.
    dutDevices: given.map(deviceOf),
    driverNames: drivers.flatMap((d) => d.names),
    ...(expect ? { expect } : {}),
  };
}

/**
 * The folders the DUTs' devargs may name files and sockets in (the SDK's devargsPaths), existing
 * absolute folders. The labs' own private folders (under the system's temporary folder) are
 * added: the suite makes its files and sockets there.
 */
function devargsPaths(paths: string[]): string[] {
  for (const p of paths) {
    if (!isAbsolute(p)) throw new UsageError(`--devargs-paths: ${p} is not an absolute path`);
    if (!existsSync(p) || !statSync(p).isDirectory())
      throw new UsageError(`--devargs-paths: ${p} is not a folder`);
  }
  return [...paths, tmpdir()];
}

/** The DPDK given by --dpdk, else DPDK_HOTPLUG_DPDK, else pkg-config's; UsageError when unusable. */
function dpdkInUse(prefix: string | undefined) {
  const given = prefix ?? process.env[DPDK_ENV];
  try {
    return findDpdk(given, given === undefined ? 'pkg-config' : 'env');
  } catch (e) {
    if (isHotplugError(e)) throw new UsageError(`${prefix !== undefined ? '--dpdk: ' : ''}${e.message}`);
    throw e;
  }
}
