/**
 * The one leak analysis, used by `certify` (check 7), the lab (check 107) and `probe runtime`.
 * Leak accounting over attach/detach cycles: per resource, the least-squares slope of its
 * readings against the cycle number, after a warm-up. A resource leaks when it grows steadily:
 * the slope is at least `perCycle` and the fitted growth over the window at least `total`, and
 * both still hold without the window's largest single rise. The fit is of what each reading kept
 * for good (the lowest reading from it on), so a rise that falls back later is not growth.
 * (A one-off allocation, such as ethdev's shared data at the first attach, is warm-up; one after
 * the warm-up, such as a lazily grown table, is a step that does not repeat: over a short run it
 * fits a steep slope, but taken out it leaves nothing. A transient, such as a backend that frees a
 * closed connection a moment after the cycle's sample, falls back, and is left out even when it
 * recurs; only one in the last reading cannot be told from a step.)
 */

export interface LeakThreshold {
  /** Smallest slope (units per cycle) that counts as a leak. */
  perCycle: number;
  /** Smallest fitted growth over the window that counts as a leak. */
  total: number;
}

/** How much each resource may grow a cycle before it counts as a leak. */
export const DEFAULT_THRESHOLDS: Readonly<Record<string, LeakThreshold>> = {
  fds: { perCycle: 0.02, total: 2 },
  threads: { perCycle: 0.02, total: 2 },
  memzones: { perCycle: 0.02, total: 2 },
  ports: { perCycle: 0.02, total: 2 },
  netdevs: { perCycle: 0.02, total: 2 },
  files: { perCycle: 0.02, total: 2 },
  dpdkHeapBytes: { perCycle: 8, total: 4096 },
  // RSS less V8's heap still moves with glibc's arenas: only a large steady growth is a leak.
  nativeRssBytes: { perCycle: 4096, total: 8 * 1024 * 1024 },
};

/** A rise of a resource from one cycle to the next that did not repeat (see {@link LeakVerdict}). */
export interface OneStep {
  /** The cycle (counted from 0) whose reading the rise is in: between `cycle - 1` and `cycle`. */
  cycle: number;
  /** How much the reading rose. */
  rise: number;
}

/** What {@link analyzeLeaks} says of one resource: its first and last reading, and whether it leaks. */
export interface LeakVerdict {
  /** The resource's name in the samples (`dpdkHeapBytes`, `fds` …). */
  resource: string;
  /** Units per cycle, fitted to what the readings kept (each the lowest reading from it on). */
  slope: number;
  /** Fitted growth over the analysed window. */
  growth: number;
  /** The first reading of the analysed window (after the warm-up). */
  first: number;
  /** The last reading. */
  last: number;
  /**
   * Whether both the slope and the growth reach the resource's thresholds, also without the
   * largest single rise of the window.
   */
  leaks: boolean;
  /**
   * Set when the slope and growth reach the thresholds only because of one rise that did not
   * repeat: that rise, which is not a leak.
   */
  oneStep?: OneStep;
}

/** Least-squares slope of ys against xs. */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** Fewest cycles that give a leak verdict: a warm-up of 3 and a window of 3 to fit. */
export const MIN_LEAK_CYCLES = 6;

/** The warm-up left out of the fit: a tenth of the cycles, at least 3, and at most half. */
export function warmup(cycles: number): number {
  return Math.min(Math.floor(cycles / 2), Math.max(3, Math.floor(cycles / 10)));
}

/** One verdict per resource in the samples (numbers keyed by resource name, one per cycle). */
export function analyzeLeaks(
  samples: readonly Record<string, number>[],
  thresholds: Readonly<Record<string, LeakThreshold>> = DEFAULT_THRESHOLDS,
): LeakVerdict[] {
  const skip = warmup(samples.length);
  const window = samples.slice(skip);
  if (window.length < 3) return [];
  const xs = window.map((_, i) => i + skip);
  const span = xs.at(-1)! - xs[0]!;
  return Object.keys(window[0]!).map((resource) => {
    const readings = window.map((s) => s[resource]!);
    const ys = keptForGood(readings);
    const k = slope(xs, ys);
    const t = thresholds[resource] ?? { perCycle: Number.POSITIVE_INFINITY, total: Number.POSITIVE_INFINITY };
    const steep = (kk: number) => kk >= t.perCycle && kk * span >= t.total;
    const verdict: LeakVerdict = {
      resource,
      slope: k,
      growth: k * span,
      first: readings[0]!,
      last: readings.at(-1)!,
      leaks: steep(k),
    };
    if (verdict.leaks) {
      const step = largestRise(ys);
      if (!steep(slope(xs, withoutRise(ys, step.at)))) {
        verdict.leaks = false;
        verdict.oneStep = { cycle: xs[step.at]!, rise: step.rise };
      }
    }
    return verdict;
  });
}

/** Each reading lowered to the lowest one after it: what it kept for good, without transients. */
function keptForGood(ys: readonly number[]): number[] {
  const kept = [...ys];
  for (let i = kept.length - 2; i >= 0; i--) kept[i] = Math.min(kept[i]!, kept[i + 1]!);
  return kept;
}

/** The largest rise from one reading to the next: at the index of the reading after it. */
function largestRise(ys: readonly number[]): { at: number; rise: number } {
  let best = { at: 1, rise: ys[1]! - ys[0]! };
  for (let i = 2; i < ys.length; i++)
    if (ys[i]! - ys[i - 1]! > best.rise) best = { at: i, rise: ys[i]! - ys[i - 1]! };
  return best;
}

/** The readings as if the rise before index `at` had not happened. */
function withoutRise(ys: readonly number[], at: number): number[] {
  const rise = ys[at]! - ys[at - 1]!;
  return ys.map((y, i) => (i >= at ? y - rise : y));
}

/**
 * The smallest steady growth per cycle that {@link analyzeLeaks} can call a leak in `cycles`
 * samples, per resource: a growth must pass both the per-cycle and the total threshold over the
 * fitted window, also without one of its rises, so a short run cannot see a small leak (net_null's
 * 384 B of DPDK heap per cycle needs a window of 13 cycles to pass 4096 B). Undefined when the run is too short for any verdict.
 */
export function detectionFloor(
  cycles: number,
  thresholds: Readonly<Record<string, LeakThreshold>> = DEFAULT_THRESHOLDS,
): Record<string, number> | undefined {
  const n = cycles - warmup(cycles);
  if (n < 3) return undefined;
  // A steady growth must also pass without one of its rises (any: they are equal, to rounding):
  // what is left of a unit rate without the one that weighs most, in the middle.
  const xs = Array.from({ length: n }, (_, i) => i);
  const kept = slope(xs, withoutRise(xs, Math.ceil(n / 2)));
  return Object.fromEntries(
    Object.entries(thresholds).map(([resource, t]) => [
      resource,
      Math.max(t.perCycle, t.total / (n - 1)) / kept,
    ]),
  );
}

/** Nearest-rank percentile of `values` (p from 0 to 100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
