import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bind, restore, unbind } from './bind.js';
import { isBindError } from './errors.js';
import { getDevice } from './inventory.js';
import { readBinding } from './records.js';
import { fakeMachines } from './test-support/machines.js';

const make = fakeMachines();
const NIC = '0000:01:00.0';

describe('bind and restore with driver_override', () => {
  /**
   * Steps: bind a spare NIC to vfio-pci; bind again; restore; restore again.
   * Verify: the writes are override → unbind → drivers_probe; the interface goes and comes back;
   * the second bind and the second restore write nothing; the record is kept until restore.
   */
  it('binds, is idempotent, and restores the original driver and interface', async () => {
    const m = make();
    const r = await bind(m.host, NIC, 'vfio-pci');
    expect(r).toMatchObject({ from: 'e1000e', to: 'vfio-pci', changed: true, dryRun: false });
    expect(m.writes).toEqual([
      { path: `bus/pci/devices/${NIC}/driver_override`, data: 'vfio-pci' },
      { path: 'bus/pci/drivers/e1000e/unbind', data: NIC },
      { path: 'bus/pci/drivers_probe', data: NIC },
    ]);
    expect(m.driverOf(NIC)).toBe('vfio-pci');
    expect((await getDevice(m.host, NIC)).interfaces).toEqual([]);
    expect(await readBinding(m.host, NIC as never)).toMatchObject({
      originalDriver: 'e1000e',
      interfaces: ['enp1s0'],
    });

    m.writes.length = 0;
    expect(await bind(m.host, NIC, 'vfio-pci')).toMatchObject({ changed: false, writes: [] });
    expect(m.writes).toEqual([]);

    const back = await restore(m.host, NIC);
    expect(back).toMatchObject({ from: 'vfio-pci', to: 'e1000e', changed: true });
    expect(m.driverOf(NIC)).toBe('e1000e');
    const dev = await getDevice(m.host, NIC);
    expect(dev.interfaces.map((i) => i.name)).toEqual(['enp1s0']);
    expect(dev.driverOverride).toBeNull();
    expect(await readBinding(m.host, NIC as never)).toBeNull();
    await expect(restore(m.host, NIC)).rejects.toMatchObject({ code: 'NOT_RECORDED' });
  });

  /**
   * Steps: bind to uio_pci_generic, then to vfio-pci, then restore.
   * Verify: restore goes back to the first original driver (e1000e), not to uio_pci_generic.
   */
  it('keeps the first original driver across rebinds', async () => {
    const m = make();
    await bind(m.host, NIC, 'uio_pci_generic');
    await bind(m.host, NIC, 'vfio-pci');
    expect(m.driverOf(NIC)).toBe('vfio-pci');
    await restore(m.host, NIC);
    expect(m.driverOf(NIC)).toBe('e1000e');
  });

  /**
   * Steps: dry-run a bind of the spare NIC.
   * Verify: the planned writes are listed with absolute paths, nothing is written, nothing recorded.
   */
  it('dry run lists the writes and changes nothing', async () => {
    const m = make();
    const r = await bind(m.host, NIC, 'vfio-pci', { dryRun: true });
    expect(r.dryRun).toBe(true);
    expect(r.writes.map((w) => w.path.replace(m.sysfs, ''))).toEqual([
      `/bus/pci/devices/${NIC}/driver_override`,
      '/bus/pci/drivers/e1000e/unbind',
      '/bus/pci/drivers_probe',
    ]);
    expect(m.writes).toEqual([]);
    expect(m.driverOf(NIC)).toBe('e1000e');
    expect(await readBinding(m.host, NIC as never)).toBeNull();
  });

  /**
   * Steps: bind the machine's own NIC (eth0 up with an address and the default route), then dry-run it.
   * Verify: refused with DEVICE_ACTIVE naming eth0 and its address; nothing written; a dry run with
   * force shows the writes; still nothing written.
   */
  it('refuses an active device and says why', async () => {
    const m = make();
    const e = await bind(m.host, '0000:00:03.0', 'vfio-pci').catch((x) => x);
    expect(e).toMatchObject({ code: 'DEVICE_ACTIVE', device: '0000:00:03.0' });
    expect(e.message).toContain('eth0 is up with 192.0.2.2/24');
    expect(e.message).toContain('default route');
    const dry = await bind(m.host, '0000:00:03.0', 'vfio-pci', { dryRun: true, force: true });
    expect(dry.writes.map((w) => w.data)).toEqual(['vfio-pci', '0000:00:03.0', '0000:00:03.0']);
    expect(m.writes).toEqual([]);
    expect(m.driverOf('0000:00:03.0')).toBe('virtio-pci');
  });

  /**
   * Steps: bind to igb_uio (not loaded); bind vfio-pci on a device with no IOMMU group.
   * Verify: DRIVER_NOT_LOADED with the modprobe/dkms hint; IOMMU_UNAVAILABLE naming the fixes.
   */
  it('names what is missing before touching anything', async () => {
    const m = make();
    await expect(bind(m.host, NIC, 'igb_uio')).rejects.toMatchObject({
      code: 'DRIVER_NOT_LOADED',
      message: expect.stringContaining('dpdk-kmods-dkms'),
    });
    await expect(bind(m.host, NIC, 'no such')).rejects.toMatchObject({ code: 'DRIVER_UNKNOWN' });
    const noIommu = make({
      devices: [{ address: NIC, vendor: '8086', device: '10d3', class: '020000', driver: 'e1000e' }],
    });
    await expect(bind(noIommu.host, NIC, 'vfio-pci')).rejects.toMatchObject({
      code: 'IOMMU_UNAVAILABLE',
      message: expect.stringContaining('intel_iommu=on'),
    });
    expect(noIommu.writes).toEqual([]);
  });
});

