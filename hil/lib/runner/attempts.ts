/**
 * A runner's second attempt. A QEMU guest under TCG sometimes stalls for good (virtual/stall.ts)
 * or its QEMU ends; the DUTs it had not finished would be "not run". `lab virtual` runs those
 * DUTs again, once, in a fresh guest of the same runner (virtual/runners.ts); this module decides
 * what runs again, and combines the two attempts' folders into one lab run folder that `lab
 * merge` reads as any other: a DUT complete in the first attempt is kept as it was (a FAIL too:
 * never re-run to hide it), the others come from the second, each DUT says which attempt its
 * results come from, and the runner's record says why there were two. One FAIL is not held
 * against its DUT: a check that ran out of time after the stalled guest's last sign of life
 * (`failsInsideStall`) — the guest, not the PMD, stopped under it; that DUT runs again too.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  certificateHtml,
  type DutSummary,
  type RunSummary,
  writeAtomic,
  writeSummary,
} from '@dpdk-hotplug/conformance/reports';
import {
  CERTIFY_FOLDER,
  type GuestEnd,
  type InFlight,
  RUNNER_RECORD,
  type RunnerAttempt,
  type RunnerRecord,
  type StalledCheck,
} from './record.js';
import { describeStop, isComplete, stoppedAt } from './stopped.js';

/**
 * Ends a fresh guest may well not meet again: the guest's own trouble. Not lab run ending (its
 * DUTs had their run), not the operator's stop, not the agent's set-up failing (it would fail
 * the same), not the whole run's timeout (a second one would double it).
 */
const RETRIED: ReadonlySet<GuestEnd> = new Set(['stalled', 'crashed']);
/** The first guest and one fresh one: when the second stalls too, what it left stays not run. */
export const MAX_ATTEMPTS = 2;

export type RetryDecision =
  | { retry: true; duts: string[]; inFlight?: InFlight; insideStall?: StalledCheck[] }
  | { retry: false; why: string };

/** What the host saw of a stall (virtual/stall.ts `StallWatch.window`), in ms since the epoch. */
export interface StallWindow {
  /** The guest's last sign of life the watch saw: its last heartbeat (stopped because nothing moved: its last move). */
  from: number;
  /** When the watch stopped it. */
  to: number;
  /** When the host first saw each check's result in the summary (`checkKey`); one never seen ended after its last look. */
  seen: Record<string, number>;
}

export const checkKey = (dut: string, check: number): string => `${dut} ${check}`;

/** A check ended by a time limit: Playwright's timeout, or the suite's watchdog's (a hang). */
const OUT_OF_TIME = /^timed out after |^hung at .*no progress within/;

/**
 * The FAILs a stall brought: checks that ran out of time (not a failed assertion, not a crash)
 * and ended after the guest's last sign of life — its timer, or the task they waited for, had
 * stopped under them. A FAIL first seen before that is the PMD's, as any other.
 */
export function failsInsideStall(summary: RunSummary | undefined, stall: StallWindow): StalledCheck[] {
  return (summary?.duts ?? []).flatMap((d) =>
    d.checks
      .filter(
        (c) =>
          c.status === 'FAIL' &&
          OUT_OF_TIME.test(c.reason ?? '') &&
          (stall.seen[checkKey(d.name, c.id)] ?? Number.POSITIVE_INFINITY) > stall.from,
      )
      .map((c) => ({ dut: d.name, check: c.id, reason: c.reason! })),
  );
}

/** A DUT with a FAIL among its results, not counting `inside`'s: kept as it is, never run again (a FAIL is not retried away). */
const hasFail = (d: DutSummary | undefined, inside: readonly StalledCheck[]): boolean =>
  !!d?.checks.some((c) => c.status === 'FAIL' && !inside.some((f) => f.dut === d.name && f.check === c.id));

/**
 * What a run that stopped left to run again: the planned DUTs without a complete result, or with
 * a FAIL inside the stall (`stall`: the guest stalled), and without another FAIL; in plan order
 * but those it stopped in last (the DUT it left half-way, those a check of which ran out of time
 * in the stall: if one brought the stall on, it stalls the fresh guest again only after the
 * others ran); where it stopped (runner/stopped.ts), and the FAILs the stall brought.
 */
