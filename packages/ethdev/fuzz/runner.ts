/**
 * The fuzzer's parent: sends inputs in batches to sandboxed children (child.mjs in sandbox.sh:
 * private mount and network namespaces), enforces a time limit per input, starts a fresh child
 * for the rest of a batch when one dies or hangs, re-runs the input that was running alone in a
 * fresh child (so a finding names its input exactly), and sums it all up in a report.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type FuzzInput, makeInput } from './generator.js';
import { explain } from './known.js';

const HERE = dirname(fileURLToPath(import.meta.url));
/** The fuzz folder (this file runs from it under vitest, from its dist/ when compiled). */
export const FUZZ_DIR = basename(HERE) === 'dist' ? dirname(HERE) : HERE;
const REPO = resolve(FUZZ_DIR, '../../..');
const CHILD = join(FUZZ_DIR, 'child.mjs');
const SANDBOX = join(FUZZ_DIR, 'sandbox.sh');

export interface RunOptions {
  readonly seed: number;
  readonly count: number;
  /** The first input's index (default 0). */
  readonly from?: number;
  /** Only these input indices (a finding's, to replay it). */
  readonly only?: readonly number[];
  /** Children running at once (default 2, the machine's cores). */
  readonly jobs?: number;
  readonly batchSize?: number;
  /** A devargs input still running after this is a hang (default 5 s; options inputs twice it). */
  readonly inputTimeoutMs?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

/** What happened to one input, as the child reported it. */
export interface Outcome {
  kind: 'refused' | 'error' | 'attached' | 'accepted' | 'exception';
  stage?: string;
  code?: string;
  errno?: number;
  key?: string;
  type?: string;
  message?: string;
  close?: Outcome;
  detach?: Outcome;
  forceDetach?: Outcome;
  cleanup?: string[];
}

export interface Leftover {
  what: 'ports' | 'devices' | 'netdevs' | 'fds' | 'files' | 'prototype';
  error?: string;
  count?: number;
  names?: string[];
  targets?: string[];
  paths?: string[];
  keys?: string[];
}

export interface Finding {
  kind: 'crash' | 'hang' | 'leftover' | 'exception';
  index: number;
  input: FuzzInput;
  /** The signal or exit code (crash), the time limit (hang), what was left, the exception. */
  detail: string;
  /** Re-run alone in a fresh child: did it happen again (crash, hang)? */
  alone?: 'reproduced' | 'not-reproduced';
  /** The inputs the child ran just before, when it did not happen alone. */
  after?: number[];
  stderr?: string;
  leftovers?: Leftover[];
  outcome?: Outcome;
  /** Set when the finding is a known one (known.ts): its id and why. */
  known?: { id: string; status: 'open' | 'pmd' | 'by-design'; why: string };
}

export interface FuzzReport {
  seed: number;
  from: number;
  /** The input indices run, when only some were. */
  only?: readonly number[];
  inputs: number;
  devargsInputs: number;
  optionsInputs: number;
  jobs: number;
  batchSize: number;
  durationMs: number;
  children: number;
  /** outcome label (`refused:INVALID_DEVARGS`, `error:ATTACH_FAILED`, `attached` …) → inputs. */
  outcomes: Record<string, number>;
  /** errno name of DPDK's failures → inputs. */
  errnos: Record<string, number>;
  /** mutation → outcome label → inputs. */
  byMutation: Record<string, Record<string, number>>;
  /** Outcomes by the PMD or device class of the seed (`options` for Eal.init inputs). */
  byClass: Record<string, Record<string, number>>;
  crashes: Finding[];
  hangs: Finding[];
  leftovers: Finding[];
  exceptions: Finding[];
  /** Per input index: its outcome label, for assertions on input classes. */
  labels: Record<number, string>;
}

/** Why the fuzzer cannot run here, or undefined when it can. */
export function cannotRun(): string | undefined {
  if (process.platform !== 'linux') return 'the sandbox needs Linux namespaces';
  if (process.getuid?.() !== 0) return 'the sandbox needs root (mount and network namespaces)';
  for (const tool of ['unshare', 'prlimit', 'ip', 'mkfifo']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is missing (util-linux, iproute2, coreutils)`;
    }
  }
  if (!existsSync(join(FUZZ_DIR, '../dist/index.js')))
    return 'the ethdev package is not built (npm run build)';
  return undefined;
}

export function label(o: Outcome | undefined): string {
  if (!o) return 'none';
  if (o.kind === 'attached')
    return o.detach ? `attached, detach ${o.detach.code ?? o.detach.type}` : 'attached';
  if (o.kind === 'accepted') return 'init accepted';
  if (o.kind === 'exception') return `exception:${o.type}`;
  return `${o.kind}:${o.code}`;
}

const errnoNames = new Map(Object.entries(constants.errno).map(([k, v]) => [v, k]));

interface Done {
  i: number;
  outcome: Outcome;
  leftovers: Leftover[];
  /** The inputs the same child ran just before (up to 5). */
  after?: number[];
}

interface ChildRun {
  ready: boolean;
  done: Done[];
  /** An input started and not done: the child died or hung on it. */
  running?: number;
  hung: boolean;
  spent?: string;
  ended: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

const tail = (text: string, n = 1500) => (text.length > n ? text.slice(-n) : text);

let childSerial = 0;

/** One sandboxed child on `inputs`, until it ends, is spent, dies or hangs. */
function runChild(
  mode: 'devargs' | 'options',
  inputs: readonly FuzzInput[],
  timeoutMs: number,
): Promise<ChildRun> {
  const prefix = `fz-${process.pid}-${++childSerial}`;
  const child: ChildProcess = spawn(
    'prlimit',
    [
      '--core=0',
      '--',
      'unshare',
      '--mount',
      '--net',
      '--fork',
      '--propagation',
      'private',
      '--',
      'sh',
      SANDBOX,
      REPO,
      process.execPath,
      CHILD,
    ],
    { stdio: ['pipe', 'pipe', 'pipe', 'pipe'], detached: true, cwd: tmpdir() },
  );
  const run: ChildRun = {
    ready: false,
    done: [],
    hung: false,
    ended: false,
    code: null,
    signal: null,
    stderr: '',
  };
  let timer: NodeJS.Timeout | undefined;
  const kill = () => {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {}
  };
  const arm = (ms: number) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (run.running !== undefined) run.hung = true;
      kill();
    }, ms);
  };
  arm(30_000); // start-up: node, the SDK and rte_eal_init
  let pending = '';
  child.stdio[3]!.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      const msg = JSON.parse(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
      nl = pending.indexOf('\n');
      if (msg.t === 'ready') {
        run.ready = true;
        clearTimeout(timer);
      } else if (msg.t === 'start') {
        run.running = msg.i;
        arm(timeoutMs);
      } else if (msg.t === 'done') {
        run.running = undefined;
        clearTimeout(timer);
        run.done.push({ i: msg.i, outcome: msg.outcome, leftovers: msg.leftovers });
      } else if (msg.t === 'spent') run.spent = msg.why;
      else if (msg.t === 'end') run.ended = true;
      else if (msg.t === 'init-failed') run.stderr += `${msg.message}\n`;
    }
  });
  child.stderr!.on('data', (b: Buffer) => {
    run.stderr = tail(run.stderr + b.toString(), 4000);
  });
  child.stdout!.on('data', () => {});
  child.stdin!.on('error', () => {});
  child.stdin!.end(JSON.stringify({ mode, prefix, inputs }));
  return new Promise((resolveRun) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      run.code = code;
      run.signal = signal;
      resolveRun(run);
    });
  });
}

interface Suspect {
  input: FuzzInput;
  kind: 'crash' | 'hang';
  detail: string;
  after: number[];
  stderr: string;
}

/** Runs `inputs` of one mode in as many children as it takes. */
async function runBatch(
  mode: 'devargs' | 'options',
  inputs: readonly FuzzInput[],
  timeoutMs: number,
  sink: { done: (d: Done, input: FuzzInput) => void; suspect: (s: Suspect) => void; child: () => void },
): Promise<void> {
  let rest = [...inputs];
  let failedStarts = 0;
  while (rest.length > 0) {
    sink.child();
    const run = await runChild(mode, rest, timeoutMs);
    const finished = new Set<number>();
    run.done.forEach((d, k) => {
      finished.add(d.i);
      sink.done(
        { ...d, after: run.done.slice(Math.max(0, k - 5), k).map((x) => x.i) },
        rest.find((x) => x.index === d.i)!,
      );
    });
    if (run.running !== undefined) {
      const input = rest.find((x) => x.index === run.running)!;
      const detail = run.hung
        ? `still running after ${timeoutMs} ms`
        : run.signal
          ? `killed by ${run.signal}`
          : `exited with code ${run.code}`;
      sink.suspect({
        input,
        kind: run.hung ? 'hang' : 'crash',
        detail,
        after: run.done.slice(-5).map((d) => d.i),
        stderr: tail(run.stderr),
      });
      finished.add(input.index);
    } else if (!run.ended && !run.spent) {
      const last = run.done.at(-1);
      if (!run.ready || !last) {
        // Died before its first input: the machine, not an input; once may be bad luck.
        if (++failedStarts >= 2) {
          throw new Error(
            `a fuzz child could not start (code ${run.code}, signal ${run.signal}): ${tail(run.stderr, 800)}`,
          );
        }
      } else {
        // Died after an input was done (at the next input's start, or at cleanup): that input.
        sink.suspect({
          input: rest.find((x) => x.index === last.i)!,
          kind: 'crash',
          detail: `died after the input was done (${run.signal ? `killed by ${run.signal}` : `exit code ${run.code}`})`,
          after: run.done.slice(-6, -1).map((d) => d.i),
          stderr: tail(run.stderr),
        });
      }
    }
    rest = rest.filter((x) => !finished.has(x.index));
  }
}

/** `work` on every item, `jobs` at a time. */
async function pool<T>(items: readonly T[], jobs: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
  };
  await Promise.all(Array.from({ length: jobs }, worker));
}

/** Runs the fuzzer: inputs `from` … `from + count - 1` of `seed` (or `only` those). */
export async function runFuzz(options: RunOptions): Promise<FuzzReport> {
  const why = cannotRun();
  if (why) throw new Error(`the fuzzer cannot run here: ${why}`);
  const started = Date.now();
  const from = options.from ?? 0;
  const jobs = options.jobs ?? 2;
  const batchSize = options.batchSize ?? 250;
  const timeoutMs = options.inputTimeoutMs ?? 5000;
  const indices = options.only ?? Array.from({ length: options.count }, (_, k) => from + k);
  const inputs = indices.map((i) => makeInput(options.seed, i));
  const report: FuzzReport = {
    seed: options.seed,
    from,
    ...(options.only ? { only: options.only } : {}),
    inputs: inputs.length,
    devargsInputs: inputs.filter((i) => i.kind === 'devargs').length,
    optionsInputs: inputs.filter((i) => i.kind === 'options').length,
    jobs,
    batchSize,
    durationMs: 0,
    children: 0,
    outcomes: {},
    errnos: {},
    byMutation: {},
    byClass: {},
    crashes: [],
    hangs: [],
    leftovers: [],
    exceptions: [],
    labels: {},
  };
  const count = (table: Record<string, number>, key: string) => {
    table[key] = (table[key] ?? 0) + 1;
  };
  let finished = 0;
  const suspects: Suspect[] = [];
  const sink = {
    child: () => {
      report.children++;
    },
    suspect: (s: Suspect) => {
      suspects.push(s);
      finished++;
      options.onProgress?.(finished, inputs.length);
    },
    done: (d: Done, input: FuzzInput) => {
      const l = label(d.outcome);
      report.labels[input.index] = l;
      count(report.outcomes, l);
      // DPDK's bare -1 reaches the SDK as errno 1.
      const errno = d.outcome.errno;
      if (errno)
        count(report.errnos, errno === 1 ? '-1 (EPERM)' : (errnoNames.get(errno) ?? `errno ${errno}`));
      for (const m of new Set(input.mutations.length ? input.mutations : ['(none)'])) {
        report.byMutation[m] ??= {};
        count(report.byMutation[m], l);
      }
      const cls = classOf(input);
      report.byClass[cls] ??= {};
      count(report.byClass[cls], l);
      const findings: Finding[] = [];
      for (const o of [d.outcome, d.outcome.close, d.outcome.detach, d.outcome.forceDetach]) {
        if (o?.kind === 'exception') {
          findings.push({
            kind: 'exception',
            index: input.index,
            input,
            detail: `${o.type}: ${o.message}`,
            outcome: d.outcome,
          });
        }
      }
      if (d.leftovers.length > 0) {
        const detail = d.leftovers
          .map((x) => `${x.what}: ${x.count ?? ''}${x.names ?? ''}${x.paths ?? ''}${x.keys ?? ''}`)
          .join('; ');
        findings.push({
          kind: 'leftover',
          after: d.after ?? [],
          index: input.index,
          input,
          detail,
          leftovers: d.leftovers,
          outcome: d.outcome,
        });
      }
      for (const f of findings) {
        f.known = explain(f);
        (f.kind === 'exception' ? report.exceptions : report.leftovers).push(f);
      }
      finished++;
      options.onProgress?.(finished, inputs.length);
    },
  };

  const batches: Array<{ mode: 'devargs' | 'options'; inputs: FuzzInput[] }> = [];
  for (const mode of ['devargs', 'options'] as const) {
    const mine = inputs.filter((i) => i.kind === mode);
    for (let k = 0; k < mine.length; k += batchSize)
      batches.push({ mode, inputs: mine.slice(k, k + batchSize) });
  }
  const queue = [...batches];
  const worker = async () => {
    for (let b = queue.shift(); b; b = queue.shift()) {
      await runBatch(b.mode, b.inputs, b.mode === 'options' ? timeoutMs * 2 : timeoutMs, sink);
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));

  // Each input a child died or hung on, alone in a fresh child: the finding names it exactly.
  await pool(suspects, jobs, async (s) => {
    let again: Suspect | undefined;
    const alone: Done[] = [];
    await runBatch(s.input.kind, [s.input], s.input.kind === 'options' ? timeoutMs * 2 : timeoutMs, {
      child: () => {
        report.children++;
      },
      suspect: (x) => {
        again = x;
      },
      done: (d) => {
        alone.push(d);
      },
    });
    const finding: Finding = {
      kind: s.kind,
      index: s.input.index,
      input: s.input,
      detail: !again || again.detail === s.detail ? s.detail : `${s.detail}; alone: ${again.detail}`,
      alone: again ? 'reproduced' : 'not-reproduced',
      stderr: again ? again.stderr : s.stderr,
      ...(again ? {} : { after: s.after, outcome: alone[0]?.outcome }),
    };
    finding.known = explain(finding);
    (s.kind === 'hang' ? report.hangs : report.crashes).push(finding);
    const l = s.kind === 'hang' ? 'hang' : 'crash';
    report.labels[s.input.index] = l;
    count(report.outcomes, l);
    const cls = classOf(s.input);
    report.byClass[cls] ??= {};
    count(report.byClass[cls], l);
  });
  // A leftover no known finding explains, alone in a fresh child: its own, or the history's?
  await pool(report.leftovers.filter((x) => !x.known).slice(0, 50), jobs, async (f) => {
    const alone: Done[] = [];
    await runBatch(f.input.kind, [f.input], timeoutMs * 2, {
      child: () => {
        report.children++;
      },
      suspect: () => {},
      done: (d) => {
        alone.push(d);
      },
    });
    f.alone = alone[0] && alone[0].leftovers.length > 0 ? 'reproduced' : 'not-reproduced';
  });
  report.durationMs = Date.now() - started;
  return report;
}

const classOf = (input: FuzzInput) => (input.kind === 'devargs' ? input.pmd : 'options');

/** The outcome table per PMD or device class, as Markdown. */
export function classTable(report: FuzzReport): string[] {
  const short = (l: string) => l.replace(/ \(.*$/, '');
  const rows = Object.entries(report.byClass).sort((a, b) => a[0].localeCompare(b[0]));
  const totals = (t: Record<string, number>) => Object.values(t).reduce((a, b) => a + b, 0);
  const lines = ['| class | inputs | outcomes |', '| --- | ---: | --- |'];
  for (const [cls, t] of rows) {
    const merged: Record<string, number> = {};
    for (const [l, n] of Object.entries(t)) merged[short(l)] = (merged[short(l)] ?? 0) + n;
    const outcomes = Object.entries(merged)
      .sort((a, b) => b[1] - a[1])
      .map(([l, n]) => `${l} ${n}`)
      .join(', ');
    lines.push(`| ${cls} | ${totals(t)} | ${outcomes} |`);
  }
  return lines;
}

/** Findings that no known.ts entry explains. */
export function unexplained(report: FuzzReport): Finding[] {
  return [...report.crashes, ...report.hangs, ...report.leftovers, ...report.exceptions].filter(
    (f) => !f.known,
  );
}

/** Known findings the SDK lets through, reported and not fixed yet. */
export function openFindings(report: FuzzReport): Finding[] {
  return [...report.crashes, ...report.hangs, ...report.leftovers, ...report.exceptions].filter(
    (f) => f.known?.status === 'open',
  );
}

/** The figures, as lines for a terminal. */
export function summary(report: FuzzReport): string[] {
  const known = (list: Finding[]) => {
    const k = list.filter((f) => f.known).length;
    return k
      ? ` (${k} known: ${[...new Set(list.filter((f) => f.known).map((f) => f.known!.id))].join(', ')})`
      : '';
  };
  const lines = [
    `seed ${report.seed}, ${report.only ? `inputs ${report.only.join(',')}` : `inputs ${report.from} … ${report.from + report.inputs - 1}`}: ${report.inputs} (${report.devargsInputs} devargs, ${report.optionsInputs} Eal.init options), ${report.children} children, ${report.jobs} at a time`,
    `duration   ${(report.durationMs / 1000).toFixed(1)} s`,
    `crashes    ${report.crashes.length}${known(report.crashes)}`,
    `hangs      ${report.hangs.length}${known(report.hangs)}`,
    `leftovers  ${report.leftovers.length}${known(report.leftovers)}`,
    `exceptions ${report.exceptions.length}${known(report.exceptions)} (other than HotplugError)`,
    'outcomes:',
    ...Object.entries(report.outcomes)
      .sort((a, b) => b[1] - a[1])
      .map(([l, n]) => `  ${String(n).padStart(7)}  ${l}`),
  ];
  if (Object.keys(report.errnos).length) {
    lines.push(
      `errno of DPDK's failures: ${Object.entries(report.errnos)
        .sort((a, b) => b[1] - a[1])
        .map(([e, n]) => `${e} ${n}`)
        .join(', ')}`,
    );
  }
  lines.push('outcomes per PMD or device class:', ...classTable(report).map((l) => `  ${l}`));
  const all = [...report.crashes, ...report.hangs, ...report.leftovers, ...report.exceptions];
  const byId = new Map<string, Finding[]>();
  for (const f of all.filter((x) => x.known)) byId.set(f.known!.id, [...(byId.get(f.known!.id) ?? []), f]);
  for (const [id, list] of byId) {
    const f = list[0]!;
    lines.push(
      `KNOWN ${f.known!.status} ${id}: ${list.length} × ${f.kind}, e.g. input ${f.index}: ${f.detail}`,
    );
    lines.push(
      `  ${JSON.stringify(f.input.kind === 'devargs' ? f.input.devargs : f.input.recipe).slice(0, 300)}`,
    );
    lines.push(`  ${f.known!.why}`);
  }
  for (const f of unexplained(report)) {
    lines.push(`FINDING ${f.kind} at input ${f.index}: ${f.detail}${f.alone ? ` (alone: ${f.alone})` : ''}`);
    lines.push(`  ${JSON.stringify(f.input.kind === 'devargs' ? f.input.devargs : f.input.recipe)}`);
  }
  return lines;
}
