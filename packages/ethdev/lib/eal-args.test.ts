import { describe, expect, it } from 'vitest';
import { ealArgs, firstAllowedCpu } from './eal-args.js';
import { isHotplugError } from './errors.js';

describe('ealArgs', () => {
  it('maps each option to its EAL argument', () => {
    expect(
      ealArgs({
        lcores: [0, 1],
        memoryMb: 128,
        noHuge: true,
        noPci: true,
        noSharedConfig: true,
        vdevs: ['net_null0', 'eth_pcap0,iface=lo'],
        allow: ['01:00.0'],
        block: ['0000:00:03.0'],
        filePrefix: 'app1',
        iovaMode: 'pa',
        logLevel: 'debug',
        extraArgs: ['--huge-unlink'],
      }),
    ).toEqual([
      '-l',
      '0,1',
      '-m',
      '128',
      '--no-huge',
      '--no-pci',
      '--no-shconf',
      '--vdev',
      'net_null0',
      '--vdev',
      'eth_pcap0,iface=lo',
      '-a',
      '0000:01:00.0',
      '-b',
      '0000:00:03.0',
      '--file-prefix',
      'app1',
      '--iova-mode',
      'pa',
      '--log-level=8',
      '--huge-unlink',
    ]);
  });

  it("defaults to one lcore, the first allowed CPU, the SDK's own file prefix, and log level notice", () => {
    const own = ['--file-prefix', `dphp-${process.pid}`];
    expect(ealArgs({})).toEqual(['-l', String(firstAllowedCpu()), ...own, '--log-level=6']);
  });

  it("joins DPDK's default instance as a secondary or auto process when no prefix is given", () => {
    expect(ealArgs({ processType: 'secondary' })).not.toContain('--file-prefix');
    expect(ealArgs({ processType: 'auto' })).not.toContain('--file-prefix');
    expect(ealArgs({ processType: 'primary' })).toContain(`dphp-${process.pid}`);
  });

  it('reads the first allowed CPU from /proc/self/status', () => {
    expect(firstAllowedCpu('Name:\tnode\nCpus_allowed_list:\t3-5,7\n')).toBe(3);
  });

  it.each([
    [{ memoryMb: 0 }, /memoryMb/],
    [{ memoryMb: 1.5 }, /memoryMb/],
    [{ lcores: [] }, /lcores/],
    [{ lcores: 'all of them' }, /lcores/],
    [{ noHuge: true, inMemory: true }, /--in-memory with --no-huge/],
    [{ filePrefix: '../etc' }, /filePrefix/],
    [{ vdevs: ['net_ring0,nodeaction'] }, /"nodeaction" has no value/],
    [{ vdevs: ['net_failsafe0,exec(echo net_null7)'] }, /allowShellCommandsInDevargs/],
    [{ vdevs: ['0000:01:00.0'] }, /is a PCI address; put it in allow/],
    [{ allow: ['net_null0'] }, /is not a PCI address/],
    [{ logLevel: 'loud' }, /logLevel/],
    [{ iovaMode: 'xx' }, /iovaMode/],
  ])('rejects %j', (options, message) => {
    let error: unknown;
    try {
      ealArgs(options as never);
    } catch (e) {
      error = e;
    }
    expect(isHotplugError(error)).toBe(true);
    expect(String((error as Error).message)).toMatch(message);
  });
});
