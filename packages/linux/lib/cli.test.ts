import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { main } from './cli.js';
import { fakeMachines } from './test-support/machines.js';

const make = fakeMachines();

async function cli(args: string[], m = make()) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l), host: m.host });
  return { code, out: out.join('\n'), err: err.join('\n'), m };
}

describe('the kernel-side commands (fake machine)', () => {
  /**
   * Steps: `devices --class net`, then with --json.
   * Verify: one line per NIC with driver, interface and the active mark with its reason; JSON parses.
   */
  it('devices lists NICs and marks the active one', async () => {
    const { code, out } = await cli(['devices', '--class', 'net']);
    expect(code).toBe(0);
    const lines = out.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      /^0000:00:03.0 1af4:1041 .* drv=virtio-pci if=eth0 .*\*Active\* \(eth0 is up with 192.0.2.2\/24/,
    );
    expect(lines[1]).not.toContain('Active');
    const json = JSON.parse((await cli(['devices', '--json'])).out);
    expect(json.map((d: { address: string }) => d.address)).toContain('0000:01:00.0');
  });

  /**
   * Steps: `bind --dry-run`, `bind`, `restore --all`.
   * Verify: the dry run prints each echo it would make with /sys paths and writes nothing; bind
   * and restore move the device and back.
   */
  it('bind --dry-run prints the writes; restore --all gives everything back', async () => {
    const m = make();
    const dry = await cli(['bind', '01:00.0', '--driver', 'vfio-pci', '--dry-run'], m);
    expect(dry.code).toBe(0);
    expect(dry.out).toContain('0000:01:00.0: would move from e1000e to vfio-pci');
    expect(dry.out).toContain('echo "vfio-pci" > /sys/bus/pci/devices/0000:01:00.0/driver_override');
    expect(m.writes).toEqual([]);
    expect((await cli(['bind', '01:00.0', '--driver', 'vfio-pci'], m)).code).toBe(0);
    expect(m.driverOf('0000:01:00.0')).toBe('vfio-pci');
    const back = await cli(['restore', '--all'], m);
    expect(back.out).toContain('moved from vfio-pci to e1000e');
    expect(m.driverOf('0000:01:00.0')).toBe('e1000e');
  });

  /**
   * Steps: bind the active NIC; bind without --driver; a bad address; an unknown command.
   * Verify: exit 1 with the reason and code for a refusal, exit 2 for usage errors.
   */
  it('exits non-zero with the reason', async () => {
    const active = await cli(['bind', '0000:00:03.0', '--driver', 'vfio-pci']);
    expect(active.code).toBe(1);
    expect(active.err).toContain('device 0000:00:03.0 is active (eth0 is up with 192.0.2.2/24');
    expect(active.err).toContain('[DEVICE_ACTIVE]');
    expect((await cli(['bind', '0000:01:00.0'])).code).toBe(2);
    expect((await cli(['bind', 'eth1', '--driver', 'vfio-pci'])).err).toContain(
      '"eth1" is not a PCI address',
    );
    expect((await cli(['frobnicate'])).code).toBe(2);
  });

  it('kernel reports what vfio-pci lacks; hugepages shows and reserves', async () => {
    const k = await cli(['kernel', 'igb_uio']);
    expect(k.code).toBe(1);
    expect(k.out).toContain('MISS driver loaded');
    const m = make();
    const h = await cli(['hugepages', '--reserve', '64M', '--page-size', '2M'], m);
    expect(h.out).toContain('2048 kB pages: 32 total, 32 free');
  });

  /**
   * Steps: names with a path in them, for bind's --driver and kernel's driver; a negative and an
   * exponent timeout; an option another command takes; an unknown class; extra arguments.
   * Verify: exit 2 with one line naming the option and what it must be; nothing written.
   */
  it('refuses bad arguments with exit 2, before any write', async () => {
    const m = make();
    const cases: Array<[string[], string]> = [
      [
        ['bind', '0000:01:00.0', '--driver', 'vfio-pci/../../x'],
        '--driver must be a driver or module name (letters, digits, _ and -), got "vfio-pci/../../x"',
      ],
      [['bind', '0000:01:00.0', '--driver', ''], '--driver must not be empty'],
      [['kernel', 'vfio-pci/../../x'], 'driver must be a driver or module name'],
      [['kernel', '..'], 'driver must be a driver or module name'],
      [['kernel', 'vfio-pci', '--dry-run'], 'kernel only reads; --dry-run goes with --load'],
      [['pci', 'wait', '0000:01:00.0', 'present', '--timeout-ms', '-1'], 'from 1 to 3600000, got -1'],
      [['pci', 'wait', '0000:01:00.0', 'present', '--timeout-ms', '1e3'], 'in decimal digits, got "1e3"'],
      [['pci', 'wait', '0000:01:00.0', 'presnt'], 'wait: unknown value "presnt" (did you mean present?)'],
      [['pci', 'rescna'], 'pci: unknown value "rescna" (did you mean rescan?)'],
      [['pci', 'rescan', '--force'], 'pci rescan does not take --force'],
      [['pci', 'power', '1', 'of'], 'power: unknown value "of" (did you mean on?'],
      [['devices', '--reserve', '1G'], 'devices does not take --reserve'],
      [['devices', '--class', 'nte'], '--class: unknown value "nte" (did you mean net?)'],
      [['unbind', '0000:01:00.0', 'extra'], 'too many arguments: extra'],
      [
        ['hugepages', '--node', '-1', '--reserve', '2M'],
        '--node must be a whole number from 0 to 1023, got -1',
      ],
      [['hugepages', '--dry-run'], '--dry-run goes with --reserve, --mount or --unmount'],
      [['hugepages', '--unmount', '/'], '--unmount /: refusing the root folder'],
      [['hugepages', '--mount', '/tmp/..'], '--mount /: refusing the root folder'],
      [['hugepages', '--mount', 'rel/dir'], '--mount needs an absolute folder, got "rel/dir"'],
      [['hugepages', '--unmount', '/home'], 'no hugetlbfs is mounted at /home'],
      [
        ['hugepages', '--reserve', '1T'],
        "--reserve 1T is more than this machine's memory (MemTotal 4.0 GiB)",
      ],
      [
        ['hugepages', '--reserve', '99999999999999999999T'],
        "--reserve 99999999999999999999T is more than this machine's memory",
      ],
      [['hugepages', '--reserve', 'lots'], '--reserve must be a size like 2M or 1G'],
      [['hugepages', '--reserve', '2M', '--page-size', '3'], '--page-size 3 is too small'],
      [['bind', '0000:01:00.0', '--drvier', 'x'], 'unknown option --drvier (did you mean --driver?)'],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args, m);
      expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(2);
      expect(r.err).toContain(message);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
    expect(m.writes).toEqual([]);
    expect(m.commands).toEqual([]);
    const asJson = await cli(['bind', '0000:01:00.0', '--driver', 'a/b', '--json'], m);
    expect(JSON.parse(asJson.err)).toMatchObject({ error: { code: 'USAGE' } });
  });

  /**
   * Steps: every writing command with --dry-run: unbind, restore, pci remove, rescan, power,
   * hugepages --reserve/--mount/--unmount, kernel --load. Verify: exit 0, each prints the file and
   * value it would write (or the command it would run), and the fake kernel saw no write, no
   * program run. Then pci rescan without --dry-run writes (it ignored --dry-run before).
   */
  it('--dry-run writes nothing and prints what it would write, in every writing command', async () => {
    const m = make({ mounts: 'sysfs /sys sysfs rw 0 0\nnodev /mnt/huge hugetlbfs rw,pagesize=2M 0 0\n' });
    const expectations: Array<[string[], string]> = [
      [['unbind', '0000:01:00.0', '--dry-run'], 'echo "0000:01:00.0" > /sys/bus/pci/drivers/e1000e/unbind'],
      [['pci', 'remove', '0000:01:00.0', '--dry-run'], 'echo "1" > /sys/bus/pci/devices/0000:01:00.0/remove'],
      [['pci', 'rescan', '--dry-run'], 'echo "1" > /sys/bus/pci/rescan'],
      [['pci', 'power', '2', 'off', '--dry-run'], 'echo "0" > /sys/bus/pci/slots/2/power'],
      [
        ['hugepages', '--reserve', '64M', '--page-size', '2M', '--dry-run'],
        'echo "32" > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages',
      ],
      [
        ['hugepages', '--mount', `${m.root}/huge`, '--dry-run'],
        `mkdir -p ${m.root}/huge && mount -t hugetlbfs -o pagesize=2048K nodev ${m.root}/huge`,
      ],
      [['hugepages', '--unmount', '/mnt/huge', '--dry-run'], 'umount /mnt/huge'],
      [['kernel', 'igb_uio', '--load', '--dry-run'], 'would run: modprobe igb_uio'],
      [['kernel', 'vfio-pci', '--load', '--dry-run'], 'vfio_pci is loaded already, nothing to do'],
    ];
    for (const [args, line] of expectations) {
      const r = await cli(args, m);
      expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(0);
      expect(r.out).toContain(line);
    }
    expect(m.writes).toEqual([]);
    expect(m.commands).toEqual([]);
    expect(existsSync(`${m.root}/huge`)).toBe(false);
    const hp = JSON.parse((await cli(['hugepages', '--reserve', '64M', '--dry-run', '--json'], m)).out);
    expect(hp).toMatchObject({ dryRun: true, planned: [expect.stringContaining('nr_hugepages')] });
    // restore --dry-run after a real bind
    expect((await cli(['bind', '0000:01:00.0', '--driver', 'vfio-pci'], m)).code).toBe(0);
    const before = m.writes.length;
    const back = await cli(['restore', '0000:01:00.0', '--dry-run'], m);
    expect(back.out).toContain('would move from vfio-pci to e1000e');
    expect(m.writes).toHaveLength(before);
    // Without --dry-run, rescan writes.
    expect((await cli(['pci', 'rescan'], m)).code).toBe(0);
    expect(m.writes.at(-1)).toEqual({ path: 'bus/pci/rescan', data: '1' });
  });

  it('kernel --load runs modprobe for a module not loaded, then reports readiness', async () => {
    const m = make();
    const r = await cli(['kernel', 'igb_uio', '--load'], m);
    expect(r.out).toContain('ran: modprobe igb_uio');
    expect(m.commands).toEqual([['modprobe', 'igb_uio']]);
  });

  /**
   * Steps: hugepages --reserve where the write fails with EROFS, and with EACCES as a user who is
   * not root. Verify: exit 1; the hint says read-only file system for the first (not "run as
   * root"), "run as root" for the second.
   */
  it('hugepages hints match the cause', async () => {
    const m = make();
    m.failWrites(/nr_hugepages/, 'EROFS');
    const rofs = await cli(['hugepages', '--reserve', '64M'], m);
    expect(rofs.code).toBe(1);
    expect(rofs.err).toContain('read-only file system');
    expect(rofs.err).not.toContain('run as root');
    m.failWrites(/nr_hugepages/, 'EACCES');
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['hugepages', '--reserve', '64M'], {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      host: { ...m.host, uid: 1000 },
    });
    expect(code).toBe(1);
    expect(err.join('\n')).toMatch(/\(EACCES\): run as root \[SYSFS_WRITE_FAILED\]$/);
  });

  /**
   * Steps: bind with a state folder that cannot be made (under a regular file).
   * Verify: exit 1 and one line with the path and errno, no stack trace; the device did not move.
   */
  it('a state file it cannot write is one line, not a stack trace', async () => {
    const m = make();
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['bind', '0000:01:00.0', '--driver', 'vfio-pci'], {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      host: { ...m.host, stateDir: '/dev/null/dpdk-hotplug' },
    });
    expect(code).toBe(1);
    expect(err.join('\n')).toMatch(
      /^dpdk-hotplug bind: ENOTDIR: .*\/dev\/null\/dpdk-hotplug.*: the state folder/,
    );
    expect(err.join('\n')).not.toMatch(/\n\s+at /);
    expect(m.driverOf('0000:01:00.0')).toBe('e1000e');
  });
});
