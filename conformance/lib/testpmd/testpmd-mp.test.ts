// Check 17's group and scenario against this host's dpdk-testpmd (no mock: two real testpmd on a
// private hugetlbfs), and one comparison with check 14's SDK processes on a DUT that fails.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { multiProcessCut } from '@dpdk-hotplug/ethdev';
import { pcapFile } from '@dpdk-hotplug/ethdev/testing';
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
      // ASLR: the machine's (a secondary that cannot map the primary's memory at its addresses,
      // tried twice): nothing to compare, as in the other cases here (seen once in CI, 7 December).
      if (sdk.outcome.result === 'could not run') return ctx.skip();
      expect(sdk.outcome).toMatchObject({ result: 'fail', step: 4 });
      expect(tp.outcome).toMatchObject({ result: 'fail', step: 4 });
      expect(judgeMp(sdk.outcome, tp.outcome, tp.error)).toMatchObject({ agree: true });
    } finally {
      for (const g of sdkGroups) await g.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  /**
   * Issue 27's leftover /tmp/dphp-a-pca: net_pcap keeps 63 characters of its arguments for its
   * secondaries (ETH_PCAP_ARG_MAXLEN), which re-read that copy. A DUT folder in a private parent,
   * long enough that the cut tx_pcap path is a sibling of the folder, inside the parent.
   */
  /** Starts the pair's primary, then a secondary; false when the secondary could not map the primary's memory. */
  const primaryAndSecondary = async (g: ReturnType<typeof made>): Promise<boolean> => {
    await g.primary.next();
    return g
      .startSecondary()
      .next()
      .then(
        () => true,
        () => false,
      );
  };

  const cutLab = () => {
    const parent = mkdtempSync(join(tmpdir(), 'dphp-mpcut-'));
    const dut = join(parent, `dut-${'f'.repeat(60 - parent.length)}`);
    mkdirSync(dut);
    pcapFile(join(dut, 'rx.pcap'), []);
    const devargs = `net_pcap0,tx_pcap=${dut}/tx.pcap,rx_pcap=${dut}/rx.pcap`;
    // What a secondary reads: the first 63 characters of the arguments, `tx_pcap=` and 55 more.
    const cut = `${dut}/tx.pcap`.slice(0, 55);
    expect(cut.startsWith(`${parent}/dut-`) && !cut.startsWith(`${dut}/`)).toBe(true);
    return { parent, dut, devargs, cut };
  };

  it("DPDK's own testpmd: the secondary writes net_pcap's tx_pcap cut to 63 characters of arguments", async (ctx) => {
    if ('unavailable' in huge) return ctx.skip();
    const lab = cutLab();
    try {
      const g = made();
      if (!(await primaryAndSecondary(g))) return ctx.skip(); // ASLR: the machine's
      // Straight to testpmd, past TestpmdPeer.request (which refuses it, as the next test shows).
      await g.primary.run(`port attach ${lab.devargs}`);
      const end = Date.now() + 5000;
      while (!existsSync(lab.cut) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      expect(readdirSync(lab.parent).sort()).toEqual([basename(lab.cut), basename(lab.dut)].sort());
      await g.stop();
    } finally {
      rmSync(lab.parent, { recursive: true, force: true });
    }
  });

  it("DPDK's own testpmd: a net_pcap in a failsafe's dev(...) is cut the same for the secondary", async (ctx) => {
    if ('unavailable' in huge) return ctx.skip();
    const lab = cutLab();
    try {
      // Whole in EAL's hotplug message (127 characters): only net_pcap's own copy cuts it.
      const devargs = `net_failsafe0,dev(net_pcap1,tx_pcap=${lab.dut}/tx.pcap)`;
      expect(devargs.length).toBeLessThanOrEqual(127);
      expect(multiProcessCut(devargs)).toMatchObject({
        key: 'tx_pcap',
        why: expect.stringContaining(`a secondary would read tx_pcap=${lab.cut};`),
      });
      const g = made();
      if (!(await primaryAndSecondary(g))) return ctx.skip(); // ASLR: the machine's
      await g.primary.run(`port attach ${devargs}`);
      const end = Date.now() + 5000;
      while (!existsSync(lab.cut) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      expect(readdirSync(lab.parent).sort()).toEqual([basename(lab.cut), basename(lab.dut)].sort());
      expect(readdirSync(lab.dut).sort()).toEqual(['rx.pcap', 'tx.pcap']);
      await g.stop();
    } finally {
      rmSync(lab.parent, { recursive: true, force: true });
    }
  });

  it("check 14's SDK processes and check 17's testpmd refuse it: nothing lands outside the DUT's folder", async (ctx) => {
    if ('unavailable' in huge) return ctx.skip();
    const lab = cutLab();
    const sdkGroups: MpGroup[] = [];
    try {
      const sdk = await runMpOnce(
        'check 14',
        async () => {
          const g = mpGroup(`tpmp-cut-${process.pid}`, (huge as HugepageLab).dir);
          sdkGroups.push(g);
          return g;
        },
        { ...target(lab.devargs, 'net_pcap0'), lastDetach: 'primary' },
      );
      const tp = await runMpOnce('testpmd', async () => made(), target(lab.devargs, 'net_pcap0'));
      if (sdk.outcome.result === 'could not run') return ctx.skip(); // ASLR: the machine's
      expect(sdk.outcome).toMatchObject({ result: 'fail', step: 2 });
      expect(sdk.outcome.said).toContain(
        'net_pcap keeps 63 characters of its arguments for secondary processes',
      );
      expect(sdk.outcome.said).toContain(`a secondary would read tx_pcap=${lab.cut};`);
      expect(tp.outcome).toMatchObject({ step: 2 });
      expect(tp.outcome.said).toContain('not given to testpmd: net_pcap keeps 63 characters');
      expect(readdirSync(lab.parent)).toEqual([basename(lab.dut)]);
    } finally {
      for (const g of sdkGroups) await g.stop();
      rmSync(lab.parent, { recursive: true, force: true });
    }
  });
});
