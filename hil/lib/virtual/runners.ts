/**
 * `lab virtual --inventory FILE`: each runner of the inventory is a QEMU guest, and each guest
 * runs `lab run --inventory FILE --runner NAME` as a physical runner does (guest/runner-agent.ts);
 * the host boots the guests side by side, answers their mailboxes (QMP plug and unplug), copies
 * each guest's report folder back and merges them with `lab merge`. Nothing of the certification
 * is the virtual lab's own: the checks, their lab and the reports are lab run's and lab merge's.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dutsFromInventory, type RunSummary, readInventory } from '@dpdk-hotplug/conformance';
import { DELAYS_ENV, WORKER_SPIN_ENV } from '@dpdk-hotplug/ethdev';
import { removeOwnTree } from '@dpdk-hotplug/linux';
import { LabError } from '../errors.js';
import type { GuestRunnerPlan } from '../guest/runner-agent.js';
import {
  combineAttempts,
  MAX_ATTEMPTS,
  retryDecision,
  type StallWindow,
  stalledCheckLine,
  unfinished,
  whereStopped,
} from '../runner/attempts.js';
import { labMerge, type MergeResult } from '../runner/merge.js';
import { NATIVE_ESM_ENV } from '../runner/native-esm.js';
import { CERTIFY_FOLDER, type GuestEnd, RUNNER_RECORD, type RunnerRecord } from '../runner/record.js';
import { isComplete, readRunSummary, stoppedAt } from '../runner/stopped.js';
import { type AccelChoice, chooseAccel } from './accel.js';
import { DEFAULT_CACHE, type LabImage, prepareLabImage } from './image.js';
import {
  describeQemuExit,
  QEMU_EXIT_FILE,
  QEMU_TRACE_LOG,
  type QemuExit,
  tcgThread,
  VirtualMachine,
} from './machine.js';
import { GUEST_DIAGNOSTICS, StallWatch } from './stall.js';

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
  /**
   * One guest's whole run is stopped after this long (default: 10 min a DUT and 5 more, at least
   * 90 min: Playwright under TCG on a loaded host).
   */
  timeoutMs?: number;
  onProgress?: (line: string) => void;
  image?: LabImage;
  stopped?: () => boolean;
  /** Boot the guests one after the other, not side by side (one guest's worth of CPU at a time). */
  oneAtATime?: boolean;
  /** Where lab merge writes the merged certification (default OUT/merged). */
  mergedDir?: string;
  /**
   * A runner whose guest stalled or crashed runs the DUTs it had not finished once more, in a
   * fresh guest (runner/attempts.ts); false: not (`--no-retry-stalled`). Default true.
   */
  retryStalled?: boolean;
}

