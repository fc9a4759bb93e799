/**
 * A runner's second attempt. A QEMU guest under TCG sometimes stalls for good (virtual/stall.ts)
 * or its QEMU ends; the DUTs it had not finished would be "not run". `lab virtual` runs those
 * DUTs again, once, in a fresh guest of the same runner (virtual/runners.ts); this module decides
 * what runs again, and combines the two attempts' folders into one lab run folder that `lab
 * merge` reads as any other: a DUT complete in the first attempt is kept as it was (a FAIL too:
 * never re-run to hide it), the others come from the second, each DUT says which attempt its
 * results come from, and the runner's record says why there were two.
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
} from './record.js';

/**
 * Ends a fresh guest may well not meet again: the guest's own trouble. Not lab run ending (its
 * DUTs had their run), not the operator's stop, not the agent's set-up failing (it would fail
 * the same), not the whole run's timeout (a second one would double it).
 */
const RETRIED: ReadonlySet<GuestEnd> = new Set(['stalled', 'crashed']);
/** The first guest and one fresh one: when the second stalls too, what it left stays not run. */
export const MAX_ATTEMPTS = 2;

export type RetryDecision =
  | { retry: true; duts: string[]; inFlight?: InFlight }
  | { retry: false; why: string };

/** Every planned check has a result (a FAIL too); nothing planned (the plan did not run it) is complete too. */
export const isComplete = (d: DutSummary): boolean =>
  (d.planned ?? []).every((id) => d.checks.some((c) => c.id === id));

/** A DUT with a FAIL among its results: kept as it is, never run again (a FAIL is not retried away). */
const hasFail = (d: DutSummary | undefined): boolean => !!d?.checks.some((c) => c.status === 'FAIL');

/**
 * What a run that stopped left to run again: the planned DUTs without a complete result and
 * without a FAIL, in plan order but the one it left half-way last (if that DUT brought the stall
 * on, it stalls the fresh guest again only after the others ran); and where it stopped: the DUT
 * it left half-way (some checks ended, not all; else the first unfinished one) and that DUT's
 * first planned check without a result (`planned` lists a DUT's checks in run order).
 */
export function unfinished(
  planned: readonly string[],
  summary: RunSummary | undefined,
): { duts: string[]; inFlight?: InFlight } {
  const byName = new Map((summary?.duts ?? []).map((d) => [d.name, d]));
  const open = planned.filter((name) => {
    const d = byName.get(name);
    return !d || !isComplete(d);
  });
  const half = open.find((n) => (byName.get(n)?.checks.length ?? 0) > 0);
  const name = half ?? open[0];
  const again = open.filter((n) => !hasFail(byName.get(n)));
  const duts = [...again.filter((n) => n !== half), ...again.filter((n) => n === half)];
  if (name === undefined) return { duts };
  const d = byName.get(name);
  const check = d?.planned?.find((id) => !d.checks.some((c) => c.id === id));
  return {
    duts,
    inFlight: {
      dut: name,
      ...(check !== undefined ? { check } : {}),
      ended: (d?.checks ?? []).map((c) => `${c.id} ${c.status}`),
    },
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
  const left = unfinished(a.planned, a.summary);
  if (left.duts.length === 0)
    return { retry: false, why: 'every DUT had a complete result or a FAIL (never run again)' };
  return { retry: true, ...left };
}

/** Where an attempt stopped, in words: "in check 110 of e1000e-vfio (101 PASS, …)". */
export function whereStopped(f: InFlight | undefined): string {
  if (!f) return 'with every DUT finished';
  if (f.ended.length === 0) return `before ${f.dut}'s first check${f.check ? ` (${f.check})` : ''} ended`;
  return `in check ${f.check ?? '?'} of ${f.dut} (${f.ended.join(', ')} ended)`;
}

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
      return `${what}: stopped ${whereStopped(a.inFlight)}; ${a.why ?? `the guest ${a.end}`}${last}`;
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
      .map((r) =>
        r.a.inFlight?.dut === name
          ? `attempt ${r.a.number}'s guest ${r.a.end} ${whereStopped(r.a.inFlight)}; those results are in ${r.a.folder}`
          : `attempt ${r.a.number}'s guest ${r.a.end} before it`,
      );
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
