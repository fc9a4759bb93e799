/** For the end-to-end tests that spawn `certify`: whether the run they judge finished. */
import type { SpawnSyncReturns } from 'node:child_process';
import { loadavg } from 'node:os';
import type { RunSummary } from '../model/summary.js';

/**
 * Throws when the test's own time limit (spawnSync's `timeout`) cut the run: certify then stops
 * gracefully and its summary lacks the checks it did not reach, which a test would otherwise
 * misread as a finding (a check that is undefined, a verdict without them). Says the limit, the
 * load and the required checks not run.
 */
export function assertRunFinished(
  what: string,
  r: SpawnSyncReturns<string>,
  run: RunSummary,
  limitMs: number,
): void {
  if (!r.error && !r.signal && run.status !== 'interrupted') return;
  const notRun = run.duts.flatMap((d) =>
    (d.requiredNotRun ?? []).filter((g) => g.status === 'NOT RUN').map((g) => `${d.name} ${g.check}`),
  );
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  throw new Error(
    `the run of ${what} did not finish within this test's ${limitMs / 1000} s (load ${load}; ${r.error?.message ?? r.signal ?? run.status}); required checks not run: ${notRun.join(', ') || 'none'}`,
  );
}
