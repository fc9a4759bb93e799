import { describe, expect, it } from 'vitest';
import { isKernelError } from './errors.js';
import { getDevice, listDevices } from './inventory.js';
import { pciAddress } from './pci-address.js';
import { fakeMachines } from './test-support/machines.js';

const make = fakeMachines();

describe('inventory on a fake sysfs tree', () => {
  /**
   * Steps: list every device of the lab machine.
   * Verify: ids, class, driver, numa and IOMMU group read from the tree; interfaces found through
   * class/net even one level down (virtio); the machine's own NIC and root disk active, with reasons.
   */
  it('reads each device and says what is active and why', async () => {
    const m = make();
    const devices = await listDevices(m.host);
    expect(devices.map((d) => d.address)).toEqual([
      '0000:00:02.0',
      '0000:00:03.0',
      '0000:01:00.0',
      '0000:02:00.0',
    ]);
    const nic = devices.find((d) => d.address === '0000:00:03.0')!;
    expect(nic).toMatchObject({
      vendorId: '1af4',
      deviceId: '1041',
      classCode: '020000',
      driver: 'virtio-pci',
      driverOverride: null,
      numaNode: null,
      iommuGroup: 3,
      active: true,
    });
    expect(nic.interfaces).toEqual([
      { name: 'eth0', up: true, addresses: ['192.0.2.2/24'], routes: ['192.0.2.0/24'], defaultRoute: true },
    ]);
    expect(nic.activeReasons).toEqual(['eth0 is up with 192.0.2.2/24', 'eth0 carries the default route']);
    const disk = devices.find((d) => d.address === '0000:00:02.0')!;
    expect(disk.blockDevices).toEqual([{ name: 'vda', mounts: ['/'] }]);
    expect(disk.activeReasons).toEqual(['vda is mounted at /']);
  });

  /**
   * Steps: look at the spare NICs: one down, one up with only a link-local address.
   * Verify: neither is active (link-local addresses and routes come with every up interface).
   */
  it('does not count link-local addresses as use', async () => {
    const m = make();
    const spare = await getDevice(m.host, '01:00.0');
    expect(spare).toMatchObject({ address: '0000:01:00.0', numaNode: 0, active: false, activeReasons: [] });
    const up = await getDevice(m.host, '0000:02:00.0');
    expect(up.interfaces[0]).toMatchObject({ name: 'enp2s0', up: true, addresses: [], routes: [] });
    expect(up.active).toBe(false);
  });

  /**
   * Steps: filter by class name and by hex prefix; ask for an unknown class and a missing device.
   * Verify: the filters agree; the errors are typed and name the input.
   */
  it('filters by class and rejects bad input with typed errors', async () => {
    const m = make();
    expect((await listDevices(m.host, { class: 'net' })).map((d) => d.address)).toEqual([
      '0000:00:03.0',
      '0000:01:00.0',
      '0000:02:00.0',
    ]);
    expect((await listDevices(m.host, { class: '01' })).map((d) => d.address)).toEqual(['0000:00:02.0']);
    await expect(listDevices(m.host, { class: 'toaster' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('toaster'),
    });
    const missing = await getDevice(m.host, '0000:09:00.0').catch((e) => e);
    expect(isKernelError(missing, 'DEVICE_NOT_FOUND')).toBe(true);
    expect(missing.message).toContain('0000:09:00.0');
  });
});

describe('pciAddress', () => {
  it('normalises the short form and case, and rejects what is not a BDF', () => {
    expect(pciAddress('01:00.0')).toBe('0000:01:00.0');
    expect(pciAddress(' 0000:AF:1F.7 ')).toBe('0000:af:1f.7');
    expect(pciAddress('10000:01:00.1')).toBe('10000:01:00.1');
    for (const bad of ['eth0', '0000:01:20.0', '0000:01:00.8', '1:0.0', '']) {
      expect(() => pciAddress(bad)).toThrow(expect.objectContaining({ code: 'INVALID_PCI_ADDRESS' }));
    }
  });
});
