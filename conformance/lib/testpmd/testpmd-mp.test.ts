// Check 17's group and scenario against this host's dpdk-testpmd (no mock: two real testpmd on a
// private hugetlbfs), and one comparison with check 14's SDK processes on a DUT that fails.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judgeMp } from '../checks/mp-oracle.js';
import { type HugepageLab, hugepageLab } from '../common/hugepages.js';
import { mpGroup } from '../multi-process/mp-group.js';
import { type MpGroup, runMpOnce, type ScenarioOptions } from '../multi-process/mp-scenario.js';
import { hasTestpmd, TestpmdGone } from './testpmd.js';
import { type TestpmdGroup, testpmdGroup } from './testpmd-mp.js';

let huge: HugepageLab | { unavailable: string } = { unavailable: 'not reserved yet' };
let n = 0;
const groups: TestpmdGroup[] = [];
const made = () => {
  const g = testpmdGroup(`tpmp-test-${process.pid}-${++n}`, (huge as HugepageLab).dir);
  groups.push(g);
  return g;
};
const target = (devargs: string, device: string, more: Partial<ScenarioOptions> = {}) => ({
  devargs,
  device,
  order: 'remove-unclosed' as const,
  settled: async () => true,
  lastDetach: 'secondary' as const,
  ...more,
});

describe.skipIf(!hasTestpmd())('testpmd multi-process group (real dpdk-testpmd)', () => {
  beforeAll(async () => {
    huge = await hugepageLab(48);
  });
  afterAll(async () => {
    for (const g of groups) await g.stop();
    if (!('unavailable' in huge)) await huge.undo();
  });

  it('runs check 14’s scenario on net_null, the last detach the secondary’s; stop leaves nothing', async (ctx) => {
    if ('unavailable' in huge) return ctx.skip();
    const g = made();
    const t0 = performance.now();
    const r = await runMpOnce('testpmd', async () => g, target('net_null0', 'net_null0'));
    expect(r.outcome).toEqual({ run: 'testpmd', result: 'pass' });
    // Both processes quit and the group's runtime folder is gone (runMpOnce stops the group).
    expect(g.primary.transcript).toMatch(/Bye\.\.\./);
    expect(g.secondaries).toHaveLength(1);
    expect(g.secondaries[0]!.transcript).toMatch(/Port 0 is attached/);
    expect(existsSync(`/var/run/dpdk/tpmp-test-${process.pid}-${n}`)).toBe(false);
    expect(performance.now() - t0).toBeLessThan(10_000);
  });

  it("testpmd's primary refuses to detach a port the secondary attached: why check 17's last step differs", async (ctx) => {
    if ('unavailable' in huge) return ctx.skip();
    const r = await runMpOnce(
      'testpmd',
      async () => made(),
      target('net_null0', 'net_null0', { lastDetach: 'primary' }),
    );
    expect(r.outcome).toMatchObject({ result: 'fail', step: 5 });
    expect(r.outcome.said).toMatch(/"message":"Port not stopped"/);
  });

  it('names a crash of the primary with its signal, the command and the step (net_failsafe)', async (ctx) => {
    if ('unavailable' in huge) return ctx.skip();
    const g = made();
    const r = await runMpOnce(
      'testpmd',
      async () => g,
      target('net_failsafe0,dev(net_null92)', 'net_failsafe0'),
    );
    expect(r.error).toBeInstanceOf(TestpmdGone);
    expect(r.error).toMatchObject({ how: 'crashed', role: 'primary', command: 'port detach 0' });
    expect(r.outcome).toMatchObject({ result: 'fail', step: 3 });
    // The group stopped: the secondary quit too, and its runtime folder is gone.
    expect(g.secondaries[0]!.transcript).toMatch(/Bye\.\.\./);
  });

  it("agrees with check 14's SDK processes on net_memif: both fail the secondary's re-attach", async (ctx) => {
    if ('unavailable' in huge) return ctx.skip();
    const dir = mkdtempSync(join(tmpdir(), 'dphp-tpmp-memif-'));
    const sdkGroups: MpGroup[] = [];
    try {
      const devargs = `net_memif0,role=server,socket=${dir}/memif.sock`;
      const sdk = await runMpOnce(
        'check 14',
        async () => {
          const g = mpGroup(`tpmp-sdk-${process.pid}`, (huge as HugepageLab).dir);
          sdkGroups.push(g);
          return g;
        },
        { ...target(devargs, 'net_memif0'), lastDetach: 'primary' },
      );
      const tp = await runMpOnce('testpmd', async () => made(), target(devargs, 'net_memif0'));
      expect(sdk.outcome).toMatchObject({ result: 'fail', step: 4 });
      expect(tp.outcome).toMatchObject({ result: 'fail', step: 4 });
      expect(judgeMp(sdk.outcome, tp.outcome, tp.error)).toMatchObject({ agree: true });
    } finally {
      for (const g of sdkGroups) await g.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
