import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CYCLES_FILE, CycleLog, readCycles, sensitivity } from './cycles.js';

describe("check 6's cycles, handed to checks 7 and 15", () => {
  it('reads what the log wrote, cycle by cycle, and leaves out a torn last line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dphp-cycles-'));
    try {
      expect(readCycles(dir)).toBeUndefined();
      const log = new CycleLog(dir, 3);
      expect(readCycles(dir)).toEqual({ planned: 3, records: [] });
      const record = { attachMs: 1.5, detachMs: 0.5, resources: { fds: 10 } };
      log.add(record);
      log.add({ ...record, resources: { fds: 11 } });
      log.close();
      // A worker killed in the middle of a write.
      appendFileSync(join(dir, CYCLES_FILE), '{"attachMs": 2, "detac');
      expect(readCycles(dir)).toEqual({
        planned: 3,
        records: [record, { ...record, resources: { fds: 11 } }],
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

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

describe('a failed start and a failed re-attach, beside the cycles', () => {
  it('reads them apart from the cycles', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dphp-cycles-'));
    try {
      const record = { attachMs: 1, detachMs: 2, resources: { memzones: 256 }, started: false };
      const log = new CycleLog(dir, 20);
      log.startFailed({ cycle: 0, error: 'DpdkError: start failed with EIO' });
      log.add(record);
      log.reattachFailed({ cycle: 1, error: 'DpdkError: RING', leftBehind: 'memzones +256 (RG_a, …)' });
      log.close();
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
