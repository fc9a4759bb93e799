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
});
