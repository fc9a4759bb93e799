/**
 * A guest that stopped moving. Under TCG on a loaded host a guest's vCPU sometimes stops taking
 * its timer (the kernel's "rcu_preempt kthread starved … Possible timer handling issue"), or a
 * task blocks in the kernel for good after a DMA fault; the guest then never ends, and the lab
 * used to wait for its whole timeout (90 minutes or more). Three signs, read by the host:
 * - the agent's heartbeat (a file it rewrites every HEARTBEAT_MS over 9p) has not changed for
 *   SILENT_MS: the agent's own timer no longer runs, so the guest is not running;
 * - or for TIMER_SILENT_MS, and since its last change the kernel reported on the console that a
 *   CPU's timer stopped (`timerStallLine`): such a guest has not come back (7 December 2026);
 * - nothing moved for STILL_MS: no check ended (the summary), no process started or ended (the
 *   agent's process timeline): a task is stuck where no watchdog of the guest's can end it;
 *   BLOCKED_STILL_MS when the agent recorded a task blocked in the kernel since the last move.
 * Each stops that guest with a reason that quotes the kernel's complaint from its console, if
 * any, and the task the agent found blocked in the kernel and its top frames
 * (guest/blocked-tasks.ts); where the run stopped is the retry's to say (runner/stopped.ts), from
 * the summary the guest left. The watch also keeps when the host first saw each check's result
 * and the guest's last sign of life (`StallWatch.window`): a check that ran out of time after it
 * is the stall's, not the PMD's (runner/attempts.ts). The DUTs it did not finish are run again
 * in a fresh guest, or are the merge's "not run" (INCONCLUSIVE), never a FAIL.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { RunSummary } from '@dpdk-hotplug/conformance';
import { checkKey, type StallWindow } from '../runner/attempts.js';
import { readRunSummary } from '../runner/stopped.js';

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
 * Six heartbeats, when the kernel reported a CPU's timer stalled since the last one: it reports
 * after 21 s without a grace period (RCU's stall timeout), so the heartbeat was silent for 21 s
 * or more before the report and 60 s in all; a guest that recovers moves its heartbeat again.
 */
export const TIMER_SILENT_MS = 60_000;
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
  /** What the console got since the heartbeat last changed (its end), once silent for TIMER_SILENT_MS. */
  consoleSinceBeat?: string;
  /** The agent's BLOCKED_TASKS_FILE, and when it was last written (ms since the epoch). */
  blocked?: string;
  blockedAt?: number;
}

