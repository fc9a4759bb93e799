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
  /**
   * Its threads' CPU time so far, in seconds, summed by thread name (`main` for its first thread,
   * then `node` — Node 20 names V8's and its own threads so —, `dphp-worker` for the SDK's async
   * worker, `eal-intr-thread` …): which thread of a worker used the CPU. Only for a process of 2
   * threads or more.
   */
  threads?: Record<string, number>;
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

/** Fields after a stat line's command (its closing parenthesis): utime, stime are the 12th and 13th. */
function cpuOfStat(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
}

/** A process's threads' CPU by name, its first `main`, from /proc/PID/task (undefined for one thread, or gone). */
function threadsOf(dir: string, pid: number): Record<string, number> | undefined {
  let tids: string[];
  try {
    tids = readdirSync(`${dir}/task`);
  } catch {
    return undefined;
  }
  if (tids.length < 2) return undefined;
  const byName: Record<string, number> = {};
  for (const tid of tids) {
    try {
      const stat = readFileSync(`${dir}/task/${tid}/stat`, 'utf8');
      const name = Number(tid) === pid ? 'main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      byName[name] = (byName[name] ?? 0) + cpuOfStat(stat);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return byName;
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
      const cpuS = cpuOfStat(readFileSync(`${proc}/${pid}/stat`, 'utf8'));
      const threads = threadsOf(`${proc}/${pid}`, pid);
      out.push({ pid, command: shortCommand(argv), cpuS, ...(threads ? { threads } : {}) });
    } catch {
      // Gone between the listing and the read.
    }
  }
  return out;
}

/** The threads that used the most CPU, as `; threads: node 12.3 s, V8 DefaultWork 4.0 s` (up to 4 of 0.1 s or more). */
function busiest(threads: Record<string, number> | undefined): string {
  const top = Object.entries(threads ?? {})
    .filter(([, s]) => s >= 0.1)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4);
  return top.length ? `; threads: ${top.map(([n, s]) => `${n} ${s.toFixed(1)} s`).join(', ')}` : '';
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
          `- ${pid} ${sample.command}: ${(e.livedMs! / 1000).toFixed(1)} s, CPU ${sample.cpuS.toFixed(1)} s${busiest(sample.threads)}`,
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
