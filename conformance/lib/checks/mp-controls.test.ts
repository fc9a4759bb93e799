import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MpOutcome } from '../multi-process/mp-scenario.js';
import { attributeMpFailure, ControlOutcomes, controlFor } from './mp-controls.js';

const pass = (run: string): MpOutcome => ({ run, result: 'pass' });
const fail = (
  run: string,
  said = 'detach in the primary: the secondary process died (SIGSEGV)',
): MpOutcome => ({
  run,
  result: 'fail',
  said,
});
const dut = { pmd: 'net_tap', order: 'remove-unclosed' as const };

describe("check 14's control re-runs: whose a multi-process failure is", () => {
  it('the control is net_null, or net_ring for net_null itself, under a name no DUT uses', () => {
    expect(controlFor('net_tap')).toEqual({ pmd: 'net_null', devargs: 'net_null70' });
    expect(controlFor('net_null')).toEqual({ pmd: 'net_ring', devargs: 'net_ring70' });
  });

  it('the control passes: the PMD’s, and the evidence names both re-runs and their outcomes', () => {
    const a = attributeMpFailure(
      dut,
      pass('with the control net_null'),
      fail('with net_tap, close-then-remove'),
    );
    expect(a.fault).toBe('pmd');
    expect(a.evidence[0]).toBe('re-run with the control net_null: PASS');
    expect(a.evidence[1]).toMatch(
      /^re-run with net_tap, close-then-remove: FAIL \(detach in the primary: .*SIGSEGV/,
    );
    expect(a.evidence).toContain("the control PMD passes in the same environment: net_tap's failure");
    expect(a.evidence).toContain('fails in both detach orders');
  });

  it('the control fails too: DPDK’s core, not the PMD’s', () => {
    const a = attributeMpFailure(
      dut,
      fail('with the control net_null'),
      fail('with net_tap, close-then-remove'),
    );
    expect(a.fault).toBe('dpdk');
    expect(a.evidence.join('\n')).toMatch(
      /control PMD fails the same scenario: DPDK's multi-process hotplug/,
    );
  });

  it('passes with the other order: says which order breaks', () => {
    const a = attributeMpFailure(dut, pass('c'), pass('o'));
    expect(a.fault).toBe('pmd');
    expect(a.evidence.at(-1)).toMatch(
      /^passes with the other order: the order that breaks is "the primary removes the stopped port's device without closing/,
    );
  });

  it('the other order fails for the control too: that order is DPDK’s, said as such', () => {
    const a = attributeMpFailure(dut, pass('c'), fail('o'), fail('co'));
    expect(a.evidence).toHaveLength(5);
    expect(a.evidence.at(-1)).toMatch(
      /"the primary closes the port .*"\) fails for the control too: .*DPDK itself/,
    );
  });

  it('a control that could not run moves nothing off the PMD, and says so', () => {
    const a = attributeMpFailure(
      dut,
      { run: 'c', result: 'could not run', said: 'reserving hugepages needs root' },
      pass('o'),
    );
    expect(a.fault).toBe('pmd');
    expect(a.evidence[0]).toBe('re-run c: COULD NOT RUN (reserving hugepages needs root)');
    expect(a.evidence).toContain('the control could not run here, so nothing moves the failure off net_tap');
  });
});

describe("the run's control outcomes", () => {
  it('runs a control once per run and says a later DUT reused it; a control that could not run runs again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dphp-mpctl-'));
    try {
      let runs = 0;
      const make = (o: MpOutcome) => async () => {
        runs++;
        return o;
      };
      // Two workers' files in one folder: another instance reads what the first wrote.
      const first = await new ControlOutcomes(dir).get('with the control net_null (x)', make(pass('c')));
      const again = await new ControlOutcomes(dir).get('with the control net_null (x)', make(fail('c')));
      expect(first).toEqual(pass('c'));
      expect(again).toEqual({ ...pass('c'), said: 'from an earlier DUT of this run' });
      expect(runs).toBe(1);
      const cannot: MpOutcome = { run: 'c2', result: 'could not run', said: 'no hugepages' };
      await new ControlOutcomes(dir).get('c2', make(cannot));
      await new ControlOutcomes(dir).get('c2', make(cannot));
      expect(runs).toBe(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
