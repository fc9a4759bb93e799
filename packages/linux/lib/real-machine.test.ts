import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bind, unbind } from './bind.js';
import { createHost } from './host.js';
import { hugepages, reserveHugepages } from './hugepages.js';
import { getDevice, listDevices } from './inventory.js';
import { removeDevice } from './pci-hotplug.js';
import { readiness } from './readiness.js';

// These tests only read the real machine (hugepages excepted: reserved and given back).
const host = createHost();

/**
 * The PCI NIC that carries this machine's default route, found as the kernel sees it (not pinned to
 * one VM's address): its interface, and the PCI function above it in sysfs (a virtio NIC's net device
 * sits on a `virtioN` child of the function). Undefined on a machine with no such NIC.
 */
function defaultRouteNic(): { address: string; iface: string } | undefined {
  if (!existsSync('/proc/net/route')) return undefined;
  const row = readFileSync('/proc/net/route', 'utf8')
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .find((cols) => cols[1] === '00000000');
  const iface = row?.[0];
  if (!iface || !existsSync(`/sys/class/net/${iface}/device`)) return undefined;
  const path = realpathSync(`/sys/class/net/${iface}/device`).split('/');
  const address = path.reverse().find((part) => /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/.test(part));
  return address ? { address, iface } : undefined;
}
const ownNic = defaultRouteNic();
const devbind = '/usr/bin/dpdk-devbind.py';

describe.skipIf(!existsSync('/sys/bus/pci/devices'))('the real machine, read only', () => {
  /**
   * Steps: read the real inventory.
   * Verify: the PCI NIC that carries the default route (found from /proc/net/route and sysfs, not
   * pinned to one machine) is listed with its interface, active for its address and default route;
   * binding it is refused (a dry run included), and so is removing it; its driver is unchanged.
   */
  it.skipIf(!ownNic)('finds its own NIC, marks it active and refuses to take it', async () => {
    const { address: OWN_NIC, iface } = ownNic!;
    const nic = await getDevice(host, OWN_NIC);
    const driverBefore = nic.driver;
    expect(driverBefore).toBeTruthy();
    expect(nic.interfaces.map((i) => i.name)).toContain(iface);
    expect(nic.active).toBe(true);
    expect(nic.activeReasons.join('; ')).toMatch(
      new RegExp(`${iface} (is up with|carries the default route)`),
    );
    for (const attempt of [
      () => bind(host, OWN_NIC, 'vfio-pci'),
      () => bind(host, OWN_NIC, 'uio_pci_generic', { dryRun: true }),
      () => unbind(host, OWN_NIC),
      () => removeDevice(host, OWN_NIC),
    ]) {
      await expect(attempt()).rejects.toMatchObject({ code: 'DEVICE_ACTIVE', device: OWN_NIC });
    }
    expect((await getDevice(host, OWN_NIC)).driver).toBe(driverBefore);
  });

  /**
   * Steps: run dpdk-devbind.py --status and read our inventory.
   * Verify: every device devbind lists is ours too, with the same driver, interfaces and name,
   * and devbind's *Active* network devices are active in ours.
   */
  it.skipIf(!existsSync(devbind))('agrees with dpdk-devbind.py --status', async () => {
    const out = execFileSync(devbind, ['--status'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const listed = [...out.matchAll(/^(\S+:\S+\.\d) '(.*) ([0-9a-f]{4})'(.*)$/gm)];
    expect(listed.length).toBeGreaterThan(0);
    const ours = await listDevices(host);
    for (const [, address, name, deviceId, rest] of listed) {
      const dev = ours.find((d) => d.address === address);
      expect(dev, address).toBeDefined();
      expect(dev!.deviceId).toBe(deviceId);
      expect(dev!.names.device).toBe(name);
      expect(dev!.driver ?? '').toBe(/drv=(\S*)/.exec(rest!)?.[1] ?? '');
      const ifs = /if=(\S*)/.exec(rest!)?.[1];
      if (ifs !== undefined) expect(dev!.interfaces.map((i) => i.name).join(',')).toBe(ifs);
      if (rest!.includes('*Active*')) expect(dev!.active, `${address} is *Active* for devbind`).toBe(true);
    }
  });

  /**
   * Steps: check readiness of vfio-pci and uio_pci_generic.
   * Verify: each check is reported with a fix where it fails; IOMMU readiness agrees with sysfs's
   * IOMMU groups and no-IOMMU mode; the default route's NIC (where there is one) is never ready.
   */
  it('reports what a driver still needs', async () => {
    const vfio = await readiness(host, 'vfio-pci');
    const iommu = vfio.checks.find((c) => c.name === 'IOMMU')!;
    // The oracle: what sysfs itself says about IOMMU groups and no-IOMMU mode.
    const groups = existsSync('/sys/kernel/iommu_groups')
      ? readdirSync('/sys/kernel/iommu_groups').length
      : 0;
    const noIommu = existsSync('/sys/module/vfio/parameters/enable_unsafe_noiommu_mode')
      ? /^[Y1]/.test(readFileSync('/sys/module/vfio/parameters/enable_unsafe_noiommu_mode', 'utf8'))
      : false;
    expect(iommu.ok).toBe(groups > 0 || noIommu);
    if (!iommu.ok) expect(iommu.fix).toContain('intel_iommu=on');
    for (const c of vfio.checks) if (!c.ok) expect(c.fix, c.name).toBeTruthy();
    expect(vfio.ready).toBe(vfio.checks.every((c) => c.ok));
    if (ownNic) {
      // The machine's own NIC is in use, so no driver is ever ready for it.
      const uio = await readiness(host, 'uio_pci_generic', ownNic.address);
      expect(uio.checks.find((c) => c.name === 'device free')).toMatchObject({ ok: false });
      expect(uio.ready).toBe(false);
    }
  });
});

const canHuge =
  existsSync('/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages') && process.getuid?.() === 0;

describe.skipIf(!canHuge)('hugepages on the real machine', () => {
  /**
   * Steps: reserve 8 MB of 2 MB pages more than there are, then release.
   * Verify: the count went up by 4 and the free count with it; after release it is back exactly.
   */
  it('reserves and gives back', async () => {
    const before = (await hugepages(host)).sizes.find((s) => s.pageSizeKb === 2048)!;
    const want = (before.total + 4) * 2 * 1024 * 1024;
    const r = await reserveHugepages(host, want, { pageSizeKb: 2048 });
    try {
      expect(r.after).toBe(before.total + 4);
      const during = (await hugepages(host)).sizes.find((s) => s.pageSizeKb === 2048)!;
      expect(during.total).toBe(before.total + 4);
      expect(during.free - before.free).toBe(4);
    } finally {
      await r.release();
    }
    expect((await hugepages(host)).sizes.find((s) => s.pageSizeKb === 2048)!.total).toBe(before.total);
  });
});
