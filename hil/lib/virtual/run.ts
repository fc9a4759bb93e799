/**
 * `lab virtual`'s matrix (`--models`, `--drivers`, `--removal`, `npm run lab:virtual`, the smoke
 * run): NIC models × userspace drivers × removals, written as a lab inventory of QEMU runners —
 * a guest per UIO driver, and one with an emulated Intel IOMMU for vfio-pci, side by side —
 * whose DUTs QEMU plugs and unplugs in one root port, one after the other. The guests run `lab
 * run` on it and `lab merge` merges them (runners.ts): the checks, their lab and the reports are
 * those of every runner. What is the matrix's own: the DUTs the host cannot run (QEMU too old,
 * igb_uio not built), reported as not run, and the one summary of all of them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type PciCheckId, plannedPciChecks } from '@dpdk-hotplug/conformance/pci-checks';
import {
  certificateHtml,
  type DutSummary,
  notRunDut,
  type RunSummary,
  writeAtomic,
  writeJunit,
  writeSummary,
} from '@dpdk-hotplug/conformance/reports';
import type { UserspaceDriver } from '@dpdk-hotplug/linux';
import { DEFAULT_CACHE, type LabImage, prepareLabImage } from './image.js';
import { NIC_MODELS, type NicModel, pfModel } from './machine.js';
import { type GuestRunnerResult, runGuestRunners } from './runners.js';

export { PCI_CHECKS, type PciCheckId } from '@dpdk-hotplug/conformance/pci-checks';
export type { UserspaceDriver } from '@dpdk-hotplug/linux';

/** One device under test of the matrix: a NIC model on a userspace driver, removed one way. */
export interface LabCase {
  name: string;
  model: NicModel;
  driver: UserspaceDriver;
  removal: 'clean' | 'surprise';
  /** Attach/detach cycles in check 107 (default 12). */
  cycles: number;
}

export function plannedChecks(c: LabCase): PciCheckId[] {
  return plannedPciChecks(c.removal);
}

export interface VirtualLabOptions {
  models?: NicModel[];
  drivers?: UserspaceDriver[];
  removals?: Array<'clean' | 'surprise'>;
  cycles?: number;
  /** Where summary.json, summary.md, junit.xml, the inventory and each guest's runner folder go. */
  outDir: string;
  cacheDir?: string;
  /** A guest's run is stopped after this long (default: 600 s per case + 300 s). */
  timeoutMs?: number;
  onProgress?: (line: string) => void;
  /** Prepared image, when the caller has one. */
  image?: LabImage;
  /** false: a stalled guest's unfinished DUTs are not run again (runners.ts's retryStalled). */
  retryStalled?: boolean;
}

const MODEL_NEEDS: Partial<Record<NicModel, { qemu: number; why: string }>> = {
  igb: { qemu: 8, why: 'QEMU emulates igb since 8.0' },
  igbvf: { qemu: 8, why: 'QEMU emulates igb and its SR-IOV VFs since 8.0' },
};

export function labCases(
  o: Pick<VirtualLabOptions, 'models' | 'drivers' | 'removals' | 'cycles'>,
): LabCase[] {
  const cases: LabCase[] = [];
  // igb and its VFs are in the default list so that a host whose QEMU lacks them says so in the report.
  for (const model of o.models ?? ['e1000', 'e1000e', 'igb', 'igbvf', 'virtio-net-pci', 'vmxnet3']) {
    for (const driver of o.drivers ?? ['uio_pci_generic', 'igb_uio', 'vfio-pci']) {
      for (const removal of o.removals ?? ['clean', 'surprise']) {
        cases.push({
          name: `virtual-${model}-${driver}-${removal}`,
          model,
          driver,
          removal,
          cycles: o.cycles ?? 12,
        });
      }
    }
  }
  return cases;
}

/**
 * The matrix's runners, a guest per userspace driver, side by side: uio_pci_generic's, igb_uio's,
 * and vfio-pci's with an emulated IOMMU. Three smaller guests at once rather than two, one after
 * the other: under TCG a guest's vCPUs are the run's bottleneck, and a guest's DUTs run in turn.
 */
export const MATRIX_RUNNERS = {
  uio: 'virtual-uio',
  igbUio: 'virtual-igb-uio',
  iommu: 'virtual-iommu',
} as const;

const runnerOf = (driver: UserspaceDriver): string =>
  driver === 'vfio-pci'
    ? MATRIX_RUNNERS.iommu
    : driver === 'igb_uio'
      ? MATRIX_RUNNERS.igbUio
      : MATRIX_RUNNERS.uio;

/**
 * Root port 1 (the guest's bus 01) holds each DUT in turn: QEMU plugs it there in check 101 and
 * unplugs it in 109. A VF model's DUT is VF 0 of the PF QEMU plugs there (igb: device 10.0).
 */
const SLOT_BUS = '0000:01';
const addressOf = (model: NicModel) => `${SLOT_BUS}:${pfModel(model) ? '10' : '00'}.0`;

/**
 * The matrix's cases as a lab inventory (conformance's format, JSON): its runners with their DUTs,
 * each removed by QEMU, its frames counted by the guest's peer e1000 (`eth0`).
 */
export function matrixInventory(cases: LabCase[]): object {
  const dutOf = (c: LabCase) => ({
    name: c.name,
    pci: addressOf(c.model),
    model: c.model,
    pmd: NIC_MODELS[c.model].pmd,
    ids: NIC_MODELS[c.model].ids,
    driver: c.driver,
    kernelDriver: NIC_MODELS[c.model].kernelDriver,
    traffic: 'peer=eth0',
    removal: 'qemu',
    unplug: c.removal,
    cycles: c.cycles,
  });
  const runners = Object.values(MATRIX_RUNNERS)
    .map((name) => ({ name, cases: cases.filter((c) => runnerOf(c.driver) === name) }))
    .filter((r) => r.cases.length);
  return {
    version: 1,
    runners: runners.map((r) => ({ name: r.name, hugepages: '256M', duts: r.cases.map(dutOf) })),
  };
}