describe('failures half-way roll back', () => {
  /**
   * Steps: make drivers_probe fail with EIO after the override and unbind were written.
   * Verify: BindError SYSFS_WRITE_FAILED naming the path and errno, rolledBack true; the device is
   * on e1000e again with its interface and an empty override; no record is left.
   */
  it('puts the device back when the probe fails', async () => {
    const m = make();
    m.failWrites(/^bus\/pci\/drivers_probe$/, 'EIO');
    const e = await bind(m.host, NIC, 'vfio-pci').catch((x) => x);
    expect(isBindError(e)).toBe(true);
    expect(e).toMatchObject({ code: 'SYSFS_WRITE_FAILED', errno: 'EIO', rolledBack: true });
    expect(e.path).toBe(`${m.sysfs}/bus/pci/drivers_probe`);
    expect(m.driverOf(NIC)).toBe('e1000e');
    const dev = await getDevice(m.host, NIC);
    expect(dev.driverOverride).toBeNull();
    expect(dev.interfaces.map((i) => i.name)).toEqual(['enp1s0']);
    expect(await readBinding(m.host, NIC as never)).toBeNull();
  });

  /**
   * Steps: bind to a driver whose probe fails for this device (uio_pci_generic on a device
   * without INTx): the drivers_probe write succeeds and binds nothing, as the kernel does.
   * Verify: BIND_FAILED saying where the device ended up; rolled back to e1000e with its interface.
   */
  it('checks where the device ended up, not only that the writes succeeded', async () => {
    const m = make({
      drivers: [
        { name: 'e1000e', ids: ['8086:10d3'] },
        { name: 'virtio-pci', ids: ['1af4:1041', '1af4:1042'] },
        { name: 'uio_pci_generic', refusesProbe: true },
      ],
    });
    const e = await bind(m.host, NIC, 'uio_pci_generic').catch((x) => x);
    expect(e).toMatchObject({ code: 'BIND_FAILED', rolledBack: true });
    expect(e.message).toContain('ended up with no driver, not uio_pci_generic');
    expect(m.driverOf(NIC)).toBe('e1000e');
    expect((await getDevice(m.host, NIC)).interfaces.map((i) => i.name)).toEqual(['enp1s0']);
  });

  /**
   * Steps: fail the probe, and fail the rollback's own bind too.
   * Verify: ROLLBACK_FAILED, rolledBack false, and the hint says how to bind it back by hand.
   */
  it('says so plainly when the rollback fails too', async () => {
    const m = make();
    m.failWrites(/^bus\/pci\/drivers_probe$/, 'EIO', 2);
    const e = await bind(m.host, NIC, 'vfio-pci').catch((x) => x);
    expect(e).toMatchObject({ code: 'ROLLBACK_FAILED', rolledBack: false });
    expect(e.message).toContain(`dpdk-hotplug bind ${NIC} --driver e1000e`);
    expect(await readBinding(m.host, NIC as never)).toMatchObject({ originalDriver: 'e1000e' });
  });
});

