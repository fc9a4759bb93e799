/**
 * The one leak analysis, used by `certify` (check 7), the lab (check 107) and `probe runtime`.
 * Leak accounting over attach/detach cycles: per resource, the least-squares slope of its
 * readings against the cycle number, after a warm-up. A resource leaks when it grows steadily:
 * the slope is at least `perCycle` and the fitted growth over the window at least `total`.
 * (A one-off allocation, such as ethdev's shared data at the first attach, is warm-up; noise
 * that comes and goes fits a slope near zero.)
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

/** What {@link analyzeLeaks} says of one resource: its first and last reading, and whether it leaks. */
export interface LeakVerdict {
  /** The resource's name in the samples (`dpdkHeapBytes`, `fds` …). */
  resource: string;
  /** Units per cycle. */
  slope: number;
  /** Fitted growth over the analysed window. */
  growth: number;
  /** The first reading of the analysed window (after the warm-up). */
  first: number;
  /** The last reading. */
  last: number;
  /** Whether both the slope and the growth reach the resource's thresholds. */
  leaks: boolean;
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
  return Object.keys(window[0]!).map((resource) => {
    const ys = window.map((s) => s[resource]!);
    const k = slope(xs, ys);
    const growth = k * (xs.at(-1)! - xs[0]!);
    const t = thresholds[resource] ?? { perCycle: Number.POSITIVE_INFINITY, total: Number.POSITIVE_INFINITY };
    return {
      resource,
      slope: k,
      growth,
      first: ys[0]!,
      last: ys.at(-1)!,
      leaks: k >= t.perCycle && growth >= t.total,
    };
  });
}

/**
 * The smallest steady growth per cycle that {@link analyzeLeaks} can call a leak in `cycles`
 * samples, per resource: a growth must pass both the per-cycle and the total threshold over the
 * fitted window, so a short run cannot see a small leak (net_null's 384 B of DPDK heap per cycle
 * needs a window of 11 cycles to pass 4096 B). Undefined when the run is too short for any verdict.
 */
export function detectionFloor(
  cycles: number,
  thresholds: Readonly<Record<string, LeakThreshold>> = DEFAULT_THRESHOLDS,
): Record<string, number> | undefined {
  const span = cycles - warmup(cycles) - 1;
  if (cycles - warmup(cycles) < 3) return undefined;
  return Object.fromEntries(
    Object.entries(thresholds).map(([resource, t]) => [resource, Math.max(t.perCycle, t.total / span)]),
  );
}

/** Nearest-rank percentile of `values` (p from 0 to 100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
