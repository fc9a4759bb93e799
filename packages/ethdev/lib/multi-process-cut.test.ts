/**
 * What DPDK cuts for the other processes of a shared instance, refused before DPDK sees it when
 * the Eal shares its instance. DPDK's side (a secondary writing the cut path) is shown on real
 * DPDK in conformance/lib/testpmd/testpmd-mp.test.ts, with testpmd and with the SDK's processes.
 */
import { describe, expect, it } from 'vitest';
import { parseDevargs } from './devargs.js';
import { sharesInstance } from './devargs-policy.js';
import { ealArgs } from './eal-args.js';
import { MP_DEVARGS_MAX, multiProcessCut } from './multi-process-cut.js';
import { errorOf } from './test-support/env.js';

// A DUT folder as the lab made it in session 9: /tmp/dphp-a-pcap-XXXXXX.
const dir = '/tmp/dphp-a-pcap-Ab12Cd';
const pcap = `net_pcap0,rx_pcap=${dir}/rx.pcap,tx_pcap=${dir}/tx.pcap`;

describe('multiProcessCut', () => {
  it("names net_pcap's cut at 63 characters of its arguments: the path a secondary would write", () => {
    expect(multiProcessCut(pcap)).toEqual({
      key: 'tx_pcap',
      why: expect.stringContaining(
        'net_pcap keeps 63 characters of its arguments for secondary processes (these are 79), so a secondary would read tx_pcap=/tmp/dphp-a-pca;',
      ),
    });
    // 63 characters are carried whole, 64 are not (strlcpy into 64 bytes).
    const fits = 'net_pcap0,rx_pcap=/tmp/dphpAb12Cd/rx.pcap,tx_pcap=/tmp/dphpAb12Cd/tx.pcap';
    expect(fits.length - 'net_pcap0,'.length).toBe(63);
    expect(multiProcessCut(fits)).toBeUndefined();
    expect(multiProcessCut(fits.replace('tx.pcap', 'tx1.pcap'))?.why).toContain(
      'tx_pcap=/tmp/dphpAb12Cd/tx1.pca;',
    );
    // A cut on a comma drops the next argument whole; eth_pcap is net_pcap's alias.
    const dropped = `eth_pcap0,rx_pcap=/tmp/${'r'.repeat(50)},tx_pcap=/tmp/t`;
    expect(multiProcessCut(dropped)).toMatchObject({
      key: 'tx_pcap',
      why: expect.stringContaining('read no tx_pcap;'),
    });
  });

  it("names net_pcap's cut inside a failsafe: failsafe hotplugs its dev(...) on their own", () => {
    const failsafe = `net_failsafe0,dev(${pcap.replace('net_pcap0', 'net_pcap1')}),hotplug_poll=100`;
    expect(failsafe.length).toBeLessThanOrEqual(MP_DEVARGS_MAX);
    expect(multiProcessCut(failsafe)).toEqual({
      key: 'tx_pcap',
      why: expect.stringContaining(
        "failsafe's sub-device net_pcap1: net_pcap keeps 63 characters of its arguments for secondary processes (these are 79), so a secondary would read tx_pcap=/tmp/dphp-a-pca;",
      ),
    });
    expect(errorOf(() => parseDevargs(failsafe, { multiProcess: true }))).toMatchObject({
      code: 'INVALID_DEVARGS',
      key: 'tx_pcap',
    });
    expect(parseDevargs(failsafe, {}).subDevices).toMatchObject([{ name: 'net_pcap1' }]);
    // A short one is carried whole, and a PCI sub-device has no such cut.
    expect(multiProcessCut('net_failsafe0,dev(net_pcap1,iface=lo),dev(0000:01:00.0,a=1)')).toBeUndefined();
  });

  it("names EAL's cut of a devargs at 127 characters for any PMD", () => {
    const ring = `net_ring0,nodeaction=${'n'.repeat(100)}:0:CREATE,x=1`;
    expect(ring.length).toBeGreaterThan(MP_DEVARGS_MAX);
    expect(multiProcessCut(ring)).toMatchObject({
      key: 'nodeaction',
      why: expect.stringContaining(`carries 127 characters of a devargs (this is ${ring.length})`),
    });
    expect(multiProcessCut(`net_null0,size=64${','.repeat(0)}`)).toBeUndefined();
    expect(multiProcessCut(`0000:01:00.0,${'a=1,'.repeat(31)}b=1`)).toMatchObject({ key: 'a' });
  });
});

describe('an Eal that shares its instance refuses what DPDK would cut', () => {
  it('refuses the cut devargs in attach and in Eal.init, only when other processes may share it', () => {
    const refused = errorOf(() => parseDevargs(pcap, { multiProcess: true }));
    expect(refused).toMatchObject({ code: 'INVALID_DEVARGS', key: 'tx_pcap' });
    expect((refused as Error).message).toContain('a secondary would read tx_pcap=/tmp/dphp-a-pca');
    expect(parseDevargs(pcap, {}).name).toBe('net_pcap0');
    expect(errorOf(() => ealArgs({ processType: 'primary', vdevs: [pcap] }))).toMatchObject({
      code: 'INVALID_DEVARGS',
      key: 'tx_pcap',
    });
    expect(ealArgs({ vdevs: [pcap] })).toContain(pcap);
  });

  it('counts a process type or file prefix with shared state as sharing', () => {
    expect(sharesInstance({})).toBe(false); // the SDK's own prefix, dphp-<pid>
    expect(sharesInstance({ processType: 'secondary' })).toBe(true);
    expect(sharesInstance({ filePrefix: 'app' })).toBe(true);
    expect(sharesInstance({ filePrefix: 'app', noSharedConfig: true })).toBe(false);
    expect(sharesInstance({ processType: 'primary', inMemory: true })).toBe(false);
    expect(sharesInstance({ filePrefix: 'app', noHuge: true })).toBe(false);
  });
});
