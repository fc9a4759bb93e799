import type { ChildProcess } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DutSummary, notRunDut, type RunSummary, writeSummary } from '@dpdk-hotplug/conformance';
import { LabError } from '../errors.js';
import { type LabCase, type LabPlan, plannedChecks, type UserspaceDriver } from '../guest/plan.js';
import { startSuite, suiteOutOf, writeSuitePlan } from '../guest/suite.js';
import { type AccelChoice, chooseAccel } from './accel.js';
import { DEFAULT_CACHE, type LabImage, prepareLabImage } from './image.js';
import { type NicModel, QEMU_TRACE_LOG, VirtualMachine } from './machine.js';

export interface VirtualLabOptions {
  models?: NicModel[];
  drivers?: UserspaceDriver[];
  removals?: Array<'clean' | 'surprise'>;
  cycles?: number;
  /** NIC on the hub that counts the DUTs' frames (default e1000; null for none). */
  peer?: NicModel | null;
  /** Where summary.json, summary.md, the guests' Playwright reports and logs go. */
  outDir: string;
  cacheDir?: string;
  /** The whole run is stopped after this long (default: 600 s per case + 300 s). */
  timeoutMs?: number;
  onProgress?: (line: string) => void;
  /** Prepared image, when the caller has one. */
  image?: LabImage;
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
 * A DUT that did not run, INCONCLUSIVE with the reason. `skipped`: the host cannot run it (QEMU too
 * old, a driver it cannot build), reported but not counted against the run; `unfinished`: the
 * lab stopped before it (timeout, interrupt), which counts.
 */
function notRun(c: LabCase, kind: 'skipped' | 'unfinished', why: string): DutSummary {
  return notRunDut(
    {
      name: c.name,
      pmd: c.model,
      devargs: `hot-plugged ${c.model}`,
      pci: { model: c.model, driver: c.driver, removal: c.removal, [kind]: why },
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

/** The DUTs of the guest's suite run so far (its certification summary, rewritten after every check). */
function readResults(runDir: string): RunSummary | undefined {
  const f = join(suiteOutOf(runDir), 'summary.json');
  try {
    return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as RunSummary) : undefined;
  } catch {
    return undefined; // written by rename: only a run folder gone half-way gets here
  }
}

/** A DUT all of whose planned checks have a result. */
const finished = (d: DutSummary) => (d.planned ?? []).every((id) => d.checks.some((c) => c.id === id));

/**
 * Runs PCI cases in QEMU guests: one guest without an IOMMU for the UIO drivers, one with an
 * emulated Intel IOMMU for vfio-pci. Writes the summary as it goes; stops QEMU and removes the run
 * folder at the end, also on failure, timeout or Ctrl-C.
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
  const write = () => writeSummary(o.outDir, summary);
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
  summary.checksPlanned = Math.max(0, ...all.map((c) => plannedChecks(c).length));
  write();
  const accel = runnable.length ? await chooseAccel(image) : undefined;
  if (accel) progress(`[lab] ${accel.accel.toUpperCase()}: ${accel.why}`);
  const groups = [
    { iommu: false, cases: runnable.filter((c) => c.driver !== 'vfio-pci') },
    { iommu: true, cases: runnable.filter((c) => c.driver === 'vfio-pci') },
  ].filter((g) => g.cases.length);
  // Ctrl-C, SIGTERM or SIGHUP: stop waiting for the guest, quit QEMU, report unfinished cases
  // as interrupted. (A SIGKILL skips all this: QEMU's guard kills it, see guard.ts.)
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.once(s, onSigint); // a second one ends the lab at once
  try {
    for (const g of groups) {
      if (interrupted) break;
      const done = await runGroup(image, accel!, g.iommu, g.cases, o, progress, () => interrupted);
      summary.duts.push(...done);
      write();
    }
    summary.status = interrupted
      ? 'interrupted'
      : summary.duts.some((d) => d.verdict === 'FAILED')
        ? 'failed'
        : 'passed';
  } finally {
    for (const s of signals) process.off(s, onSigint);
    summary.finishedAt = new Date().toISOString();
    write();
  }
  return summary;
}

async function runGroup(
  image: LabImage,
  accel: AccelChoice,
  iommu: boolean,
  cases: LabCase[],
  o: VirtualLabOptions,
  progress: (l: string) => void,
  stopped: () => boolean,
): Promise<DutSummary[]> {
  // Not under /tmp or /run: the guest mounts tmpfs there, which would hide the shared folder.
  const runDir = join(image.cacheDir, 'runs', `${Date.now()}-${process.pid}-${iommu ? 'iommu' : 'uio'}`);
  mkdirSync(runDir, { recursive: true });
  const plan: LabPlan = {
    modulesRoot: image.modulesRoot,
    hugepagesMb: 256,
    peer: o.peer === undefined ? 'e1000' : o.peer,
    qemuVersion: image.qemuVersion,
    accel: `${accel.accel.toUpperCase()}: ${accel.why}`,
    kernelVersion: image.kernelVersion,
    cases,
  };
  writeFileSync(join(runDir, 'plan.json'), JSON.stringify(plan, null, 2));
  const agent = fileURLToPath(new URL('../guest/agent.js', import.meta.url));
  writeFileSync(join(runDir, 'guest.sh'), `cd /\nexec ${process.execPath} ${agent} ${runDir}\n`);
  let vm: VirtualMachine | undefined;
  let warm: ChildProcess | undefined;
  let mailbox: { stop(): Promise<void> } | undefined;
  const reported = new Set<string>();
  try {
    progress(
      `[lab] booting a guest${iommu ? ' with an IOMMU' : ''} for ${cases.length} cases (QEMU ${image.qemuVersion}, kernel ${image.kernelVersion})`,
    );
    // The guest runs this checkout's code: keep it visible wherever it lies (CI may clone into /tmp).
    const checkout = fileURLToPath(new URL('../../..', import.meta.url)).replace(/\/$/, '');
    warm = warmSuite(runDir, plan);
    vm = await VirtualMachine.start(image, {
      runDir,
      iommu,
      accel: accel.accel,
      cpu: accel.cpu,
      keep: [checkout, dirname(process.execPath)],
    });
    const machine = vm;
    mailbox = machine.serveMailbox(runDir);
    // A safety net for a guest that stops answering (the suite times each check itself): under
    // emulation on a loaded host, Playwright took up to 4 minutes to start a DUT's worker.
    const deadline = Date.now() + (o.timeoutMs ?? cases.length * 600_000 + 300_000);
    while (machine.running && Date.now() < deadline && !stopped()) {
      for (const d of readResults(runDir)?.duts ?? []) {
        if (reported.has(d.name) || !finished(d)) continue;
        reported.add(d.name);
        const fails = d.checks.filter((c) => c.status === 'FAIL');
        progress(
          `[lab] ${d.name}: ${d.verdict}${fails.length ? ` (${fails.map((f) => `${f.id}: ${f.reason}`).join('; ')})` : ''}`,
        );
      }
      if (existsSync(join(runDir, 'guest-done')) || existsSync(join(runDir, 'guest-failed'))) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    if (existsSync(join(runDir, 'guest-failed'))) {
      throw new LabError(
        'GUEST_FAILED',
        `the guest agent failed: ${readFileSync(join(runDir, 'guest-failed'), 'utf8').split('\n')[0]}`,
      );
    }
    // What the suite judged; a DUT it did not finish is reported as not run, with why.
    const results = (readResults(runDir)?.duts ?? []).filter((d) => d.checks.length > 0);
    for (const c of cases.filter((x) => !results.some((d) => d.name === x.name))) {
      const why = stopped()
        ? 'interrupted'
        : machine.running
          ? 'the lab timed out'
          : 'the guest stopped before this case';
      results.push(notRun(c, 'unfinished', why));
    }
    return results;
  } finally {
    warm?.kill('SIGKILL');
    await mailbox?.stop();
    await vm?.stop();
    const tag = iommu ? 'iommu' : 'uio';
    for (const f of ['console.log', 'guest.log', QEMU_TRACE_LOG]) {
      if (existsSync(join(runDir, f))) copyFileSync(join(runDir, f), join(o.outDir, `${tag}-${f}`));
    }
    // The guest's Playwright reports: HTML and JUnit, beside the lab's summary.
    const suite = suiteOutOf(runDir);
    if (existsSync(join(suite, 'html')))
      cpSync(join(suite, 'html'), join(o.outDir, `${tag}-html`), { recursive: true });
    if (existsSync(join(suite, 'junit.xml')))
      copyFileSync(join(suite, 'junit.xml'), join(o.outDir, `${tag}-junit.xml`));
    rmSync(runDir, { recursive: true, force: true });
  }
}

/**
 * Lists the guest's suite on the host while the guest boots: Playwright compiles the suite's
 * TypeScript into its transform cache in the run folder, which the guest then reads instead of
 * compiling under emulation. The guest's own run is the same either way, only slower without.
 */
function warmSuite(runDir: string, plan: LabPlan): ChildProcess {
  const file = join(runDir, 'warm-plan.json');
  writeSuitePlan(file, plan, join(runDir, 'warm'), { runDir });
  const child = startSuite(file, runDir, { list: true });
  child.on('error', () => {});
  return child;
}
