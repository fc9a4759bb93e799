import { describe, expect, it } from 'vitest';
import { planCertification } from './planner.js';

describe('planCertification', () => {
  /**
   * Steps: plan --only net_tap,net_null, then net_null,net_tap (default DUTs, nothing run).
   * Verify: the plan's DUTs are those two, in the order given each time (lab virtual's second
   * guest relies on it to run last the DUT a stalled guest was in).
   */
  it('keeps the order --only gives', () => {
    const plan = (only: string[]) =>
      planCertification({ only, out: '/nonexistent/plan', command: ['certify'] }).duts.map((d) => d.name);
    expect(plan(['net_tap', 'net_null'])).toEqual(['net_tap', 'net_null']);
    expect(plan(['net_null', 'net_tap'])).toEqual(['net_null', 'net_tap']);
  });
});
