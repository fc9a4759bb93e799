/**
 * certify --bisect's search and command line (pure): the search over a made-up history whose
 * outcome changes at one commit, with skipped steps; the range and option errors. The builds and
 * runs of a real bisection are in docs/measurements.md (they take minutes a step).
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dutFromDevargs } from '../model/dut.js';
import {
  bisect,
  bisectPlanFromArgs,
  commitsBetween,
  driversFor,
  type Outcome,
  parseRange,
} from './bisect.js';

const history = Array.from({ length: 100 }, (_, i) => `c${i}`);

/** FAIL before `change`, PASS from it on; `skip` answers BUILD FAILED. */
function outcomes(change: number, skip: number[] = []) {
  const asked: string[] = [];
  const at = async (commit: string): Promise<Outcome> => {
    asked.push(commit);
    const i = commit === 'good' ? -1 : Number(commit.slice(1));
    if (skip.includes(i)) return { outcome: 'BUILD FAILED', detail: 'meson' };
    return { outcome: i >= change ? 'PASS' : 'FAIL', detail: '' };
  };
  return { at, asked };
}

describe('bisect', () => {
  it('finds the first commit with the bad end’s outcome in about log2(n) steps', async () => {
    for (const change of [0, 1, 37, 99]) {
      const { at, asked } = outcomes(change);
      const r = await bisect('good', history, at);
      expect(r.first).toBe(`c${change}`);
      expect(asked.length).toBeLessThanOrEqual(2 + 7);
      expect(r.good.outcome).toBe('FAIL');
      expect(r.bad.outcome).toBe('PASS');
    }
  });

  it('steps around a commit that does not build, as git bisect skip', async () => {
    const { at } = outcomes(37, [49, 50, 20]);
    const r = await bisect('good', history, at);
    expect(r.first).toBe('c37');
    expect(r.steps.some((s) => s.outcome === 'BUILD FAILED')).toBe(true);
  });

  it('names the candidates when skipped commits hide the change', async () => {
    const { at } = outcomes(37, [36, 37]);
    const r = await bisect('good', history, at);
    expect(r.first).toBeUndefined();
    expect(r.candidates).toEqual(['c36', 'c37', 'c38']);
  });

  it('says when both ends agree', async () => {
    const { at, asked } = outcomes(1000);
    const r = await bisect('good', history, at);
    expect(r.first).toBeUndefined();
    expect(asked).toEqual(['good', 'c99']);
  });
});

describe('the command line', () => {
  it('reads GOOD..BAD and refuses anything else', () => {
    expect(parseRange('v22.11..v23.11')).toEqual({ good: 'v22.11', bad: 'v23.11' });
    expect(() => parseRange('v22.11')).toThrow(/give GOOD\.\.BAD/);
    expect(() => parseRange('a...b')).toThrow(/give GOOD\.\.BAD/);
  });

  it('needs one DUT, a check from 1 to 17 and a git directory', () => {
    const base = ['certify', '--bisect', 'v22.11..v23.11', '--git', '/nonexistent'];
    expect(() => bisectPlanFromArgs(base)).toThrow(/exactly one --dut/);
    expect(() => bisectPlanFromArgs([...base, '--dut', 'net_null0', '--check', '18'])).toThrow(
      /--check must be a whole number from 1 to 17/,
    );
    expect(() => bisectPlanFromArgs([...base, '--dut', 'net_null0', '--check', '3'])).toThrow(
      /--git \/nonexistent: not a git directory/,
    );
  });

  it('builds the DUT’s drivers only', () => {
    expect(driversFor(dutFromDevargs('net_af_xdp0,iface=veth0'))).toEqual([
      'bus/pci',
      'bus/vdev',
      'mempool/ring',
      'net/null',
      'net/af_xdp',
    ]);
    expect(driversFor(dutFromDevargs('net_tun0'))).toContain('net/tap');
  });
});

// The team's DPDK mirror (DPDK_HOTPLUG_DPDK_GIT), when this machine has one.
const MIRROR = process.env.DPDK_HOTPLUG_DPDK_GIT ?? '/work/.mirror/DPDK+dpdk/repo';

describe.skipIf(!existsSync(MIRROR))('the range, on DPDK’s own history', () => {
  it('lists the commits after GOOD up to BAD, oldest first (the 22.11 branch around fde6a99f1c)', () => {
    const { good, commits } = commitsBetween(MIRROR, '2e6e29e797', '48309178df');
    expect(good).toMatch(/^2e6e29e797/);
    expect(commits).toHaveLength(8);
    expect(commits[3]).toMatch(/^fde6a99f1c/); // "net/af_xdp: fix leak on XSK configuration failure"
    expect(commits[7]).toMatch(/^48309178df/);
  });

  it('refuses a GOOD that is not an ancestor of BAD', () => {
    expect(() => commitsBetween(MIRROR, '48309178df', '2e6e29e797')).toThrow(/is not an ancestor of/);
  });
});
