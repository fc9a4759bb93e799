import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { planFromArgs } from '../plan/cli.js';
import { DEFAULT_DUTS } from './default-duts.js';
import { DutError, deviceOf, dutDevice, dutFromDevargs, parseTraffic, pmdOf, validateDut } from './dut.js';

describe('DUT schema', () => {
  it('accepts every default DUT and gives each a unique name', () => {
    for (const d of DEFAULT_DUTS) expect(validateDut(d)).toEqual(d);
    expect(new Set(DEFAULT_DUTS.map((d) => d.name)).size).toBe(DEFAULT_DUTS.length);
  });

  it.each([
    [null, /must be an object/],
    [{ devargs: 'net_null0' }, /"name" must be a non-empty string/],
    [{ name: 'Bad Name', devargs: 'net_null0' }, /name "Bad Name" must match/],
    [{ name: 'x', devargs: 'garbage!!' }, /devargs: Invalid devargs/],
    [{ name: 'x', devargs: 'net_null0', setup: 'qemu' }, /setup must be one of/],
    [{ name: 'x', devargs: 'net_null0', traffic: 'lots' }, /traffic must be one of/],
    [{ name: 'x', devargs: 'net_null0', cycles: 0 }, /cycles must be a positive integer/],
    [{ name: 'x', devargs: 'net_null0', mbufs: 63 }, /mbufs must be a whole number from 64 to 1048576/],
    [{ name: 'x', devargs: 'net_null0', mbufs: '4096' }, /mbufs must be a whole number from 64 to 1048576/],
  ])('refuses %j', (value, message) => {
    expect(() => validateDut(value)).toThrow(DutError);
    expect(() => validateDut(value)).toThrow(message);
  });

  it('names the PMD of the device a devargs names', () => {
    expect(pmdOf(dutDevice('net_pcap0,iface=eth0'))).toBe('net_pcap');
    expect(pmdOf(dutDevice('eth_pcap0,iface=eth0'))).toBe('net_pcap');
    expect(pmdOf(dutDevice('0000:01:00.0'))).toBe('pci');
  });

  it("reads the device once, when the DUT is made: the bus and DPDK's name of it", () => {
    expect(dutDevice('01:00.0,rx_low_latency=1')).toEqual({ bus: 'pci', name: '0000:01:00.0' });
    expect(dutDevice('net_pcap0,rx_pcap={dir}/rx.pcap')).toEqual({ bus: 'vdev', name: 'net_pcap0' });
    expect(dutDevice('net_bonding0,mode=0,{peer}')).toEqual({ bus: 'vdev', name: 'net_bonding0' });
    expect(() => dutDevice('net_pcap{iface},iface=x', 'DUT x: devargs')).toThrow(
      'DUT x: devargs: the device name may not hold a placeholder ({dir}, {iface}, {peer})',
    );
    expect(dutFromDevargs('01:00.0').device).toEqual({ bus: 'pci', name: '0000:01:00.0' });
    for (const d of DEFAULT_DUTS) expect(deviceOf(d).bus).toBe('vdev');
    expect(() => deviceOf({ name: 'e1000-guest' })).toThrow('DUT e1000-guest: its lab plugs it at run time');
  });

  it('makes a DUT from a bare --dut', () => {
    expect(dutFromDevargs('net_ring3')).toMatchObject({
      name: 'net_ring3',
      pmd: 'net_ring',
      traffic: 'loopback',
    });
    expect(dutFromDevargs('0000:01:00.0')).toMatchObject({
      name: 'pci-0000-01-00-0',
      pmd: 'pci',
      traffic: 'tx-only',
    });
  });

  it('takes traffic from --traffic, else from the one table of what the suite knows of the PMD', () => {
    // No memif peer here: its traffic cannot be observed, and the DUT is judged on hotplug.
    expect(dutFromDevargs('net_memif0,role=server,socket=/tmp/m.sock')).toMatchObject({
      traffic: 'none',
      trafficNote: expect.stringContaining('peer'),
    });
    expect(dutFromDevargs('net_null5')).toMatchObject({ traffic: 'source-sink' });
    expect(dutFromDevargs('net_tap3,iface=x', 'peer=x')).toMatchObject({
      traffic: 'kernel-peer',
      peerInterface: 'x',
    });
    expect(dutFromDevargs('net_ring0', 'none')).toMatchObject({ traffic: 'none' });
    expect(() => dutFromDevargs('net_ring0', 'loopbak')).toThrow(/"loopbak" is not one of loopback/);
    expect(() => dutFromDevargs('net_ring0', 'peer=../x')).toThrow(/is not an interface name/);
    expect(parseTraffic('peer=veth1')).toEqual({ traffic: 'kernel-peer', peerInterface: 'veth1' });
    expect(() => validateDut({ name: 'x', devargs: 'net_tap0', traffic: 'kernel-peer' }, 'DUT')).toThrow(
      /kernel-peer needs a peerInterface/,
    );
  });
});

describe('certify command line', () => {
  it('defaults to every default DUT, 1000 cycles capped per DUT, 10 s budget, cores + 1 workers, 10 s to stop', () => {
    const plan = planFromArgs(['certify'], '/work')!;
    expect(plan.duts).toHaveLength(DEFAULT_DUTS.length);
    expect(plan.settings).toEqual({ cycles: 1000, budgetMs: 10_000, forceCycles: false });
    expect(plan).toMatchObject({
      workers: Math.min(64, availableParallelism() + 1),
      out: '/work/reports/certify',
      stopGraceMs: 10_000,
    });
    expect(planFromArgs(['certify', '--stop-grace', '0'], '/work')!.stopGraceMs).toBe(0);
  });

  it('takes --dut, --only, --cycles, --budget, --out', () => {
    const plan = planFromArgs(
      [
        'certify',
        '--dut',
        'net_ring0',
        '--dut',
        'net_null1',
        '--cycles',
        '50',
        '--budget',
        '3',
        '--out',
        'r',
      ],
      '/w',
    )!;
    expect(plan.duts.map((d) => d.name)).toEqual(['net_ring0', 'net_null1']);
    expect(plan.settings).toEqual({ cycles: 50, budgetMs: 3000, forceCycles: true });
    expect(plan.out).toBe('/w/r');
    // --only's DUTs in the order given (lab virtual's second guest runs last the DUT a stalled guest was in).
    const only = (names: string) => planFromArgs(['certify', '--only', names])!.duts.map((d) => d.name);
    expect(only('net_tap,net_null')).toEqual(['net_tap', 'net_null']);
    expect(only('net_null,net_tap')).toEqual(['net_null', 'net_tap']);
  });

  it.each([
    [['frobnicate'], /the command is `certify`/],
    [['certify', '--cycles', 'many'], /--cycles must be a whole number from 1 to 1000000 in decimal digits/],
    [['certify', '--budget=0'], /--budget must be a whole number from 1 to 86400, got 0/],
    [['certify', '--only', 'net_nope'], /no DUT named net_nope/],
    [['certify', '--dut', 'net_ring0', '--dut', 'net_ring0'], /two DUTs are named net_ring0/],
    [['certify', '--dut', ''], /--dut: Invalid devargs "": it is empty/],
  ])('refuses %j', (argv, message) => {
    expect(() => planFromArgs(argv)).toThrow(message);
  });
});
