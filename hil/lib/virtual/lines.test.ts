// `lab virtual`'s closing lines: each DUT once, the runner's note once (it followed every DUT's
// line in the 14th session's full run: 36 copies of one stall's story).
import type { DutSummary, RunSummary } from '@dpdk-hotplug/conformance';
import { expect, it } from 'vitest';
import { virtualLines } from './run.js';

const dut = (name: string, more: Partial<DutSummary> = {}) =>
  ({ name, pmd: 'net_e1000_em', verdict: 'CERTIFIED', checks: [], ...more }) as DutSummary;

it('one line a DUT, its attempt and why it did not run, then each runner note once', () => {
  const summary = {
    duts: [
      dut('a'),
      dut('b', { attempt: { number: 2 } }),
      dut('c', { verdict: 'INCONCLUSIVE', pci: { skipped: 'no igb in QEMU 7.2' } as DutSummary['pci'] }),
    ],
    runners: [{ runner: 'r1', note: 'attempt 1 stalled; attempt 2 ran b' }, { runner: 'r2' }],
  } as unknown as RunSummary;
  expect(virtualLines(summary)).toEqual([
    `${'CERTIFIED'.padEnd(23)} a`,
    `${'CERTIFIED'.padEnd(23)} b (attempt 2)`,
    `${'INCONCLUSIVE'.padEnd(23)} c (not run: no igb in QEMU 7.2)`,
    'runner r1: attempt 1 stalled; attempt 2 ran b',
  ]);
});
