/**
 * `lab virtual --inventory FILE`: each runner of the inventory is a QEMU guest, and each guest
 * runs `lab run --inventory FILE --runner NAME` as a physical runner does (guest/runner-agent.ts);
 * the host boots the guests side by side, answers their mailboxes (QMP plug and unplug), copies
 * each guest's report folder back and merges them with `lab merge`. Nothing of the certification
 * is the virtual lab's own: the checks, their lab and the reports are lab run's and lab merge's.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readInventory } from '@dpdk-hotplug/conformance';
import { LabError } from '../errors.js';
import type { GuestRunnerPlan } from '../guest/runner-agent.js';
import { labMerge, type MergeResult } from '../runner/merge.js';
import { compileForWorkers, RUNNER_LAB_MODULE } from '../runner/worker-cache.js';
import { type AccelChoice, chooseAccel } from './accel.js';
import { DEFAULT_CACHE, type LabImage, prepareLabImage } from './image.js';
import { VirtualMachine } from './machine.js';

export interface GuestRunnersOptions {
  inventory: string;
  /** The runners to boot (default: every runner of the inventory). */
  runners?: string[];
  /** Each runner's folder (OUT/NAME) and the merged certification (OUT/merged). */
  outDir: string;
  cacheDir?: string;
  expect?: string;
  /** lab run's --cycles for every runner. */
  cycles?: number;
  /** One guest's whole run is stopped after this long (default 90 min: Playwright under TCG). */
  timeoutMs?: number;
  onProgress?: (line: string) => void;
  image?: LabImage;
  stopped?: () => boolean;
}

export interface GuestRunnerResult {
  runner: string;
  folder: string;
  /** lab run's exit code in the guest, or undefined when it did not end. */
  exitCode?: number;
  wallMs: number;
  error?: string;
}

