/**
 * Tasks stuck in the guest's kernel. The IOMMU guest's Playwright worker has blocked for good
 * right after a vfio-pci detach ("INFO: task node:182 blocked for more than 120 seconds"), and
 * the kernel's hung-task report prints the stack below the console's `quiet` level. So the agent
 * looks itself: a task in uninterruptible sleep (state D) whose context switches have not moved
 * for BLOCKED_AFTER_MS is recorded once, with its kernel stack, wchan and the DUT then running.
 * Only /proc/PID/task/TID/{stat,status,stack,wchan} are read: none of them waits for the blocked
 * task's locks (cmdline would wait for its memory map's).
 */
import { closeSync, constants, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import type { BlockedTask } from '../virtual/stall.js';

/** Far above any D sleep of a healthy guest (a 9p read under TCG), under the kernel's own 120 s. */
export const BLOCKED_AFTER_MS = 60_000;
export const LOOK_EVERY_MS = 10_000;

/** `TID (COMM) STATE …`: the command may hold spaces and parentheses, so it ends at the last `)`. */
export function parseStat(stat: string): { comm: string; state: string } {
  const close = stat.lastIndexOf(')');
  return { comm: stat.slice(stat.indexOf('(') + 1, close), state: stat.slice(close + 2, close + 3) };
}

/** Voluntary and involuntary context switches from `status`: unchanged, the task has not run. */
export function contextSwitches(status: string): number {
  let n = 0;
  for (const m of status.matchAll(/^(?:non)?voluntary_ctxt_switches:\s*(\d+)/gm)) n += Number(m[1]);
  return n;
}

/** `[<0>] vfio_pci_core_disable+0x2c/0x3e0 [vfio_pci_core]` lines to frames, innermost first. */
export function stackFrames(stack: string): string[] {
  return stack
    .split('\n')
    .map((l) => l.replace(/^\[<[0-9a-fx]+>\]\s*/, '').trim())
    .filter(Boolean);
}

export interface BlockedTaskWatchOptions {
  proc?: string;
  afterMs?: number;
  now?: () => number;
  /** The DUT running now, if known. */
  dut?: () => string | undefined;
}

/** Looks at every task of `proc` on each `tick` and hands each newly blocked one to `record`, once. */
export class BlockedTaskWatch {
  readonly #since = new Map<string, { atMs: number; switches: number }>();
  readonly #recorded = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  readonly #o: Required<Omit<BlockedTaskWatchOptions, 'dut'>> & Pick<BlockedTaskWatchOptions, 'dut'>;

  constructor(
    private readonly record: (t: BlockedTask) => void,
    o: BlockedTaskWatchOptions = {},
  ) {
    this.#o = { proc: '/proc', afterMs: BLOCKED_AFTER_MS, now: () => Date.now(), ...o };
  }

  tick(): void {
    const { proc, afterMs } = this.#o;
    const now = this.#o.now();
    const seen = new Set<string>();
    for (const pid of readdirSync(proc).filter((e) => /^\d+$/.test(e))) {
      let tids: string[];
      try {
        tids = readdirSync(`${proc}/${pid}/task`);
      } catch {
        continue; // gone
      }
      for (const tid of tids) {
        const dir = `${proc}/${pid}/task/${tid}`;
        const key = `${pid}/${tid}`;
        try {
          if (parseStat(readFileSync(`${dir}/stat`, 'utf8')).state !== 'D') continue;
          const switches = contextSwitches(readFileSync(`${dir}/status`, 'utf8'));
          seen.add(key);
          const known = this.#since.get(key);
          if (!known || known.switches !== switches) this.#since.set(key, { atMs: now, switches });
          else if (now - known.atMs >= afterMs && !this.#recorded.has(key)) {
            this.#recorded.add(key);
            this.record(this.#describe(pid, tid, dir, now - known.atMs));
          }
        } catch {
          // Gone between the listing and the read.
        }
      }
    }
    for (const key of this.#since.keys()) if (!seen.has(key)) this.#since.delete(key);
  }

  #describe(pid: string, tid: string, dir: string, blockedMs: number): BlockedTask {
    const read = (f: string) => {
      try {
        return readFileSync(f, 'utf8');
      } catch (e) {
        return `(${(e as NodeJS.ErrnoException).code ?? e})`;
      }
    };
    const dut = this.#o.dut?.();
    return {
      uptimeS: Number(read(`${this.#o.proc}/uptime`).split(' ')[0]) || 0,
      pid: Number(pid),
      tid: Number(tid),
      comm: parseStat(read(`${dir}/stat`)).comm,
      process: parseStat(read(`${this.#o.proc}/${pid}/stat`)).comm,
      blockedS: Math.round(blockedMs / 1000),
      wchan: read(`${dir}/wchan`).trim(),
      stack: stackFrames(read(`${dir}/stack`)),
      ...(dut ? { dut } : {}),
    };
  }

  start(intervalMs = LOOK_EVERY_MS): this {
    this.tick();
    this.#timer = setInterval(() => this.tick(), intervalMs);
    this.#timer.unref();
    return this;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

/**
 * The kernel's log at every level from /dev/kmsg (one record a read; EAGAIN at its end), as
 * `[seconds] message` lines: what the console's `quiet` leaves out (hung-task stacks).
 */
export function readKernelLog(kmsg = '/dev/kmsg'): string {
  const fd = openSync(kmsg, constants.O_RDONLY | constants.O_NONBLOCK);
  const buf = Buffer.alloc(16 * 1024);
  const out: string[] = [];
  try {
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        // EPIPE: records overwritten before this read; the next read goes on after them.
        if ((e as NodeJS.ErrnoException).code === 'EPIPE') continue;
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') break;
        throw e;
      }
      if (n === 0) break;
      out.push(kmsgLine(buf.toString('utf8', 0, n)));
    }
  } finally {
    closeSync(fd);
  }
  return out.join('\n') + (out.length ? '\n' : '');
}

/** `PRI,SEQ,USEC,FLAGS[,…];MESSAGE\n[ KEY=VALUE\n…]` to `[   12.345678] MESSAGE`. */
export function kmsgLine(record: string): string {
  const semi = record.indexOf(';');
  const usec = Number(record.slice(0, semi).split(',')[2]);
  const message = record.slice(semi + 1).split('\n')[0] ?? '';
  return `[${(usec / 1e6).toFixed(6).padStart(12)}] ${message}`;
}
