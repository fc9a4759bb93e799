/**
 * A guest that stopped moving. Under TCG on a loaded host a guest's vCPU sometimes stops taking
 * its timer (the kernel's "rcu_preempt kthread starved … Possible timer handling issue"), or a
 * task blocks in the kernel for good after a DMA fault; the guest then never ends, and the lab
 * used to wait for its whole timeout (90 minutes or more). Two signs, read by the host:
 * - the agent's heartbeat (a file it rewrites every HEARTBEAT_MS over 9p) has not changed for
 *   SILENT_MS: the agent's own timer no longer runs, so the guest is not running;
 * - nothing moved for STILL_MS: no check ended (the summary), no process started or ended (the
 *   agent's process timeline): a task is stuck where no watchdog of the guest's can end it;
 *   BLOCKED_STILL_MS when the agent recorded a task blocked in the kernel since the last move.
 * Either stops that guest with a reason that quotes the kernel's complaint from its console, if
 * any, the task the agent found blocked in the kernel and its top frames (guest/blocked-tasks.ts),
 * and the DUT that was running; the DUTs it did not finish are then the merge's "not run"
 * (INCONCLUSIVE), never a FAIL.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { RunSummary } from '@dpdk-hotplug/conformance';

/** The file, in the guest's run folder, the agent rewrites with its uptime. */
export const HEARTBEAT_FILE = 'heartbeat';
export const HEARTBEAT_MS = 10_000;
/** In the run folder: a JSON line (`BlockedTask`) per task the agent found blocked in the kernel. */
export const BLOCKED_TASKS_FILE = 'blocked-tasks.jsonl';
/** In the run folder: the guest kernel's log at every level (the console has `quiet`'s), written by the agent. */
export const KERNEL_LOG_FILE = 'kernel.log';
/** What the host copies back from a guest's run folder, beside its console and its agent's log. */
export const GUEST_DIAGNOSTICS = [HEARTBEAT_FILE, BLOCKED_TASKS_FILE, KERNEL_LOG_FILE] as const;
/** Thirty heartbeats: far above a timer made late by TCG on a loaded host. */
export const SILENT_MS = 5 * 60_000;
/**
 * Longer than anything a guest does without a process starting or ending or a check ending: a
 * check's own timeout (the lab's fixtures: at most 300 s); a Playwright worker's start under TCG
 * (33–85 s since the 13th session's loader change, up to 10 minutes at load 15–25 before it);
 * check 110's slowest stop + close (55 s). The hung task of 7 December sat for this long and more.
 */
export const STILL_MS = 10 * 60_000;
/**
 * Nothing moved for this long, and the agent recorded since the last move a task not scheduled
 * for 60 s in uninterruptible sleep (BLOCKED_TASKS_FILE): such a task is not coming back (the
 * kernel's own hung-task report waits 120 s), and the guest is stopped 7 minutes sooner than by
 * STILL_MS. A record followed by a move (the task came back, or others went on) is no such sign.
 */
export const BLOCKED_STILL_MS = 3 * 60_000;

/** What the host last saw change, in ms since the epoch. */
export interface GuestSigns {
  now: number;
  /** When the heartbeat file last changed (or the guest started, before the first). */
  heartbeatAt: number;
  /** When the summary or the process timeline last changed (or the guest started). */
  movedAt: number;
  /** The guest's console (its kernel's messages), or its end. */
  console?: string;
  /** The agent's BLOCKED_TASKS_FILE, and when it was last written (ms since the epoch). */
  blocked?: string;
  blockedAt?: number;
  /** The DUT that was running (`runningDut`). */
  dut?: string;
}

/** What the kernel prints when a guest stops moving (RCU stalls, hung tasks, lockups, panics). */
const KERNEL_STALL =
  /rcu_\w+ detected stalls|rcu_\w+ kthread (?:timer wakeup didn't happen|starved)|Possible timer handling issue|INFO: task .* blocked for more than \d+ seconds|soft lockup|hard LOCKUP|Kernel panic/;

/** The console's last line (its timestamp cut) in which the kernel complains of a stall, if any. */
export function kernelStallLine(console: string | undefined): string | undefined {
  const lines = (console ?? '').split('\n').filter((l) => KERNEL_STALL.test(l));
  return lines
    .at(-1)
    ?.replace(/^\[[^\]]*\]\s*/, '')
    .trim();
}

/** A task in uninterruptible sleep, not scheduled for `blockedS` seconds, as the guest's agent saw it. */
export interface BlockedTask {
  /** The guest's uptime when it was recorded. */
  uptimeS: number;
  pid: number;
  tid: number;
  /** The thread's name, and its process's (the main thread's). */
  comm: string;
  process: string;
  blockedS: number;
  wchan: string;
  /** `/proc/PID/task/TID/stack`, innermost frame first: `vfio_pci_core_disable+0x2c/0x3e0 [vfio_pci_core]`. */
  stack: string[];
  /** The DUT that was running (`runningDut`), if the summary said. */
  dut?: string;
}

/** The frames that only say the task sleeps (the scheduler's own), left out of a quote. */
const SLEEP_FRAME = /^(?:__schedule|schedule|schedule_\w+|io_schedule\w*)$/;