/** Boots one guest for `runner`, runs lab run in it, copies its folder to `folder`. */
async function runGuest(
  image: LabImage,
  accel: AccelChoice,
  o: GuestRunnersOptions,
  runner: string,
  iommu: boolean,
  folder: string,
  progress: (l: string) => void,
): Promise<GuestRunnerResult> {
  const t0 = Date.now();
  // Not under /tmp or /run: the guest mounts tmpfs there, which would hide the shared folder.
  const runDir = join(image.cacheDir, 'runs', `${Date.now()}-${process.pid}-${runner}`);
  mkdirSync(runDir, { recursive: true });
  const plan: GuestRunnerPlan = {
    modulesRoot: image.modulesRoot,
    inventory: resolve(o.inventory),
    runner,
    out: join(runDir, 'out'),
    peer: 'e1000',
    ...(o.expect !== undefined ? { expect: o.expect } : {}),
    ...(o.cycles !== undefined ? { cycles: String(o.cycles) } : {}),
  };
  writeFileSync(join(runDir, 'runner-plan.json'), JSON.stringify(plan, null, 2));
  // Playwright's transform cache, kept in the lab's cache between runs: the guest compiles the
  // suite once, not on every run (the guest sees the host's root read-only, the run folder not).
  const keptCache = join(image.cacheDir, 'transform-cache');
  if (existsSync(keptCache)) cpSync(keptCache, join(runDir, 'transform-cache'), { recursive: true });
  // The lab module only the guest's Playwright workers load: compiled here, not by each of them.
  await compileForWorkers([RUNNER_LAB_MODULE], join(runDir, 'transform-cache'));
  const agent = fileURLToPath(new URL('../guest/runner-agent.js', import.meta.url));
  writeFileSync(join(runDir, 'guest.sh'), `cd /\nexec ${process.execPath} ${agent} ${runDir}\n`);
  const checkout = fileURLToPath(new URL('../../..', import.meta.url)).replace(/\/$/, '');
  let vm: VirtualMachine | undefined;
  let mailbox: { stop(): Promise<void> } | undefined;
  const result: GuestRunnerResult = { runner, folder, wallMs: 0 };
  try {
    progress(`[lab] ${runner}: booting a guest${iommu ? ' with an IOMMU' : ''} (QEMU ${image.qemuVersion})`);
    vm = await VirtualMachine.start(image, {
      runDir,
      iommu,
      accel: accel.accel,
      cpu: accel.cpu,
      keep: [checkout, dirname(process.execPath), dirname(resolve(o.inventory))],
    });
    const machine = vm;
    mailbox = machine.serveMailbox(runDir);
    const deadline = Date.now() + (o.timeoutMs ?? 90 * 60_000);
    const done = () => existsSync(join(runDir, 'guest-done')) || existsSync(join(runDir, 'guest-failed'));
    while (machine.running && Date.now() < deadline && !o.stopped?.() && !done())
      await new Promise((r) => setTimeout(r, 500));
    if (existsSync(join(runDir, 'guest-failed')))
      throw new LabError(
        'GUEST_FAILED',
        `${runner}: the guest agent failed: ${readFileSync(join(runDir, 'guest-failed'), 'utf8').split('\n')[0]}`,
      );
    if (existsSync(join(runDir, 'guest-done')))
      result.exitCode = Number(readFileSync(join(runDir, 'guest-done'), 'utf8'));
    else
      result.error = o.stopped?.()
        ? 'interrupted'
        : machine.running
          ? 'the guest timed out'
          : 'the guest stopped before lab run ended';
  } catch (e) {
    result.error = (e as Error).message;
  } finally {
    await mailbox?.stop();
    await vm?.stop();
    // What lab run wrote (kept even when it did not end: lab merge names what it did not reach).
    if (existsSync(plan.out)) cpSync(plan.out, folder, { recursive: true });
    if (existsSync(join(runDir, 'transform-cache')))
      cpSync(join(runDir, 'transform-cache'), keptCache, { recursive: true });
    mkdirSync(folder, { recursive: true });
    for (const f of ['console.log', 'guest.log'])
      if (existsSync(join(runDir, f))) cpSync(join(runDir, f), join(folder, `${f}`));
    rmSync(runDir, { recursive: true, force: true });
    result.wallMs = Date.now() - t0;
    progress(
      `[lab] ${runner}: ${result.error ?? `lab run exit ${result.exitCode}`} after ${(result.wallMs / 1000).toFixed(0)} s`,
    );
  }
  return result;
}

/**
 * Runs every chosen runner of the inventory in a guest of its own, side by side, then merges
 * their folders. A runner with a vfio-pci DUT gets the emulated IOMMU.
 */
export async function runGuestRunners(
  o: GuestRunnersOptions,
): Promise<{ runners: GuestRunnerResult[]; merged?: MergeResult; mergeMs?: number }> {
  const progress = o.onProgress ?? ((l: string) => process.stderr.write(`${l}\n`));
  const inventory = readInventory(o.inventory);
  const chosen = inventory.runners.filter((r) => !o.runners || o.runners.includes(r.name));
  const image = o.image ?? (await prepareLabImage(o.cacheDir ?? DEFAULT_CACHE));
  mkdirSync(o.outDir, { recursive: true });
  const accel = await chooseAccel(image);
  progress(`[lab] ${accel.accel.toUpperCase()}: ${accel.why}`);
  const runners = await Promise.all(
    chosen.map((r) =>
      runGuest(
        image,
        accel,
        o,
        r.name,
        r.duts.some((d) => d.pci?.driver === 'vfio-pci'),
        join(o.outDir, r.name),
        progress,
      ),
    ),
  );
  const folders = runners.map((r) => r.folder).filter((f) => existsSync(join(f, 'runner.json')));
  if (folders.length === 0) return { runners };
  const t0 = Date.now();
  // Each runner's own --expect, as its folder records it (lab merge's inheritance).
  const merged = await labMerge(folders, join(o.outDir, 'merged'));
  return { runners, merged, mergeMs: Date.now() - t0 };
}
