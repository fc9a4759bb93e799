/**
 * Where a lab run that did not end stopped, as its summary shows it — nothing guessed: the DUT it
 * was in, the last of that DUT's checks to end (a check in progress left no result, so which one
 * ran is not known) and those not reached. One answer for the retry's lines and reports
 * (runner/attempts.ts, virtual/runners.ts) and the guest agent's blocked-task records; the stall
 * watch's reason says why the guest stopped, not where.
 */
import { readFileSync } from 'node:fs';
import type { DutSummary, RunSummary } from '@dpdk-hotplug/conformance/reports';
import type { InFlight } from './record.js';

/** Every planned check has a result (a FAIL too); nothing planned (the plan did not run it) is complete too. */
export const isComplete = (d: DutSummary): boolean =>
  (d.planned ?? []).every((id) => d.checks.some((c) => c.id === id));

/**
 * The DUT a run stopped in: among the planned DUTs (default: the summary's, which runs them in
 * that order) without a complete result, the first with a check ended, else the first; its
 * checks that ended in run order (`planned` lists them so), and the planned ones without a result.
 * A DUT not begun is marked not run in a running summary too: that mark is no reason to pass it over.
 */
export function stoppedAt(
  summary: RunSummary | undefined,
  planned: readonly string[] = (summary?.duts ?? []).map((d) => d.name),
): InFlight | undefined {
  const byName = new Map((summary?.duts ?? []).map((d) => [d.name, d]));
  const open = planned.filter((n) => {
    const d = byName.get(n);
    return !d || !isComplete(d);
  });
  const name = open.find((n) => (byName.get(n)?.checks.length ?? 0) > 0) ?? open[0];
  if (name === undefined) return undefined;
  const d = byName.get(name);
  const order = d?.planned ?? [];
  const result = (id: number) => d?.checks.find((c) => c.id === id);
  // In run order; a result the plan did not list (none should) after them.
  const ended = [
    ...order.flatMap((id) => result(id) ?? []),
    ...(d?.checks ?? []).filter((c) => !order.includes(c.id)),
  ];
  const after = order.filter((id) => result(id)).at(-1);
  return {
    dut: name,
    ...(after !== undefined ? { after } : {}),
    ended: ended.map((c) => `${c.id} ${c.status}`),
    notReached: order.filter((id) => !result(id)),
  };
}

/**
 * In words: "e1000-surprise after check 112 (the last to end; 101 PASS, …, 112 FAIL ended; not
 * reached: 108, 109)", or "e1000-surprise before its first check ended".
 */
export function describeStop(f: InFlight): string {
  const notReached = f.notReached?.length ? `not reached: ${f.notReached.join(', ')}` : '';
  if (f.ended.length === 0) return `${f.dut} before its first check ended`;
  const ended = `${f.ended.join(', ')} ended${notReached ? `; ${notReached}` : ''}`;
  if (f.after === undefined) return `${f.dut} (${ended})`; // a record of before `after`
  return `${f.dut} after check ${f.after} (the last to end; ${ended})`;
}

/** A run's summary file (rewritten after every check), or undefined while it cannot be read. */
export function readRunSummary(file: string): RunSummary | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as RunSummary;
  } catch {
    return undefined; // not written yet, or half-way through a rename
  }
}

/** Where a run is, in words, from its summary file while it runs (the guest agent's records), if it can be read. */
export function describeStopOf(summaryFile: string): string | undefined {
  const run = readRunSummary(summaryFile);
  const f = run && stoppedAt(run);
  return f && describeStop(f);
}