describe('kernels without driver_override', () => {
  /**
   * Steps: on a tree with no driver_override files, bind to vfio-pci and restore.
   * Verify: unbind → new_id → (bind skipped: new_id bound it) → remove_id; the other NIC of the
   * same model is not taken by the new id; restore binds e1000e by name.
   */
  it('uses new_id and remove_id and leaves the other NIC alone', async () => {
    const m = make({ driverOverride: false });
    const other = '0000:02:00.0';
    await unbind(m.host, other, { force: true });
    m.writes.length = 0;
    await bind(m.host, NIC, 'vfio-pci');
    expect(m.writes).toEqual([
      { path: 'bus/pci/drivers/e1000e/unbind', data: NIC },
      { path: 'bus/pci/drivers/vfio-pci/new_id', data: '8086 10d3' },
      { path: 'bus/pci/drivers/vfio-pci/remove_id', data: '8086 10d3' },
    ]);
    expect(m.driverOf(NIC)).toBe('vfio-pci');
    // new_id offers the id to every unbound device of the model: the unbound sibling is taken
    // too. That is the kernel's behaviour; remove_id stops it spreading further, restore undoes it.
    expect(m.driverOf(other)).toBe('vfio-pci');
    await restore(m.host, NIC);
    expect(m.driverOf(NIC)).toBe('e1000e');
    m.writes.length = 0;
    await bind(m.host, NIC, 'uio_pci_generic');
    // uio_pci_generic's new_id bound NIC only: the sibling was on vfio-pci, not free.
    expect(m.driverOf(other)).toBe('vfio-pci');
  });
});

describe('records and hot-plugged devices', () => {
  /**
   * Steps: bind a NIC (the record says e1000e); make the record look like another model's (as when
   * a different NIC is hot-plugged at the same address); restore; bind again.
   * Verify: restore refuses with NOT_RECORDED naming both ids and drops the stale record; the new
   * bind records the driver the device has now.
   */
  it('never restores a device to the driver of the one plugged there before', async () => {
    const m = make();
    await bind(m.host, NIC, 'vfio-pci');
    const file = join(m.stateDir, 'bindings', `${NIC}.json`);
    const record = JSON.parse(readFileSync(file, 'utf8'));
    expect(record).toMatchObject({ vendorId: '8086', deviceId: '10d3', originalDriver: 'e1000e' });
    writeFileSync(
      file,
      JSON.stringify({ ...record, vendorId: '1af4', deviceId: '1041', originalDriver: 'virtio-pci' }),
    );
    await expect(restore(m.host, NIC)).rejects.toMatchObject({
      code: 'NOT_RECORDED',
      message: expect.stringContaining('another device (1af4:1041, now 8086:10d3)'),
    });
    expect(await readBinding(m.host, NIC as never)).toBeNull();
    await bind(m.host, NIC, 'uio_pci_generic');
    expect(await readBinding(m.host, NIC as never)).toMatchObject({ originalDriver: 'vfio-pci' });
  });
});

describe('unbind', () => {
  it('leaves the device driverless, is idempotent, and restore brings the driver back', async () => {
    const m = make();
    expect(await unbind(m.host, NIC)).toMatchObject({ from: 'e1000e', to: null, changed: true });
    expect(m.driverOf(NIC)).toBeNull();
    expect(await unbind(m.host, NIC)).toMatchObject({ changed: false });
    await restore(m.host, NIC);
    expect(m.driverOf(NIC)).toBe('e1000e');
  });
});
