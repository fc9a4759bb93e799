import { describe, expect, it } from 'vitest';
import { bind } from './bind.js';
import { getDevice } from './inventory.js';
import {
  physicalFunction,
  removeDevice,
  rescan,
  setVfCount,
  slotPower,
  slots,
  virtualFunctions,
  waitForDevice,
  waitForInterface,
  waitForSlot,
} from './pci-hotplug.js';
import { fakeMachines } from './test-support/machines.js';

const make = fakeMachines();
const NIC = '0000:01:00.0';

describe('PCI hotplug on a fake tree', () => {
  /**
   * Steps: remove a spare NIC bound to vfio-pci, wait for it to go; rescan, wait for it to come.
   * Verify: it disappears; after rescan it is back, probed by its kernel driver (the override
   * went with the removed device), with its interface.
   */
  it('removes a device and rescans it back', async () => {
    const m = make();
    await bind(m.host, NIC, 'vfio-pci');
    const gone = waitForDevice(m.host, NIC, 'absent', { timeoutMs: 1000 });
    await removeDevice(m.host, NIC);
    await gone;
    await expect(getDevice(m.host, NIC)).rejects.toMatchObject({ code: 'DEVICE_NOT_FOUND' });
    await rescan(m.host);
    await waitForDevice(m.host, NIC, 'present', { driver: 'e1000e', timeoutMs: 1000 });
    expect((await getDevice(m.host, NIC)).interfaces.map((i) => i.name)).toEqual(['enp1s0']);
    expect(m.writes.slice(-2)).toEqual([
      { path: `bus/pci/devices/${NIC}/remove`, data: '1' },
      { path: 'bus/pci/rescan', data: '1' },
    ]);
  });

  /**
   * Steps: list slots; power slot 1 off and on; power the machine's own NIC's slot (none) and an
   * unknown slot.
   * Verify: slots show address and power; off removes the device, on brings it back; unknown slot
   * is NO_SUCH_SLOT.
   */
  it('powers slots off and on', async () => {
    const m = make();
    expect(await slots(m.host)).toEqual([
      { slot: '1', address: '0000:01:00', power: true },
      { slot: '2', address: '0000:02:00', power: true },
    ]);
    await slotPower(m.host, '1', false);
    await waitForDevice(m.host, NIC, 'absent', { timeoutMs: 1000 });
    expect((await slots(m.host))[0]!.power).toBe(false);
    await expect(waitForSlot(m.host, '1', { timeoutMs: 50 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    await slotPower(m.host, '1', true);
    expect(await waitForSlot(m.host, '1', { driver: 'e1000e', timeoutMs: 1000 })).toBe(NIC);
    await expect(slotPower(m.host, '9', false)).rejects.toMatchObject({ code: 'NO_SUCH_SLOT' });
  });

  /**
   * Steps: remove the machine's own active NIC; wait for a device that never comes.
   * Verify: DEVICE_ACTIVE and nothing written; TIMEOUT naming the device and the wait.
   */
  it('refuses to remove an active device and times out with a reason', async () => {
    const m = make();
    await expect(removeDevice(m.host, '0000:00:03.0')).rejects.toMatchObject({ code: 'DEVICE_ACTIVE' });
    expect(m.writes).toEqual([]);
    await expect(waitForDevice(m.host, '0000:07:00.0', 'present', { timeoutMs: 50 })).rejects.toMatchObject({
      code: 'TIMEOUT',
      message: expect.stringContaining('0000:07:00.0 did not appear within 50 ms'),
    });
  });

  /**
   * Steps: ask for the interface of a NIC bound to its kernel driver, of one bound to vfio-pci,
   * and of an absent device. Verify: the first's name; a TIMEOUT naming the device for the others.
   */
  it("waits for a NIC's kernel interface and says which device has none", async () => {
    const m = make();
    expect(await waitForInterface(m.host, NIC, { timeoutMs: 200 })).toMatch(/^\w+$/);
    await bind(m.host, NIC, 'vfio-pci');
    await expect(waitForInterface(m.host, NIC, { timeoutMs: 60 })).rejects.toMatchObject({
      code: 'TIMEOUT',
      device: NIC,
      message: expect.stringContaining(`${NIC} has no kernel interface within 60 ms`),
    });
  });

  /**
   * Steps: remove, rescan and slot power with dryRun. Verify: each returns the write it would
   * make and nothing is written; the checks still run (an active device is refused).
   */
  it('dry runs write nothing and say what they would write', async () => {
    const m = make();
    expect(await removeDevice(m.host, NIC, { dryRun: true })).toEqual([
      { path: m.host.sys('bus/pci/devices', NIC, 'remove'), data: '1' },
    ]);
    expect(await rescan(m.host, { dryRun: true })).toEqual([
      { path: m.host.sys('bus/pci/rescan'), data: '1' },
    ]);
    expect(await slotPower(m.host, '1', false, { dryRun: true })).toEqual([
      { path: m.host.sys('bus/pci/slots/1/power'), data: '0' },
    ]);
    await expect(removeDevice(m.host, '0000:00:03.0', { dryRun: true })).rejects.toMatchObject({
      code: 'DEVICE_ACTIVE',
    });
    expect(m.writes).toEqual([]);
    expect((await getDevice(m.host, NIC)).driver).toBe('e1000e');
  });
});

describe('SR-IOV VFs on a fake tree', () => {
  const pf = '0000:03:00.0';
  const vf = (fn: number) => ({
    address: `0000:03:10.${fn}`,
    vendor: '8086',
    device: '10ca',
    class: '020000',
    driver: 'igbvf',
  });
  const machine = () =>
    make({
      devices: [
        { address: pf, vendor: '8086', device: '10c9', class: '020000', driver: 'igb', vfs: [vf(0), vf(2)] },
      ],
      drivers: [
        { name: 'igb', ids: ['8086:10c9'] },
        { name: 'igbvf', ids: ['8086:10ca'] },
      ],
    });

  /**
   * Steps: make 2 VFs on an igb PF, ask each VF for its PF, change the count while VFs exist,
   * destroy them. Verify: the VFs' addresses in order, bound to igbvf; physfn names the PF and
   * is undefined for the PF itself; the kernel's EBUSY; none left after 0.
   */
  it('makes VFs, names their PF and destroys them', async () => {
    const m = machine();
    expect(await virtualFunctions(m.host, pf)).toEqual([]);
    expect(await setVfCount(m.host, pf, 2, { timeoutMs: 1000 })).toEqual(['0000:03:10.0', '0000:03:10.2']);
    await waitForDevice(m.host, '0000:03:10.2', 'present', { driver: 'igbvf', timeoutMs: 1000 });
    expect(await physicalFunction(m.host, '0000:03:10.0')).toBe(pf);
    expect(await physicalFunction(m.host, pf)).toBeUndefined();
    await expect(setVfCount(m.host, pf, 1)).rejects.toMatchObject({ errno: 'EBUSY' });
    expect(await setVfCount(m.host, pf, 0)).toEqual([]);
    expect(await virtualFunctions(m.host, pf)).toEqual([]);
    await waitForDevice(m.host, '0000:03:10.0', 'absent', { timeoutMs: 1000 });
    expect(m.writes.map((w) => w.data)).toEqual(['2', '1', '0']);
    expect(await setVfCount(m.host, pf, 1, { dryRun: true })).toEqual([]);
    expect(m.writes).toHaveLength(3);
  });
});