export function unfinished(
  planned: readonly string[],
  summary: RunSummary | undefined,
  stall?: StallWindow,
): { duts: string[]; inFlight?: InFlight; insideStall?: StalledCheck[] } {
  const byName = new Map((summary?.duts ?? []).map((d) => [d.name, d]));
  const inside = stall ? failsInsideStall(summary, stall).filter((f) => planned.includes(f.dut)) : [];
  const inFlight = stoppedAt(summary, planned);
  const open = planned.filter((name) => {
    const d = byName.get(name);
    return !d || !isComplete(d) || inside.some((f) => f.dut === name);
  });
  const again = open.filter((n) => !hasFail(byName.get(n), inside));
  const last = (n: string) =>
    (n === inFlight?.dut && inFlight.ended.length > 0) || inside.some((f) => f.dut === n);
  const duts = [...again.filter((n) => !last(n)), ...again.filter(last)];
  return {
    duts,
    ...(inFlight ? { inFlight } : {}),
    // Only those of the DUTs that run again: another FAIL holds the rest as they are.
    ...(inside.some((f) => again.includes(f.dut))
      ? { insideStall: inside.filter((f) => again.includes(f.dut)) }
      : {}),
  };
}

/** Whether a runner's attempt `attempt`, which ended so, is followed by another, and with which DUTs. */
export function retryDecision(a: {
  attempt: number;
  end: GuestEnd;
  /** The DUTs the attempt was to certify. */
  planned: readonly string[];
  /** What it wrote (its certify summary), if it got that far. */
  summary?: RunSummary;
  /** What the host saw of the stall, when the guest stalled. */
  stall?: StallWindow;
  /** false: --no-retry-stalled. */
  enabled?: boolean;
}): RetryDecision {
  if (a.enabled === false)
    return { retry: false, why: 'retrying a stalled guest is off (--no-retry-stalled)' };
  if (!RETRIED.has(a.end)) return { retry: false, why: `the guest ${a.end}: not a stall or a crash` };
  if (a.attempt >= MAX_ATTEMPTS)
    return {
      retry: false,
      why: `the guest of attempt ${a.attempt} ${a.end} too: no attempt ${a.attempt + 1}`,
    };
  const left = unfinished(a.planned, a.summary, a.end === 'stalled' ? a.stall : undefined);
  if (left.duts.length === 0)
    return { retry: false, why: 'every DUT had a complete result or a FAIL (never run again)' };
  return { retry: true, ...left };
}

/** Where an attempt stopped, in words: "in e1000e-vfio after check 104 (the last to end; …)". */
export function whereStopped(f: InFlight | undefined): string {
  return f ? `in ${describeStop(f)}` : 'with every DUT finished';
}

/** "check 112 timed out inside the stall (…)": one of `failsInsideStall`'s, in words. */
export const stalledCheckLine = (f: StalledCheck): string =>
  `check ${f.check} ${f.reason.startsWith('hung') ? 'hung' : 'timed out'} inside the stall ("${f.reason}")`;

/** The runner's line about its attempts (lab merge's runner note): why two, what each did. */
export function attemptsNote(attempts: readonly RunnerAttempt[]): string {
  return attempts
    .map((a) => {
      const what =
        a.number === 1
          ? `attempt 1 (${a.duts.length} DUT(s), folder ${a.folder})`
          : `attempt ${a.number} (a fresh guest, folder ${a.folder}) ran again the ${a.duts.length} DUT(s) attempt ${a.number - 1} had not finished (${a.duts.join(', ')})`;
      if (a.end === 'finished') return `${what}: finished`;
      const last = a.number >= MAX_ATTEMPTS ? `; no attempt ${a.number + 1}` : '';
      const inside = a.insideStall?.length
        ? `; ${a.insideStall.map((f) => `${f.dut}'s ${stalledCheckLine(f)}`).join(', ')}: run again`
        : '';
      return `${what}: stopped ${whereStopped(a.inFlight)}${inside}; ${a.why ?? `the guest ${a.end}`}${last}`;
    })
    .join('. ');
}

const readJson = <T>(file: string): T | undefined =>
  existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : undefined;

/**
 * Writes into `into` one lab run folder of a runner's attempts (each attempt's own lab run folder
 * at `into/attempt.folder`, kept as it was): `runner.json` (the first attempt's DUTs, the attempts
 * with why each ended), `certify/summary.json|md` and `certificate.html` (each planned DUT from
 * the last attempt that had checks of it, else the last that listed it, with which attempt it
 * is), and `certify/blob/` (every attempt's blob reports, for lab merge's HTML report).
 */