export interface GuestRunnerResult {
  runner: string;
  folder: string;
  /** lab run's exit code in the guest, or undefined when it did not end. */
  exitCode?: number;
  wallMs: number;
  error?: string;
  /** How QEMU ended, and whether before the lab stopped it (a crash, a guest that rebooted). */
  qemu?: QemuExit & { beforeStop: boolean };
  /** How the guest's run ended (the last attempt's, when there were two). */
  end: GuestEnd;
  /** When a stalled guest's DUTs ran again in a fresh one: each attempt (folders OUT/NAME/attempts/N). */
  attempts?: GuestRunnerResult[];
  /** A stalled guest: what the stall watch saw of it (the retry tells the stall's FAILs from the PMD's). */
  stall?: StallWindow;
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
  accelWhy: string,
  /** Only these DUTs of the runner (lab run --only): a second attempt's. */
  only?: readonly string[],
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
    ...(only ? { only: only.join(',') } : {}),
    ...(o.expect !== undefined ? { expect: o.expect } : {}),
    ...(o.cycles !== undefined ? { cycles: String(o.cycles) } : {}),
    // The report's lab line of each PCI DUT: which QEMU, how accelerated, which guest kernel.
    lab: `QEMU ${image.qemuVersion} (${accelLine(accel)}: ${accelWhy}), guest kernel ${image.kernelVersion}`,
    // The suite is compiled JavaScript: Node loads it without Playwright's loader thread. The
    // SDK's switches for its spinners reach the guest's SDK as the host's (diagnosis switches:
    // neither changed the full matrix's time, docs/measurements.md).
    env: { ...NATIVE_ESM_ENV, ...sdkSwitches() },
  };
  writeFileSync(join(runDir, 'runner-plan.json'), JSON.stringify(plan, null, 2));
  const duts = dutsFromInventory(readInventory(o.inventory), runner).filter(
    (d) => !only || only.includes(d.name),
  );
  const agent = fileURLToPath(new URL('../guest/runner-agent.js', import.meta.url));
  writeFileSync(join(runDir, 'guest.sh'), `cd /\nexec ${process.execPath} ${agent} ${runDir}\n`);
  const checkout = fileURLToPath(new URL('../../..', import.meta.url)).replace(/\/$/, '');
  let vm: VirtualMachine | undefined;
  let mailbox: { stop(): Promise<void> } | undefined;
  const result: GuestRunnerResult = { runner, folder, wallMs: 0, end: 'failed' };
  const reported = new Set<string>();
  try {
    progress(
      `[lab] ${runner}: booting a ${only ? 'fresh ' : ''}guest${iommu ? ' with an IOMMU' : ''} for ${duts.length} DUT(s)${only ? ` (${only.join(', ')})` : ''} (QEMU ${image.qemuVersion}, kernel ${image.kernelVersion})`,
    );
    vm = await VirtualMachine.start(image, {
      runDir,
      iommu,
      accel: accel.accel,
      cpu: accel.cpu,
      keep: [checkout, dirname(process.execPath), dirname(resolve(o.inventory))],
    });
    const machine = vm;
    mailbox = machine.serveMailbox(runDir);
    const deadline = Date.now() + (o.timeoutMs ?? Math.max(90 * 60_000, duts.length * 600_000 + 300_000));
    const done = () => existsSync(join(runDir, 'guest-done')) || existsSync(join(runDir, 'guest-failed'));
    const watch = new StallWatch(runDir, join(plan.out, CERTIFY_FOLDER, 'summary.json'));
    let stalled: string | undefined;
    while (machine.running && Date.now() < deadline && !o.stopped?.() && !done()) {
      stalled = watch.look();
      // The summary as the watch read it: one reader while the guest runs.
      reportFinished(watch.summary, reported, (l) => progress(`[lab] ${runner}: ${l}`));
      if (stalled) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    if (existsSync(join(runDir, 'guest-failed')))
      throw new LabError(
        'GUEST_FAILED',
        `${runner}: the guest agent failed: ${readFileSync(join(runDir, 'guest-failed'), 'utf8').split('\n')[0]}`,
      );
    const stall = watch.window();
    if (stall) result.stall = stall;
    if (existsSync(join(runDir, 'guest-done'))) {
      result.exitCode = Number(readFileSync(join(runDir, 'guest-done'), 'utf8'));
      result.end = 'finished';
    } else {
      result.end = stalled
        ? 'stalled'
        : o.stopped?.()
          ? 'interrupted'
          : machine.running
            ? 'timed out'
            : 'crashed';
      result.error =
        stalled ??
        (result.end === 'interrupted'
          ? 'interrupted'
          : result.end === 'timed out'
            ? 'the guest timed out'
            : `the guest stopped before lab run ended: ${describeQemuExit(machine.exit() ?? { code: null, signal: null })}`);
    }
  } catch (e) {
    result.error = (e as Error).message;
  } finally {
    await mailbox?.stop();
    const beforeStop = vm?.exit();
    await vm?.stop();
    const qemu = beforeStop ?? vm?.exit();
    if (qemu) result.qemu = { ...qemu, beforeStop: beforeStop !== undefined };
    reportFinished(readRunSummary(join(plan.out, CERTIFY_FOLDER, 'summary.json')), reported, (l) =>
      progress(`[lab] ${runner}: ${l}`),
    );
    // What lab run wrote (kept even when it did not end: lab merge names what it did not reach).
    if (existsSync(plan.out)) cpSync(plan.out, folder, { recursive: true });
    mkdirSync(folder, { recursive: true });
    if (result.qemu) writeFileSync(join(folder, QEMU_EXIT_FILE), `${JSON.stringify(result.qemu, null, 2)}\n`);
    for (const f of ['console.log', 'guest.log', ...GUEST_DIAGNOSTICS, QEMU_TRACE_LOG])
      if (existsSync(join(runDir, f))) cpSync(join(runDir, f), join(folder, `${f}`));
    // The guest's folder is ours, but never deleted through a mount someone made in it.
    try {
      removeOwnTree(runDir);
    } catch (e) {
      progress(`[lab] ${runner}: ${(e as Error).message}; ${runDir} kept`);
    }
    result.wallMs = Date.now() - t0;
    progress(
      `[lab] ${runner}: ${result.error ?? `lab run exit ${result.exitCode}`} after ${(result.wallMs / 1000).toFixed(0)} s`,
    );
  }
  return result;
}

