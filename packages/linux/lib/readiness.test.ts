import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModule, readiness } from './readiness.js';
import { fakeMachines } from './test-support/machines.js';

const make = fakeMachines();

describe('readiness on a fake machine', () => {
  /**
   * Steps: ask about vfio-pci for a spare NIC with an IOMMU group, before and after its
   * /dev/vfio/<group> node and the container device exist.
   * Verify: each check names what it found; with everything there, ready.
   */
  it('checks module, IOMMU, container and group devices for vfio-pci', async () => {
    const m = make();
    const before = await readiness(m.host, 'vfio-pci', '0000:01:00.0');
    expect(before.checks.find((c) => c.name === 'vfio container device')).toMatchObject({
      ok: false,
      fix: expect.stringContaining('modprobe vfio-pci'),
    });
    mkdirSync(join(m.devfs, 'vfio'), { recursive: true });
    writeFileSync(join(m.devfs, 'vfio/vfio'), '');
    writeFileSync(join(m.devfs, 'vfio/10'), '');
    const after = await readiness(m.host, 'vfio-pci', '0000:01:00.0');
    expect(after.checks.map((c) => `${c.name}: ${c.ok}`)).toEqual([
      'driver loaded: true',
      'device free: true',
      'IOMMU: true',
      'IOMMU group: true',
      'vfio group device: true',
      'vfio container device: true',
    ]);
    expect(after.ready).toBe(true);
    m.denyAccess('vfio/10');
    const denied = await readiness(m.host, 'vfio-pci', '0000:01:00.0');
    expect(denied.ready).toBe(false);
    expect(denied.checks.find((c) => c.name === 'vfio group device')).toMatchObject({
      ok: false,
      fix: expect.stringContaining('udev rule'),
    });
  });

  /**
   * Steps: ask about igb_uio (not loaded) and uio_pci_generic for the active NIC.
   * Verify: igb_uio's fix names dpdk-kmods-dkms; the active NIC is not free, with the reason.
   */
  it('names what is missing for the UIO drivers', async () => {
    const m = make();
    const igb = await readiness(m.host, 'igb_uio');
    expect(igb.ready).toBe(false);
    expect(igb.checks[0]!.fix).toContain('dpdk-kmods-dkms');
    const uio = await readiness(m.host, 'uio_pci_generic', '0000:00:03.0');
    expect(uio.checks.find((c) => c.name === 'device free')).toMatchObject({
      ok: false,
      detail: expect.stringContaining('eth0'),
    });
    expect(uio.checks.find((c) => c.name === 'uio')).toMatchObject({ ok: true });
  });
});

describe('loading a module', () => {
  /**
   * Steps: plan loading igb_uio from the modules of a kernel unpacked under a root of its own,
   * and one that is loaded already. Verify: `modprobe -d ROOT igb_uio`; nothing for the loaded one.
   */
  it('takes the modules from another root with modprobe -d', async () => {
    const m = make();
    expect(await loadModule(m.host, 'igb_uio', { dryRun: true, modulesRoot: '/var/cache/k' })).toMatchObject({
      command: ['modprobe', '-d', '/var/cache/k', 'igb_uio'],
      changed: true,
    });
    expect(await loadModule(m.host, 'uio_pci_generic', { dryRun: true, modulesRoot: '/k' })).toMatchObject({
      changed: false,
    });
    expect(m.commands).toEqual([]);
  });
});