export function combineAttempts(into: string, attempts: readonly RunnerAttempt[]): RunnerRecord | undefined {
  const read = attempts.map((a) => ({
    a,
    record: readJson<RunnerRecord>(join(into, a.folder, RUNNER_RECORD)),
    summary: readJson<RunSummary>(join(into, a.folder, CERTIFY_FOLDER, 'summary.json')),
  }));
  const recorded = read.filter((r) => r.record);
  if (recorded.length === 0) return undefined; // no attempt got to lab run: lab merge has nothing to read
  const first = recorded[0]!.record!;
  const last = read.at(-1)!;
  const planned = attempts[0]!.duts;
  const duts: DutSummary[] = [];
  for (const name of planned) {
    const has = read.filter((r) => r.summary?.duts.some((d) => d.name === name));
    const from =
      has.filter((r) => r.summary!.duts.find((d) => d.name === name)!.checks.length).at(-1) ?? has.at(-1);
    if (!from) continue; // lab merge names it "not run"
    const d = from.summary!.duts.find((x) => x.name === name)!;
    const earlier = read
      .filter((r) => r.a.number < from.a.number && r.a.duts.includes(name))
      .map((r) => {
        const inside = (r.a.insideStall ?? []).filter((f) => f.dut === name);
        if (r.a.inFlight?.dut !== name && inside.length === 0)
          return `attempt ${r.a.number}'s guest ${r.a.end} before it`;
        return [
          `attempt ${r.a.number}'s guest ${r.a.end} ${whereStopped(r.a.inFlight)}`,
          ...(inside.length ? [`${inside.map(stalledCheckLine).join(', ')}: run again`] : []),
          `those results are in ${r.a.folder}`,
        ].join('; ');
      });
    duts.push({
      ...d,
      attempt: { number: from.a.number, ...(earlier.length ? { earlier: earlier.join('; ') } : {}) },
    });
  }
  const summaries = read.flatMap((r) => (r.summary ? [{ ...r, summary: r.summary }] : []));
  const out = join(into, CERTIFY_FOLDER);
  mkdirSync(join(out, 'blob'), { recursive: true });
  if (summaries.length) {
    const coreFindings = summaries.flatMap((s) => s.summary.coreFindings ?? []);
    const reports = summaries.flatMap((s) =>
      (s.summary.reports ?? []).map((l) => ({
        ...l,
        label: `${l.label} (attempt ${s.a.number})`,
        href: join('..', s.a.folder, CERTIFY_FOLDER, l.href),
      })),
    );
    const lastSummary = summaries.at(-1)!.summary;
    const run: RunSummary = {
      ...lastSummary,
      startedAt: summaries[0]!.summary.startedAt,
      status: last.summary?.status ?? 'interrupted',
      checksPlanned: Math.max(...summaries.map((s) => s.summary.checksPlanned)),
      duts,
      ...(reports.length ? { reports } : {}),
      ...(coreFindings.length ? { coreFindings } : {}),
    };
    if (!last.summary?.finishedAt) delete run.finishedAt;
    writeSummary(out, run);
    writeAtomic(out, 'certificate.html', certificateHtml(run));
  }
  for (const { a } of read) {
    const blob = join(into, a.folder, CERTIFY_FOLDER, 'blob');
    if (existsSync(blob))
      for (const f of readdirSync(blob).filter((n) => n.endsWith('.zip')))
        copyFileSync(join(blob, f), join(out, 'blob', `attempt-${a.number}-${f}`));
  }
  const record: RunnerRecord = {
    ...first,
    duts: [...planned],
    expectations: Object.assign({}, ...recorded.map((r) => r.record!.expectations ?? {})),
    startedAt: first.startedAt,
    attempts: [...attempts],
  };
  delete record.finishedAt;
  delete record.exitCode;
  if (Object.keys(record.expectations!).length === 0) delete record.expectations;
  // Finished when the last attempt's lab run did; its exit code was about its DUTs alone.
  if (last.record?.finishedAt) record.finishedAt = last.record.finishedAt;
  writeAtomic(into, RUNNER_RECORD, `${JSON.stringify(record, null, 2)}\n`);
  return record;
}
