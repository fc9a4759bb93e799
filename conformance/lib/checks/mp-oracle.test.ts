// Check 17's comparison rule on made-up outcomes (the real runs: testpmd-mp.test.ts and the
// certification).
import { describe, expect, it } from 'vitest';
import { type MpOutcome, SecondaryUnavailable } from '../multi-process/mp-scenario.js';
import { TestpmdGone } from '../testpmd/testpmd.js';
import { TestpmdParseError } from '../testpmd/testpmd-parse.js';
import { judgeMp } from './mp-oracle.js';

const pass = (run: string): MpOutcome => ({ run, result: 'pass' });
const fail = (run: string, step: number, said = `step ${step} said no`): MpOutcome => ({
  run,
  result: 'fail',
  step,
  said,
});

describe("check 17: testpmd's multi-process run against check 14's", () => {
  it('agrees when both pass', () => {
    expect(judgeMp(pass('check 14'), pass('testpmd'))).toEqual({
      agree: true,
      finding: 'agrees with check 14: both pass every step',
    });
  });

  it('agrees when both fail at the same step, and says which with both sides’ words', () => {
    const j = judgeMp(fail('check 14', 4, 'Address already in use'), fail('testpmd', 4, 'Failed to attach'));
    expect(j.agree).toBe(true);
    expect(j.fault).toBeUndefined();
    expect(j.finding).toBe(
      'agrees with check 14: both fail at step 4; testpmd (Failed to attach); the SDK (Address already in use)',
    );
  });

  it('testpmd fails a step the SDK passed: the PMD or DPDK under testpmd', () => {
    const j = judgeMp(pass('check 14'), fail('testpmd', 2, 'attach refused'));
    expect(j).toMatchObject({ agree: false, fault: 'pmd' });
    expect(j.finding).toBe(
      'step 2: under testpmd it failed (attach refused) where the SDK passed it: the PMD or DPDK under testpmd',
    );
    // A later failure of the SDK does not save testpmd's earlier one.
    expect(judgeMp(fail('check 14', 5), fail('testpmd', 3)).fault).toBe('pmd');
  });

  it("the SDK fails a step testpmd passed: the suite's", () => {
    const j = judgeMp(fail('check 14', 3, 'the secondary still lists the port'), pass('testpmd'));
    expect(j).toMatchObject({ agree: false, fault: 'suite' });
    expect(j.finding).toMatch(/^step 3: the SDK failed it \(the secondary still lists the port\)/);
  });

  it('names a testpmd crash at the step it happened, and it still agrees when the SDK failed there', () => {
    const crash = new TestpmdGone(
      'crashed',
      'SIGABRT',
      'port detach 0',
      'free(): invalid pointer',
      'primary',
    );
    const t = fail('testpmd', 3, crash.message);
    const alone = judgeMp(pass('check 14'), t, crash);
    expect(alone).toMatchObject({ agree: false, fault: 'pmd' });
    expect(alone.finding).toContain(
      'the PMD or testpmd: testpmd crashed (SIGABRT) during "port detach 0" in the primary at step 3',
    );
    expect(judgeMp(fail('check 14', 3, 'the primary process died (SIGABRT)'), t, crash).agree).toBe(true);
  });

  it("a testpmd that did not start, or whose secondary did not, is the environment's", () => {
    const start = new TestpmdGone('exited', 'exit code 1', 'start', 'EAL: Cannot get hugepage information\n');
    expect(judgeMp(pass('check 14'), fail('testpmd', 1), start)).toMatchObject({
      agree: false,
      fault: 'environment',
    });
    const secondary = new SecondaryUnavailable('the secondary process did not start: x');
    expect(
      judgeMp(pass('check 14'), { run: 'testpmd', result: 'could not run', step: 1, said: 'x' }, secondary),
    ).toMatchObject({ agree: false, fault: 'environment' });
  });

  it("output the parser cannot read is the suite's, whatever the step", () => {
    const e = new TestpmdParseError(
      'show port summary all',
      'Port 0 is elsewhere',
      'the line "Port 0 is elsewhere"',
    );
    expect(judgeMp(fail('check 14', 2), fail('testpmd', 2), e)).toMatchObject({
      agree: false,
      fault: 'suite',
    });
  });

  it('compares nothing when check 14 could not run', () => {
    expect(
      judgeMp({ run: 'check 14', result: 'could not run', said: 'no hugepages' }, pass('testpmd')),
    ).toMatchObject({ agree: false, fault: 'environment' });
  });
});
