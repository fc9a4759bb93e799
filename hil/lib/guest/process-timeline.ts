/**
 * Where a guest runner's time goes: the processes that come and go while `lab run` runs in the
 * guest (lab run itself, Playwright's runner, each DUT's worker, EAL children, testpmd), read from
 * /proc once a second. Each start and end is a line in the guest's log, and the end says how long
 * the process lived and how much CPU it used: under emulation that tells a slow start-up
 * (module loading, compiling) from a slow check without instrumenting the suite.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';

export interface ProcessSample {
  pid: number;
  /** The program and, for an interpreter, its script: `node cli.js test`, `dpdk-testpmd`. */
  command: string;
  /** User and system CPU time so far, in seconds. */
  cpuS: number;
}

/** The kernel's clock ticks per second (USER_HZ), what /proc/PID/stat counts CPU time in. */
const TICKS_PER_S = 100;

/** A short name for a command line: the program, the script an interpreter runs, its first word after. */
export function shortCommand(argv: readonly string[]): string {
  const program = basename(argv[0] ?? '');
  if (!/^(node|sh|bash)$/.test(program) || argv.length < 2) return program;
  const rest = argv.slice(1).filter((a) => !a.startsWith('-'));
  const script = rest[0] ? basename(rest[0]) : '';
  return [program, script, rest[1] && !rest[1].includes('/') ? rest[1].slice(0, 24) : '']
    .filter(Boolean)
    .join(' ');
}

/** The user-space processes in `proc` (kernel threads have no command line), but `skip`. */
export function sampleProcesses(proc = '/proc', skip: ReadonlySet<number> = new Set()): ProcessSample[] {
  const out: ProcessSample[] = [];
  for (const entry of readdirSync(proc)) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || skip.has(pid)) continue;
    try {
      const argv = readFileSync(`${proc}/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (argv.length === 0) continue;
      // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
      const stat = readFileSync(`${proc}/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cpuS = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
      out.push({ pid, command: shortCommand(argv), cpuS });
    } catch {
      // Gone between the listing and the read.
    }
  }
  return out;
}

export interface TimelineEvent {
  /** Milliseconds since the timeline started. */
  atMs: number;
  pid: number;
  command: string;
  event: 'start' | 'end';
  /** At its end: how long it was seen and its last CPU time. */
  livedMs?: number;
  cpuS?: number;
}

/** Follows the processes of `proc` every `intervalMs`, saying each start and end. */
export class ProcessTimeline {
  readonly events: TimelineEvent[] = [];
  readonly #seen = new Map<number, { sample: ProcessSample; sinceMs: number }>();
  readonly #t0 = performance.now();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly say: (line: string) => void,
    private readonly proc = '/proc',
    private readonly skip: ReadonlySet<number> = new Set([1, process.pid]),
  ) {}

  /** One look at the processes (exported for tests; `start` calls it every `intervalMs`). */
  tick(): void {
    const now = performance.now() - this.#t0;
    const alive = new Map(sampleProcesses(this.proc, this.skip).map((s) => [s.pid, s]));
    for (const [pid, { sample, sinceMs }] of this.#seen)
      if (!alive.has(pid)) {
        this.#seen.delete(pid);
        const e: TimelineEvent = {
          atMs: now,
          pid,
          command: sample.command,
          event: 'end',
          livedMs: now - sinceMs,
          cpuS: sample.cpuS,
        };
        this.events.push(e);
        this.say(
          `- ${pid} ${sample.command}: ${(e.livedMs! / 1000).toFixed(1)} s, CPU ${sample.cpuS.toFixed(1)} s`,
        );
      }
    for (const [pid, sample] of alive) {
      const known = this.#seen.get(pid);
      if (known) {
        known.sample = sample;
        continue;
      }
      this.#seen.set(pid, { sample, sinceMs: now });
      this.events.push({ atMs: now, pid, command: sample.command, event: 'start' });
      this.say(`+ ${pid} ${sample.command}`);
    }
  }

  start(intervalMs = 1000): this {
    this.tick();
    this.#timer = setInterval(() => this.tick(), intervalMs);
    this.#timer.unref();
    return this;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.tick();
  }
}