/** One line: the task and its top frames past the scheduler's, without offsets. */
export function describeBlockedTask(t: BlockedTask, frames = 5): string {
  const names = t.stack
    .map((f) => f.replace(/\+0x[0-9a-f]+\/0x[0-9a-f]+/, ''))
    .filter((f) => !SLEEP_FRAME.test(f));
  const where = names.length ? names.slice(0, frames).join(' < ') : `wchan ${t.wchan || '?'}`;
  return `task ${t.process}:${t.pid} (thread ${t.comm}:${t.tid}) blocked ${t.blockedS} s in ${where}${t.dut ? ` during ${t.dut}` : ''}`;
}

/** The first task the agent found blocked (the others often wait behind it), and how many more. */
export function firstBlockedTask(jsonl: string): { task: BlockedTask; more: number } | undefined {
  const tasks = jsonl
    .split('\n')
    .filter((l) => l.trim())
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as BlockedTask];
      } catch {
        return []; // a line cut by the guest's end
      }
    });
  return tasks[0] && { task: tasks[0], more: tasks.length - 1 };
}

/**
 * The DUT of a running summary whose planned checks have not all ended (the DUTs of a runner run
 * in order), and the last of its planned checks that ended. A DUT not begun yet is marked not
 * run in a running summary too, so that mark is no reason to pass it over.
 */
export function runningDut(run: RunSummary): string | undefined {
  const ended = (d: RunSummary['duts'][number]) =>
    (d.planned ?? []).filter((id) => d.checks.some((c) => c.id === id));
  const d = run.duts.find((x) => ended(x).length < (x.planned?.length ?? 0));
  if (!d) return undefined;
  const last = ended(d).at(-1);
  return `${d.name} (${last ? `after check ${last}` : 'no check ended yet'})`;
}

/** Why the guest is stalled, or undefined while it is not. */
export function stallReason(
  s: GuestSigns,
  limits = { silentMs: SILENT_MS, stillMs: STILL_MS, blockedStillMs: BLOCKED_STILL_MS },
): string | undefined {
  const silent = s.now - s.heartbeatAt;
  const still = s.now - s.movedAt;
  const why =
    silent >= limits.silentMs
      ? `no heartbeat from the guest's agent for ${Math.round(silent / 1000)} s`
      : still >= ((s.blockedAt ?? -1) >= s.movedAt ? limits.blockedStillMs : limits.stillMs)
        ? `nothing moved in the guest for ${Math.round(still / 1000)} s (no check ended, no process started or ended)`
        : undefined;
  if (!why) return undefined;
  const kernel = kernelStallLine(s.console);
  const blocked = firstBlockedTask(s.blocked ?? '');
  return [
    `the guest stalled: ${why}`,
    ...(s.dut ? [`while ${s.dut} ran`] : []),
    ...(kernel ? [`its kernel said: "${kernel}"`] : []),
    ...(blocked
      ? [
          `its agent saw ${describeBlockedTask(blocked.task)}${blocked.more ? ` (and ${blocked.more} more)` : ''}`,
        ]
      : []),
    'stopped',
  ].join('; ');
}

/** What the host sees change in a guest's run folder: its heartbeat, its summary, its process timeline. */
export class StallWatch {
  #beat = '';
  #heartbeatAt: number;
  #moved = '';
  #movedAt: number;
  constructor(
    private readonly runDir: string,
    private readonly summary: string,
    started = Date.now(),
  ) {
    this.#heartbeatAt = started;
    this.#movedAt = started;
  }

  /** Why the guest is stalled, or undefined (see the header). */
  look(now = Date.now()): string | undefined {
    const beat = readOr(join(this.runDir, HEARTBEAT_FILE));
    if (beat !== this.#beat) [this.#beat, this.#heartbeatAt] = [beat, now];
    const moved = `${sizeOr(this.summary)}:${mtimeOr(this.summary)}:${sizeOr(join(this.runDir, 'guest.log'))}`;
    if (moved !== this.#moved) [this.#moved, this.#movedAt] = [moved, now];
    const signs = {
      now,
      heartbeatAt: this.#heartbeatAt,
      movedAt: this.#movedAt,
      blockedAt: mtimeOr(join(this.runDir, BLOCKED_TASKS_FILE)),
    };
    // The console and the rest are read only once a sign says stalled: for the kernel's own words.
    return (
      stallReason(signs) &&
      stallReason({
        ...signs,
        console: readOr(join(this.runDir, 'console.log')),
        blocked: readOr(join(this.runDir, BLOCKED_TASKS_FILE)),
        dut: runningDutOf(this.summary),
      })
    );
  }
}

/** `runningDut` of a summary file, if it can be read. */
export function runningDutOf(summary: string): string | undefined {
  try {
    return runningDut(JSON.parse(readFileSync(summary, 'utf8')) as RunSummary);
  } catch {
    return undefined; // not written yet, or half-way through a rename
  }
}

const readOr = (f: string) => {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return '';
  }
};
const sizeOr = (f: string) => (existsSync(f) ? statSync(f).size : -1);
const mtimeOr = (f: string) => (existsSync(f) ? statSync(f).mtimeMs : -1);