/** What the kernel prints when a guest stops moving (RCU stalls, hung tasks, lockups, panics). */
const KERNEL_STALL =
  /rcu_\w+ detected stalls|rcu_\w+ kthread (?:timer wakeup didn't happen|starved)|Possible timer handling issue|INFO: task .* blocked for more than \d+ seconds|soft lockup|hard LOCKUP|Kernel panic/;

/** What RCU prints when a CPU's timer no longer fires (kernel/rcu/tree_stall.h), not a stall of any other kind. */
const TIMER_STALL = /rcu_\w+ kthread (?:timer wakeup didn't happen|starved)|Possible timer handling issue/;

/** The last line (its timestamp cut) of `console` that matches `pattern`, if any. */
const lastLine = (console: string | undefined, pattern: RegExp) =>
  (console ?? '')
    .split('\n')
    .filter((l) => pattern.test(l))
    .at(-1)
    ?.replace(/^\[[^\]]*\]\s*/, '')
    .trim();

/** The console's last line (its timestamp cut) in which the kernel complains of a stall, if any. */
export const kernelStallLine = (console: string | undefined): string | undefined =>
  lastLine(console, KERNEL_STALL);

/** The last line in which the kernel says a CPU's timer stopped firing (an RCU stall report's), if any. */
export const timerStallLine = (console: string | undefined): string | undefined =>
  lastLine(console, TIMER_STALL);

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
  /** Where the run was (runner/stopped.ts `describeStop`), if the summary said. */
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

/** Which sign stopped the guest (the header's three), and the reason's first part. */
export type StallSign = 'silent' | 'timer' | 'still';

const LIMITS = {
  silentMs: SILENT_MS,
  timerSilentMs: TIMER_SILENT_MS,
  stillMs: STILL_MS,
  blockedStillMs: BLOCKED_STILL_MS,
};

/** The sign that says the guest stalled, or undefined while none does. */
export function stallSign(s: GuestSigns, limits = LIMITS): { sign: StallSign; why: string } | undefined {
  const silent = s.now - s.heartbeatAt;
  const still = s.now - s.movedAt;
  const secs = (ms: number) => Math.round(ms / 1000);
  if (silent >= limits.silentMs)
    return { sign: 'silent', why: `no heartbeat from the guest's agent for ${secs(silent)} s` };
  if (silent >= limits.timerSilentMs && timerStallLine(s.consoleSinceBeat))
    return {
      sign: 'timer',
      why: `no heartbeat from the guest's agent for ${secs(silent)} s, and since the last one its kernel reported a CPU's timer stalled`,
    };
  if (still >= ((s.blockedAt ?? -1) >= s.movedAt ? limits.blockedStillMs : limits.stillMs))
    return {
      sign: 'still',
      why: `nothing moved in the guest for ${secs(still)} s (no check ended, no process started or ended)`,
    };
  return undefined;
}

/** Why the guest is stalled, or undefined while it is not. */
export function stallReason(s: GuestSigns, limits = LIMITS): string | undefined {
  const sign = stallSign(s, limits);
  if (!sign) return undefined;
  const kernel = sign.sign === 'timer' ? timerStallLine(s.consoleSinceBeat) : kernelStallLine(s.console);
  const blocked = firstBlockedTask(s.blocked ?? '');
  return [
    `the guest stalled: ${sign.why}`,
    ...(kernel ? [`its kernel said: "${kernel}"`] : []),
    ...(blocked
      ? [
          `its agent saw ${describeBlockedTask(blocked.task)}${blocked.more ? ` (and ${blocked.more} more)` : ''}`,
        ]
      : []),
    'stopped',
  ].join('; ');
}

/** The end of the console the timer rule reads: an RCU stall report repeats every 21 s, far inside it. */
const CONSOLE_TAIL = 256 * 1024;

/** What the host sees change in a guest's run folder: its heartbeat, its summary, its process timeline. */
export class StallWatch {
  #beat = '';
  #heartbeatAt: number;
  /** The console's size when the heartbeat last changed: what came after is since the last beat. */
  #consoleAtBeat = 0;
  #moved = '';
  #movedAt: number;
  /** The summary's size and mtime when it was last read, and what it said then. */
  #summaryStamp = '';
  #run?: RunSummary;
  /** When each check's result (by `checkKey`, and what it said) was first seen. */
  #seen = new Map<string, { result: string; at: number }>();
  #stall?: { sign: StallSign; at: number };
  constructor(
    private readonly runDir: string,
    private readonly summaryFile: string,
    started = Date.now(),
  ) {
    this.#heartbeatAt = started;
    this.#movedAt = started;
  }

  /** Why the guest is stalled, or undefined (see the header). */
  look(now = Date.now()): string | undefined {
    const console = join(this.runDir, 'console.log');
    const beat = readOr(join(this.runDir, HEARTBEAT_FILE));
    if (beat !== this.#beat)
      [this.#beat, this.#heartbeatAt, this.#consoleAtBeat] = [beat, now, sizeOr(console)];
    const stamp = `${sizeOr(this.summaryFile)}:${mtimeOr(this.summaryFile)}`;
    const moved = `${stamp}:${sizeOr(join(this.runDir, 'guest.log'))}`;
    if (moved !== this.#moved) [this.#moved, this.#movedAt] = [moved, now];
    if (stamp !== this.#summaryStamp) this.#see(stamp, now);
    const signs: GuestSigns = {
      now,
      heartbeatAt: this.#heartbeatAt,
      movedAt: this.#movedAt,
      blockedAt: mtimeOr(join(this.runDir, BLOCKED_TASKS_FILE)),
      // Read only while the heartbeat is silent for long enough to matter.
      ...(now - this.#heartbeatAt >= TIMER_SILENT_MS
        ? { consoleSinceBeat: readFrom(console, this.#consoleAtBeat) }
        : {}),
    };
    const sign = stallSign(signs);
    if (!sign) return undefined;
    this.#stall = { sign: sign.sign, at: now };
    // The console and the rest are read only once a sign says stalled: for the kernel's own words.
    return stallReason({
      ...signs,
      console: readOr(console),
      blocked: readOr(join(this.runDir, BLOCKED_TASKS_FILE)),
    });
  }

  /** The guest's summary as the last `look` read it (read again only once it changed), if any. */
  get summary(): RunSummary | undefined {
    return this.#run;
  }

  /**
   * Once `look` said stalled: from the guest's last sign of life (its last heartbeat; when nothing
   * moved, its last move) to then, and when each check's result was first seen.
   */
  window(): StallWindow | undefined {
    if (!this.#stall) return undefined;
    return {
      from: this.#stall.sign === 'still' ? this.#movedAt : this.#heartbeatAt,
      to: this.#stall.at,
      seen: Object.fromEntries([...this.#seen].map(([k, v]) => [k, v.at])),
    };
  }

  #see(stamp: string, now: number): void {
    const run = readRunSummary(this.summaryFile);
    if (!run) return;
    [this.#summaryStamp, this.#run] = [stamp, run];
    for (const d of run.duts)
      for (const c of d.checks) {
        const key = checkKey(d.name, c.id);
        const result = `${c.status} ${c.durationMs} ${c.reason ?? ''}`;
        if (this.#seen.get(key)?.result !== result) this.#seen.set(key, { result, at: now });
      }
  }
}

const readOr = (f: string) => {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return '';
  }
};
/** The file from `offset` on (its last CONSOLE_TAIL bytes at most), or ''. */
function readFrom(f: string, offset: number): string {
  try {
    const size = statSync(f).size;
    const from = Math.max(offset, size - CONSOLE_TAIL);
    if (size <= from) return '';
    const buf = Buffer.alloc(size - from);
    const fd = openSync(f, 'r');
    try {
      readSync(fd, buf, 0, buf.length, from);
    } finally {
      closeSync(fd);
    }
    return buf.toString('utf8');
  } catch {
    return '';
  }
}
const sizeOr = (f: string) => (existsSync(f) ? statSync(f).size : -1);
const mtimeOr = (f: string) => (existsSync(f) ? statSync(f).mtimeMs : -1);
