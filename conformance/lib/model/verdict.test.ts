import { describe, expect, it } from 'vitest';
import { check, dutOf as dut } from '../test-support/results.js';
import { attributeAcrossDuts, judge, judgeDut, notRunDut } from './verdict.js';

describe('judge: the one verdict rule', () => {
  it('CERTIFIED when every planned required check passed or does not apply', () => {
    expect(judge([check(1, 'PASS'), check(2, 'SKIP', { reason: 'no traffic here' })], [1, 2])).toEqual({
      verdict: 'CERTIFIED',
      reasons: [],
    });
  });

  it('FAILED on a required check failed by the PMD (a failure with no owner is the PMD’s)', () => {
    const j = judge([check(1, 'PASS'), check(7, 'FAIL', { reason: 'dpdkHeapBytes grows' })], [1, 7]);
    expect(j.verdict).toBe('FAILED');
    expect(j.reasons).toEqual(['check 7: dpdkHeapBytes grows']);
  });

  it('advisory findings (10, 11) and reported checks (15) give warnings, never FAILED', () => {
    const j = judge(
      [check(1, 'PASS'), check(10, 'FAIL'), check(11, 'FAIL'), check(15, 'FAIL')],
      [1, 10, 11, 15],
    );
    expect(j.verdict).toBe('CERTIFIED WITH WARNINGS');
    expect(j.reasons).toHaveLength(3);
  });

  it('INCONCLUSIVE when a required check could not be judged: environment, suite, a skip for a need, not run', () => {
    expect(judge([check(2, 'FAIL', { fault: 'environment', reason: 'memlock' })], [2]).verdict).toBe(
      'INCONCLUSIVE',
    );
    expect(judge([check(2, 'FAIL', { fault: 'suite' })], [2]).verdict).toBe('INCONCLUSIVE');
    const need = judge([check(14, 'SKIP', { needs: '48 free 2 MB hugepages' })], [14]);
    expect(need).toEqual({ verdict: 'INCONCLUSIVE', reasons: ['check 14 needs 48 free 2 MB hugepages'] });
    expect(judge([check(1, 'PASS')], [1, 4]).reasons).toEqual(['check 4 did not run']);
  });

  it('a PMD failure outweighs an inconclusive check; a DPDK core finding is a warning for the PMD', () => {
    expect(judge([check(2, 'FAIL', { fault: 'environment' }), check(7, 'FAIL')], [2, 7]).verdict).toBe(
      'FAILED',
    );
    expect(judge([check(14, 'FAIL', { fault: 'dpdk' })], [14]).verdict).toBe('CERTIFIED WITH WARNINGS');
  });
});

describe('notRunDut: a DUT the suite did not run, built one way', () => {
  const named = { name: 'lab2-b', pmd: 'net_e1000_em', devargs: '0000:01:00.0', dpdkVersion: 'DPDK 22.11' };

  it('is INCONCLUSIVE with one reason saying why, even with nothing planned (judge alone says CERTIFIED)', () => {
    expect(judge([], []).verdict).toBe('CERTIFIED');
    const d = notRunDut({ ...named, planned: [] }, 'runner lab2 stopped before it');
    expect(d).toMatchObject({ ...named, checks: [], notRun: 'runner lab2 stopped before it' });
    expect([d.verdict, d.verdictReasons]).toEqual([
      'INCONCLUSIVE',
      ['not run: runner lab2 stopped before it'],
    ]);
  });

  it('says why in one line instead of a line per planned check, skipped for a need or not run', () => {
    const skipped = [1, 4].map((id) => check(id, 'SKIP', { needs: 'QEMU 8.0' }));
    const d = notRunDut({ ...named, planned: [1, 4], checks: skipped }, 'QEMU 7.2: igb since 8.0');
    expect(d.verdictReasons).toEqual(['not run: QEMU 7.2: igb since 8.0']);
    expect(d.checks).toBe(skipped);
  });

  it('stays not run when judged again, and a PMD failure it did show still outweighs it', () => {
    const d = notRunDut({ ...named, planned: [1] }, 'the run ended before any of its checks');
    expect(judgeDut(d).verdict).toBe('INCONCLUSIVE');
    d.checks = [check(1, 'FAIL', { reason: 'port id leaks' })];
    expect([judgeDut(d).verdict, d.verdictReasons]).toEqual(['FAILED', ['check 1: port id leaks']]);
  });
});

describe('attributeAcrossDuts: what fails for every PMD is one core finding', () => {
  it('moves a check failed by ≥ 3 PMDs, a control among them, and passed by none, to DPDK', () => {
    const duts = ['net_null', 'net_pcap', 'net_tap'].map((p) =>
      dut(p, p, [check(1, 'PASS'), check(14, 'FAIL', { reason: 'secondary crashed' })]),
    );
    const findings = attributeAcrossDuts(duts, 'DPDK 22.11.11');
    expect(findings).toEqual([
      expect.objectContaining({ check: 14, duts: ['net_null', 'net_pcap', 'net_tap'] }),
    ]);
    expect(duts.map((d) => d.verdict)).toEqual(Array(3).fill('CERTIFIED WITH WARNINGS'));
    expect(duts[0]!.checks[1]!.fault).toBe('dpdk');
  });

  it('leaves a failure with the PMD when any DUT passed the check, or too few PMDs, or no control failed', () => {
    const passedByOne = [
      dut('a', 'net_null', [check(7, 'FAIL')]),
      dut('b', 'net_failsafe', [check(7, 'FAIL')]),
      dut('c', 'net_tap', [check(7, 'FAIL')]),
      dut('d', 'net_ring', [check(7, 'PASS')]),
    ];
    expect(attributeAcrossDuts(passedByOne, 'DPDK')).toEqual([]);
    const twoPmds = [dut('a', 'net_null', [check(7, 'FAIL')]), dut('b', 'net_failsafe', [check(7, 'FAIL')])];
    expect(attributeAcrossDuts(twoPmds, 'DPDK')).toEqual([]);
    const noControl = ['net_tap', 'net_tun', 'net_pcap'].map((p) => dut(p, p, [check(3, 'FAIL')]));
    expect(attributeAcrossDuts(noControl, 'DPDK')).toEqual([]);
    expect(noControl[0]!.checks[0]!.fault).toBeUndefined();
  });

  it("lists a failure a check's own control moved to DPDK once, with every DUT it touched", () => {
    const moved = { reason: 'detach in the primary: …', fault: 'dpdk' as const, evidence: ['control fails'] };
    const duts = [
      dut('a', 'net_tap', [check(14, 'FAIL', moved)]),
      dut('b', 'net_pcap', [check(14, 'FAIL', moved)]),
      dut('c', 'net_null', [check(14, 'PASS')]),
    ];
    expect(attributeAcrossDuts(duts, 'DPDK 22.11.11')).toEqual([
      {
        check: 14,
        dpdkVersion: 'DPDK 22.11.11',
        duts: ['a', 'b'],
        reason: moved.reason,
        evidence: 'control fails',
      },
    ]);
  });
});
