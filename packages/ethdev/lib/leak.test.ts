import { describe, expect, it } from 'vitest';
import { analyzeLeaks, detectionFloor, percentile, slope, warmup } from './leak.js';

const series = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

describe('slope', () => {
  it('fits a line', () => {
    expect(slope([0, 1, 2, 3], [1, 3, 5, 7])).toBeCloseTo(2);
    expect(slope([0, 1, 2], [4, 4, 4])).toBe(0);
    expect(slope([1], [1])).toBe(0);
  });
});

describe('analyzeLeaks', () => {
  it('finds a steady per-cycle growth and names the resource', () => {
    const samples = series(200, (i) => ({ fds: 30, dpdkHeapBytes: 360_000 + 384 * i, memzones: 2 }));
    const verdicts = analyzeLeaks(samples);
    expect(verdicts.filter((v) => v.leaks).map((v) => v.resource)).toEqual(['dpdkHeapBytes']);
    expect(verdicts.find((v) => v.resource === 'dpdkHeapBytes')!.slope).toBeCloseTo(384);
  });

  it('treats a one-off jump in the warm-up as warm-up', () => {
    const samples = series(100, (i) => ({ memzones: i < 3 ? 1 : 2, fds: 30 }));
    expect(analyzeLeaks(samples).some((v) => v.leaks)).toBe(false);
  });

  it('does not call noise that comes and goes a leak', () => {
    const samples = series(500, (i) => ({
      fds: 30 + (i % 3 === 0 ? 1 : 0),
      nativeRssBytes: 80e6 + ((i * 7919) % 13) * 4096,
    }));
    expect(analyzeLeaks(samples).some((v) => v.leaks)).toBe(false);
  });

  it('catches one fd lost every ten cycles', () => {
    const samples = series(1000, (i) => ({ fds: 30 + Math.floor(i / 10) }));
    expect(analyzeLeaks(samples)).toMatchObject([{ resource: 'fds', leaks: true }]);
  });

  it('needs a few cycles after warm-up to say anything', () => {
    expect(analyzeLeaks(series(4, () => ({ fds: 1 })))).toEqual([]);
    expect(warmup(1000)).toBe(100);
    expect(warmup(10)).toBe(3);
  });
});

describe('percentile', () => {
  it('takes the nearest rank', () => {
    const v = series(100, (i) => i + 1);
    expect([percentile(v, 50), percentile(v, 99), percentile(v, 100)]).toEqual([50, 99, 100]);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('what a run can see', () => {
  it('names the smallest leak a run of N cycles can call one, and none below it is called', () => {
    // 10 cycles: a warm-up of 3, a window of 7 (span 6): 4096 / 6 ≈ 683 B of heap per cycle.
    expect(detectionFloor(10)?.dpdkHeapBytes).toBeCloseTo(4096 / 6);
    expect(detectionFloor(10)?.fds).toBeCloseTo(2 / 6);
    // 1000 cycles: the per-cycle threshold decides (8 B), not the total.
    expect(detectionFloor(1000)?.dpdkHeapBytes).toBe(8);
    expect(detectionFloor(4)).toBeUndefined();
    // net_null's 384 B per cycle: not seen in 10 cycles, seen in 20.
    const heap = (n: number) =>
      series(n, (i) => ({ fds: 30, dpdkHeapBytes: 360_000 + 384 * i, memzones: 2 }));
    const leaks = (n: number) => analyzeLeaks(heap(n)).some((v) => v.resource === 'dpdkHeapBytes' && v.leaks);
    expect(leaks(10)).toBe(false);
    expect(detectionFloor(10)!.dpdkHeapBytes).toBeGreaterThan(384);
    expect(leaks(20)).toBe(true);
    expect(detectionFloor(20)!.dpdkHeapBytes).toBeLessThan(384);
  });
});
