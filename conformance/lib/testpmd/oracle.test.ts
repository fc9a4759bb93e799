// Check 16's comparison rule on step results (the logic above DPDK; the real runs are in the
// certification: tests/hotplug.spec.ts).
import { describe, expect, it } from 'vitest';
import { compare, STEPS, type StepResult, testpmdFailure } from './oracle.js';
import { TestpmdGone } from './testpmd.js';
import { TestpmdParseError } from './testpmd-parse.js';

const agreeing = (): StepResult[] =>
  STEPS.map((step) => {
    if (step === 'detach-started') return { step, outcome: 'refused' };
    if (step === 'attach' || step === 're-attach') return { step, outcome: 'ok', value: 0 };
    if (step === 'info') return { step, outcome: 'ok', value: 'net_null0 net_null' };
    if (step === 'detach') return { step, outcome: 'ok', value: 'net_null0' };
    return { step, outcome: 'ok' };
  });
const change = (rs: StepResult[], step: string, r: Partial<StepResult>) =>
  rs.map((x) => (x.step === step ? { ...x, ...r } : x));

describe('compare', () => {
  it('finds nothing when every step agrees', () => {
    expect(compare(agreeing(), agreeing())).toEqual([]);
  });

  it('holds a different id against the suite (testpmd is the reference)', () => {
    const d = compare(change(agreeing(), 're-attach', { value: 1 }), agreeing());
    expect(d).toMatchObject([{ step: 're-attach', fault: 'suite' }]);
    expect(d[0]!.why).toBe('the SDK says 1, testpmd 0');
  });

  it('holds a step only testpmd could not do against the PMD or testpmd', () => {
    const d = compare(
      agreeing(),
      change(agreeing(), 'start', { outcome: 'refused', said: 'Fail to start port 0' }),
    );
    expect(d).toMatchObject([{ step: 'start', fault: 'pmd' }]);
    expect(d[0]!.why).toContain('Fail to start port 0');
  });

  it('holds a started detach only the SDK allowed against the suite', () => {
    const d = compare(change(agreeing(), 'detach-started', { outcome: 'ok' }), agreeing());
    expect(d).toMatchObject([{ step: 'detach-started', fault: 'suite' }]);
  });

  it('reports a failed attach once, not the steps it prevented', () => {
    const failed: StepResult[] = STEPS.map((step) =>
      step === 'attach' ? { step, outcome: 'refused' } : { step, outcome: 'not-run' },
    );
    expect(compare(agreeing(), failed).map((d) => d.step)).toEqual(['attach']);
  });
});

describe('testpmdFailure', () => {
  it("names a crash or hang as the PMD's or testpmd's, with the transcript", () => {
    expect(testpmdFailure(new TestpmdGone('crashed', 'SIGSEGV', 'port close 0', 'out'))).toEqual({
      fault: 'pmd',
      why: 'the PMD or testpmd: testpmd crashed (SIGSEGV) during "port close 0"',
      transcript: 'out',
    });
  });
  it("names a testpmd that could not start as the environment's", () => {
    expect(
      testpmdFailure(new TestpmdGone('exited', 'exit code 1', 'start', 'EAL: no memory\n')),
    ).toMatchObject({
      fault: 'environment',
      why: 'testpmd did not start (exited, exit code 1): EAL: no memory',
    });
  });
  it("names output the parser cannot read as the suite's", () => {
    expect(testpmdFailure(new TestpmdParseError('port start 0', 'x', 'the line "x"'))?.fault).toBe('suite');
  });
});
