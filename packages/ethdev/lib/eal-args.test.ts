import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ealArgs, firstAllowedCpu } from './eal-args.js';
import { isHotplugError } from './errors.js';
import { errorOf } from './test-support/env.js';

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
        sysfs: '/nonexistent', // no class known: this machine's device at 01:00.0 must not decide
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

  it('class-checks the allow list as attach does (fake sysfs): not the block list, not with nonPortDevices', () => {
    const sysfs = mkdtempSync(join(tmpdir(), 'dphp-eal-sysfs-'));
    try {
      for (const [address, code] of [
        ['0000:05:00.0', '0x010802'], // an NVMe drive
        ['0000:07:00.0', '0x020000'], // an Ethernet controller
        ['0000:00:00.0', '0x060000'], // the host bridge: allowed to probe nothing at start
      ] as const) {
        mkdirSync(join(sysfs, 'bus/pci/devices', address), { recursive: true });
        writeFileSync(join(sysfs, 'bus/pci/devices', address, 'class'), `${code}\n`);
      }
      let error: unknown;
      try {
        ealArgs({ sysfs, allow: ['0000:07:00.0', '05:00.0'] });
      } catch (e) {
        error = e;
      }
      expect(isHotplugError(error) && error.code).toBe('NOT_A_PORT_DEVICE');
      expect((error as Error).message).toContain(
        '0000:05:00.0 is a PCI device of class 0x010802 (mass storage controller), not a network controller',
      );
      expect(ealArgs({ sysfs, allow: ['0000:07:00.0'], block: ['0000:05:00.0'] })).toContain('0000:07:00.0');
      expect(ealArgs({ sysfs, allow: ['0000:00:00.0'] })).toContain('0000:00:00.0');
      expect(ealArgs({ sysfs, allow: ['0000:05:00.0'], nonPortDevices: true })).toContain('0000:05:00.0');
    } finally {
      rmSync(sysfs, { recursive: true, force: true });
    }
  });

  it('takes devargsBudgetMb and sysfs from the environment when not given (what certify and probe set)', () => {
    const sysfs = mkdtempSync(join(tmpdir(), 'dphp-eal-sysfs-'));
    const saved = { ...process.env };
    try {
      mkdirSync(join(sysfs, 'bus/pci/devices/0000:05:00.0'), { recursive: true });
      writeFileSync(join(sysfs, 'bus/pci/devices/0000:05:00.0/class'), '0x010802\n');
      const af = 'net_af_packet0,iface=lo,framecnt=16384,qpairs=2'; // 128 MiB of rings
      process.env.DPDK_HOTPLUG_SYSFS = sysfs;
      process.env.DPDK_HOTPLUG_DEVARGS_BUDGET_MB = '64';
      expect(errorOf(() => ealArgs({ allow: ['0000:05:00.0'] }))?.code).toBe('NOT_A_PORT_DEVICE');
      expect(errorOf(() => ealArgs({ vdevs: [af] }))).toMatchObject({ code: 'INVALID_DEVARGS' });
      expect(errorOf(() => ealArgs({ vdevs: [af] }))?.message).toContain('over the budget of 64 MiB');
      // The option wins over the environment.
      expect(ealArgs({ vdevs: [af], devargsBudgetMb: 256 })).toContain(af);
      expect(ealArgs({ allow: ['0000:05:00.0'], sysfs: '/nonexistent' })).toContain('0000:05:00.0');
      process.env.DPDK_HOTPLUG_DEVARGS_BUDGET_MB = '64M';
      expect(errorOf(() => ealArgs({}))).toMatchObject({ code: 'INVALID_OPTION', key: 'devargsBudgetMb' });
      expect(errorOf(() => ealArgs({}))?.message).toBe(
        'Invalid DPDK_HOTPLUG_DEVARGS_BUDGET_MB: "64M" is not a whole number of MiB from 1 to 1048576',
      );
      delete process.env.DPDK_HOTPLUG_DEVARGS_BUDGET_MB;
      process.env.DPDK_HOTPLUG_SYSFS = 'sys';
      expect(errorOf(() => ealArgs({}))).toMatchObject({ code: 'INVALID_OPTION', key: 'sysfs' });
    } finally {
      process.env = saved;
      rmSync(sysfs, { recursive: true, force: true });
    }
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