/**
 * The SDK's switches the operator set, handed to the guests as they are: its async worker's spin
 * (`DPDK_HOTPLUG_WORKER_SPIN`) and DPDK's delays (`DPDK_HOTPLUG_DELAYS`, the `delays` option).
 */
function sdkSwitches(): Record<string, string> {
  const names = [WORKER_SPIN_ENV, DELAYS_ENV];
  return Object.fromEntries(
    names.filter((n) => process.env[n] !== undefined).map((n) => [n, process.env[n]!]),
  );
}

/** `TCG, single-threaded` or `KVM`: the accelerator as the report's lab line names it. */
function accelLine(accel: AccelChoice): string {
  const thread = tcgThread(accel.accel);
  return `${accel.accel.toUpperCase()}${thread ? `, ${thread}-threaded` : ''}`;
}

/** Says each DUT of the guest's summary once all its planned checks have a result. */
function reportFinished(
  run: RunSummary | undefined,
  reported: Set<string>,
  say: (line: string) => void,
): void {
  for (const d of run?.duts ?? []) {
    if (reported.has(d.name) || !isComplete(d)) continue;
    reported.add(d.name);
    const fails = d.checks.filter((c) => c.status === 'FAIL');
    say(
      `${d.name}: ${d.verdict}${fails.length ? ` (${fails.map((f) => `${f.id}: ${f.reason}`).join('; ')})` : ''}`,
    );
  }
}

const readJson = <T>(file: string): T | undefined =>
  existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : undefined;

/**
 * A runner's guest, and when it stalled or crashed (runner/attempts.ts decides), a fresh guest
 * for the DUTs it had not finished: the first attempt's folder moves to FOLDER/attempts/1, the
 * second's is FOLDER/attempts/2, and FOLDER becomes the lab run folder combining them.
 */
