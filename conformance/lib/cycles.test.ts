import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CYCLES_FILE, readCycles, reattachFailedLine, sensitivity, startFailedLine } from './cycles.js';

describe('sensitivity (what a leak accounting over N cycles could see)', () => {
  it('says there was no accounting below 6 cycles, and a finer floor the more cycles ran', () => {
    expect(sensitivity(1)).toBe('1 cycle(s): too few for the leak accounting, which needs 6');
    const bytes = (n: number) => Number(/: (\d+) B of DPDK heap/.exec(sensitivity(n))?.[1]);
    // net_null's 384 B a cycle: missed over 10 cycles, seen over 20 (why check 6 runs 20).
    expect(bytes(10)).toBeGreaterThan(384);
    expect(bytes(20)).toBeLessThan(384);
    expect(bytes(100)).toBeLessThan(bytes(20));
  });
});

describe('readCycles (what check 6 wrote, for checks 7 and 15)', () => {
  it('reads the cycles, a failed start and a failed re-attach apart, and leaves a torn last line out', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dphp-cycles-'));
    try {
      const record = { attachMs: 1, detachMs: 2, resources: { memzones: 256 }, started: false };
      writeFileSync(
        join(dir, CYCLES_FILE),
        [
          JSON.stringify({ planned: 20 }),
          startFailedLine({ cycle: 0, error: 'DpdkError: start failed with EIO' }).trim(),
          JSON.stringify(record),
          reattachFailedLine({
            cycle: 1,
            error: 'DpdkError: RING',
            leftBehind: 'memzones +256 (RG_a, …)',
          }).trim(),
          '{"attachMs": 3, "det',
        ].join('\n'),
      );
      expect(readCycles(dir)).toEqual({
        planned: 20,
        records: [record],
        startFailed: { cycle: 0, error: 'DpdkError: start failed with EIO' },
        reattachFailed: { cycle: 1, error: 'DpdkError: RING', leftBehind: 'memzones +256 (RG_a, …)' },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
