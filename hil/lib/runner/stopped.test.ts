import type { CheckResult, DutSummary, RunSummary } from '@dpdk-hotplug/conformance';
import { describe, expect, it } from 'vitest';
import { describeStop, stoppedAt } from './stopped.js';

const SURPRISE = [101, 102, 103, 104, 110, 111, 106, 112, 108, 109];
const dut = (name: string, ended: [number, CheckResult['status']][], notRun?: string): DutSummary => ({
  name,
  pmd: 'net_e1000_em',
  devargs: '0000:01:00.0',
  dpdkVersion: 'DPDK 22.11.11',
  planned: SURPRISE,
  // The summary lists a DUT's checks by id, not in the order they ran.
  checks: ended
    .map(([id, status]) => ({ id, title: `${id}.`, status, notes: [], durationMs: 1 }))
    .sort((a, b) => a.id - b.id),
  verdict: 'INCONCLUSIVE',
  ...(notRun ? { notRun } : {}),
});
const run = (duts: DutSummary[]): RunSummary => ({
  startedAt: '2026-12-07T10:50:38.602Z',
  status: 'running',
  checksPlanned: 10,
  duts,
});
const all = SURPRISE.map((id) => [id, 'PASS'] as [number, 'PASS']);
const NOT_BEGUN = 'the run ended before any of its checks';

describe('where a run stopped', () => {
  /**
   * Steps: the IOMMU guest's summary when the 14th session's full run stopped it (its first DUT
   * complete, e1000's surprise DUT through 112, which timed out, the others not begun).
   * Verify: the DUT is e1000's surprise one, after 112 (the last to end, by run order: not 111,
   * the highest id before it), 108 and 109 not reached; in words, one sentence saying so.
   */
  it('names the DUT, the last of its checks to end, and those not reached', () => {
    const stopped = run([
      dut('virtual-e1000-vfio-pci-clean', all),
      dut('virtual-e1000-vfio-pci-surprise', [
        ...SURPRISE.slice(0, 7).map((id) => [id, 'PASS'] as [number, 'PASS']),
        [112, 'FAIL'],
      ]),
      dut('virtual-e1000e-vfio-pci-clean', [], NOT_BEGUN),
    ]);
    const f = stoppedAt(stopped);
    expect(f).toEqual({
      dut: 'virtual-e1000-vfio-pci-surprise',
      after: 112,
      ended: ['101 PASS', '102 PASS', '103 PASS', '104 PASS', '110 PASS', '111 PASS', '106 PASS', '112 FAIL'],
      notReached: [108, 109],
    });
    expect(describeStop(f!)).toBe(
      'virtual-e1000-vfio-pci-surprise after check 112 (the last to end; 101 PASS, 102 PASS, 103 PASS, 104 PASS, 110 PASS, 111 PASS, 106 PASS, 112 FAIL ended; not reached: 108, 109)',
    );
  });

  /**
   * Steps: a DUT not begun after a complete one (marked not run, as a running summary does); a
   * planned DUT the summary does not list; every DUT complete.
   * Verify: the one about to run, with no check ended; the unlisted one, nothing known of its
   * checks; nothing.
   */
  it('names the DUT about to run when none is half-way, and nothing when all ended', () => {
    const f = stoppedAt(run([dut('a', all), dut('b', [], NOT_BEGUN)]));
    expect(f).toEqual({ dut: 'b', ended: [], notReached: SURPRISE });
    expect(describeStop(f!)).toBe('b before its first check ended');
    expect(stoppedAt(run([dut('a', all)]), ['a', 'z'])).toEqual({ dut: 'z', ended: [], notReached: [] });
    expect(stoppedAt(run([dut('a', all)]))).toBeUndefined();
    expect(stoppedAt(undefined, ['x'])).toEqual({ dut: 'x', ended: [], notReached: [] });
  });

  it('reads a record of before `after` and `notReached`', () => {
    expect(describeStop({ dut: 'c', ended: ['101 PASS'] })).toBe('c (101 PASS ended)');
  });
});
