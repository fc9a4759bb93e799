import { describe, expect, it } from 'vitest';
import { sensitivity } from './cycles.js';

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
