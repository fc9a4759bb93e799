/**
 * A guest that stopped moving. Under TCG on a loaded host a guest's vCPU sometimes stops taking
 * its timer (the kernel's "rcu_preempt kthread starved … Possible timer handling issue"), or a
 * task blocks in the kernel for good after a DMA fault; the guest then never ends, and the lab
 * used to wait for its whole timeout (90 minutes or more). Two signs, read by the host:
 * - the agent's heartbeat (a file it rewrites every HEARTBEAT_MS over 9p) has not changed for
 *   SILENT_MS: the agent's own timer no longer runs, so the guest is not running;
 * - nothing moved for STILL_MS: no check ended (the summary), no process started or ended (the
 *   agent's process timeline): a task is stuck where no watchdog of the guest's can end it.
 * Either stops that guest with a reason that quotes the kernel's complaint from its console, if
 * any; the DUTs it did not finish are then the merge's "not run" (INCONCLUSIVE), never a FAIL.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The file, in the guest's run folder, the agent rewrites with its uptime. */
export const HEARTBEAT_FILE = 'heartbeat';
export const HEARTBEAT_MS = 10_000;
/** Thirty heartbeats: far above a timer made late by TCG on a loaded host. */
export const SILENT_MS = 5 * 60_000;
/**
 * Longer than anything a guest does without a process starting or ending or a check ending: a
 * check's own timeout (the lab's fixtures: at most 300 s); a Playwright worker's start under TCG
 * (33–85 s since the 13th session's loader change, up to 10 minutes at load 15–25 before it);
 * check 110's slowest stop + close (55 s). The hung task of 7 December sat for this long and more.
 */
export const STILL_MS = 10 * 60_000;

/** What the host last saw change, in ms since the epoch. */
export interface GuestSigns {
  now: number;
  /** When the heartbeat file last changed (or the guest started, before the first). */
  heartbeatAt: number;
  /** When the summary or the process timeline last changed (or the guest started). */
  movedAt: number;
  /** The guest's console (its kernel's messages), or its end. */
  console?: string;
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

/** Why the guest is stalled, or undefined while it is not. */
export function stallReason(
  s: GuestSigns,
  limits = { silentMs: SILENT_MS, stillMs: STILL_MS },
): string | undefined {
  const silent = s.now - s.heartbeatAt;
  const still = s.now - s.movedAt;
  const why =
    silent >= limits.silentMs
      ? `no heartbeat from the guest's agent for ${Math.round(silent / 1000)} s`
      : still >= limits.stillMs
        ? `nothing moved in the guest for ${Math.round(still / 1000)} s (no check ended, no process started or ended)`
        : undefined;
  if (!why) return undefined;
  const kernel = kernelStallLine(s.console);
  return `the guest stalled: ${why}${kernel ? `; its kernel said: "${kernel}"` : ''}; stopped`;
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
    const signs = { now, heartbeatAt: this.#heartbeatAt, movedAt: this.#movedAt };
    // The console is read only once a sign says stalled: for the kernel's own words.
    return stallReason(signs) && stallReason({ ...signs, console: readOr(join(this.runDir, 'console.log')) });
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