export async function runWithRetry(
  o: GuestRunnersOptions,
  runner: string,
  folder: string,
  guest: (folder: string, only?: readonly string[]) => Promise<GuestRunnerResult>,
  progress: (l: string) => void,
): Promise<GuestRunnerResult> {
  const first = await guest(folder);
  const record = readJson<RunnerRecord>(join(folder, RUNNER_RECORD));
  const planned = record?.duts ?? dutsFromInventory(readInventory(o.inventory), runner).map((d) => d.name);
  const summary = readJson<RunSummary>(join(folder, CERTIFY_FOLDER, 'summary.json'));
  const decision = retryDecision({
    attempt: 1,
    end: first.end,
    planned,
    summary,
    ...(first.stall ? { stall: first.stall } : {}),
    enabled: o.retryStalled !== false,
  });
  if (!decision.retry || o.stopped?.()) {
    if (first.end === 'stalled' || first.end === 'crashed')
      progress(
        `[lab] ${runner}: the guest ${first.end} ${whereStopped(stoppedAt(summary, planned))}; its unfinished DUTs are not run again: ${decision.retry ? 'interrupted' : decision.why}`,
      );
    return first;
  }
  const inside = (decision.insideStall ?? []).map((f) => `${f.dut}'s ${stalledCheckLine(f)}`);
  progress(
    `[lab] ${runner}: the guest ${first.end} ${whereStopped(decision.inFlight)}${inside.length ? `; ${inside.join(', ')}: not held against it` : ''}; the ${decision.duts.length} DUT(s) it had not finished run again in a fresh guest (attempt 2 of ${MAX_ATTEMPTS}): ${decision.duts.join(', ')}`,
  );
  // The first attempt's folder, whole, under the combined one (a rename: nothing is copied or lost).
  const moving = `${folder}.attempt-1-${process.pid}`;
  renameSync(folder, moving);
  mkdirSync(join(folder, 'attempts'), { recursive: true });
  renameSync(moving, join(folder, 'attempts', '1'));
  const second = await guest(join(folder, 'attempts', '2'), decision.duts);
  // No third: what a second guest that stalled too left is not run, as without the retry.
  const left = unfinished(
    decision.duts,
    readJson<RunSummary>(join(folder, 'attempts', '2', CERTIFY_FOLDER, 'summary.json')),
  );
  combineAttempts(folder, [
    {
      number: 1,
      folder: 'attempts/1',
      duts: planned,
      end: first.end,
      ...(first.error ? { why: first.error } : {}),
      ...(decision.inFlight ? { inFlight: decision.inFlight } : {}),
      ...(decision.insideStall ? { insideStall: decision.insideStall } : {}),
    },
    {
      number: 2,
      folder: 'attempts/2',
      duts: decision.duts,
      end: second.end,
      ...(second.error ? { why: second.error } : {}),
      ...(second.end !== 'finished' && left.inFlight ? { inFlight: left.inFlight } : {}),
    },
  ]);
  return {
    ...second,
    folder,
    wallMs: first.wallMs + second.wallMs,
    attempts: [
      { ...first, folder: join(folder, 'attempts', '1') },
      { ...second, folder: join(folder, 'attempts', '2') },
    ],
  };
}

/**
 * Runs every chosen runner of the inventory in a guest of its own, side by side (or one after
 * the other), then merges their folders. A runner with a vfio-pci DUT gets the emulated IOMMU.
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
  progress(`[lab] ${accelLine(accel)}: ${accel.why}`);
  const guest = (r: (typeof chosen)[number], folder: string, only?: readonly string[]) =>
    runGuest(
      image,
      accel,
      o,
      r.name,
      r.duts.some((d) => d.pci?.driver === 'vfio-pci'),
      folder,
      progress,
      accel.why,
      only,
    );
  const attempts = (r: (typeof chosen)[number]) =>
    runWithRetry(o, r.name, join(o.outDir, r.name), (folder, only) => guest(r, folder, only), progress);
  const runners: GuestRunnerResult[] = [];
  if (o.oneAtATime) for (const r of chosen) if (!o.stopped?.()) runners.push(await attempts(r));
  if (!o.oneAtATime) runners.push(...(await Promise.all(chosen.map(attempts))));
  const folders = runners.map((r) => r.folder).filter((f) => existsSync(join(f, 'runner.json')));
  if (folders.length === 0) return { runners };
  const t0 = Date.now();
  // Each runner's own --expect, as its folder records it (lab merge's inheritance).
  const merged = await labMerge(folders, o.mergedDir ?? join(o.outDir, 'merged'));
  return { runners, merged, mergeMs: Date.now() - t0 };
}