/**
 * A DUT that did not run, INCONCLUSIVE with the reason. `skipped`: the host cannot run it (QEMU too
 * old, a driver it cannot build), reported but not counted against the run; `unfinished`: the
 * lab stopped before it (timeout, interrupt), which counts.
 */
function notRun(c: LabCase, kind: 'skipped' | 'unfinished', why: string): DutSummary {
  return notRunDut(
    {
      name: c.name,
      pmd: NIC_MODELS[c.model].pmd,
      devargs: addressOf(c.model),
      pci: { model: c.model, driver: c.driver, removal: 'qemu', unplug: c.removal, [kind]: why },
      dpdkVersion: 'n/a',
      planned: plannedChecks(c),
      checks:
        kind === 'skipped'
          ? plannedChecks(c).map((id) => ({
              id,
              title: `check ${id}`,
              status: 'SKIP' as const,
              reason: why,
              needs: why,
              notes: [],
              durationMs: 0,
            }))
          : [],
    },
    why,
  );
}

/** A DUT the host cannot run (QEMU too old, a driver it cannot build): reported, not failed. */
export function wasSkipped(d: DutSummary): boolean {
  return typeof d.pci?.skipped === 'string';
}

/** `lab virtual`'s verdict lines: one a DUT, then each runner's note (a stalled guest's retry) once. */
export function virtualLines(summary: RunSummary): string[] {
  return [
    ...summary.duts.map(
      (d) =>
        `${d.verdict.padEnd(23)} ${d.name}${wasSkipped(d) ? ` (not run: ${d.pci?.skipped})` : ''}${d.attempt ? ` (attempt ${d.attempt.number})` : ''}`,
    ),
    ...(summary.runners ?? []).filter((r) => r.note).map((r) => `runner ${r.runner}: ${r.note}`),
  ];
}

/**
 * Runs the matrix: the DUTs the host can run through `lab run` in its QEMU guests, side by side,
 * merged with `lab merge` into `outDir`, beside each guest's runner folder.
 * Writes the summary as it goes; Ctrl-C, SIGTERM or SIGHUP stop waiting for the guest, quit QEMU
 * and report the cases that did not finish as interrupted.
 */
export async function runVirtualLab(o: VirtualLabOptions): Promise<RunSummary> {
  const progress = o.onProgress ?? ((l: string) => process.stderr.write(`${l}\n`));
  const image = o.image ?? (await prepareLabImage(o.cacheDir ?? DEFAULT_CACHE));
  const qemuMajor = Number(image.qemuVersion.split('.')[0]);
  mkdirSync(o.outDir, { recursive: true });
  const summary: RunSummary = {
    startedAt: new Date().toISOString(),
    status: 'running',
    checksPlanned: 0,
    duts: [],
  };
  const all = labCases(o);
  const runnable: LabCase[] = [];
  for (const c of all) {
    const need = MODEL_NEEDS[c.model];
    if (need && qemuMajor < need.qemu)
      summary.duts.push(notRun(c, 'skipped', `QEMU ${image.qemuVersion}: ${need.why}`));
    else if (c.driver === 'igb_uio' && 'missing' in image.igbUio)
      summary.duts.push(notRun(c, 'skipped', `igb_uio: ${image.igbUio.missing}`));
    else runnable.push(c);
  }
  const skipped = [...summary.duts];
  summary.checksPlanned = Math.max(0, ...all.map((c) => plannedChecks(c).length));
  writeSummary(o.outDir, summary);
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.once(s, onSignal); // a second one ends the lab at once
  try {
    if (runnable.length) {
      const inventory = join(o.outDir, 'inventory.json');
      writeFileSync(inventory, `${JSON.stringify(matrixInventory(runnable), null, 2)}\n`);
      const run = await runGuestRunners({
        inventory,
        outDir: o.outDir,
        mergedDir: o.outDir,
        image,
        ...(o.cycles !== undefined ? { cycles: o.cycles } : {}),
        ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
        ...(o.retryStalled === false ? { retryStalled: false } : {}),
        onProgress: progress,
        stopped: () => interrupted,
      });
      const merged = run.merged?.summary;
      const judged = new Map((merged?.duts ?? []).filter((d) => d.checks.length).map((d) => [d.name, d]));
      const guestOf = (c: LabCase) => run.runners.find((r) => r.runner === runnerOf(c.driver));
      const why = (r: GuestRunnerResult | undefined) =>
        interrupted
          ? 'interrupted'
          : (r?.error ?? (r ? `lab run ended (exit ${r.exitCode}) before this case` : 'not reached'));
      summary.duts = [
        ...skipped,
        ...runnable.map((c) => judged.get(c.name) ?? notRun(c, 'unfinished', why(guestOf(c)))),
      ];
      if (merged?.coreFindings) summary.coreFindings = merged.coreFindings;
      if (merged) summary.runners = merged.runners;
    }
    summary.status = interrupted
      ? 'interrupted'
      : summary.duts.some((d) => d.verdict === 'FAILED')
        ? 'failed'
        : 'passed';
  } finally {
    for (const s of signals) process.off(s, onSignal);
    summary.finishedAt = new Date().toISOString();
    // The one certification of the matrix: the merged runners' DUTs and the ones not run.
    writeSummary(o.outDir, summary);
    writeJunit(o.outDir, summary);
    if (summary.runners) writeAtomic(o.outDir, 'certificate.html', certificateHtml(summary));
  }
  return summary;
}
