import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHost, type Host } from '@dpdk-hotplug/linux';
import { type FakeMachine, labMachine } from '@dpdk-hotplug/linux/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { parseInventory } from './inventory.js';
import { dpdkMatches, preparationTable, prepareRunner, type RunnerPreparation } from './runner-prepare.js';

const machines: FakeMachine[] = [];
afterEach(() => {
  for (const m of machines.splice(0)) m.cleanup();
});
const dpdk = () => ({ version: '22.11.11', prefix: '/usr' });

/** A runner on labMachine: a spare e1000e, the machine's own NIC, an absent NIC, a wrong model, a vdev. */
const INVENTORY = `version: 1
runners:
  - name: lab1
    dpdk: "22.11"
    hugepages: 64M
    duts:
      - name: spare
        pci: 0000:01:00.0
        model: e1000e
        ids: 8086:10d3
        driver: vfio-pci
        kernelDriver: e1000e
        traffic: peer=enp2s0
        removal: none
      - name: own-nic
        pci: 0000:00:03.0
        model: virtio-net
        ids: 1af4:1041
        driver: uio_pci_generic
        kernelDriver: virtio-pci
        traffic: none
        removal: none
      - name: absent
        pci: 0000:05:00.0
        model: e1000e
        ids: 8086:10d3
        driver: vfio-pci
        kernelDriver: e1000e
        traffic: none
        removal: slot-power
      - name: wrong-model
        pci: 0000:02:00.0
        model: X710
        ids: 8086:1572
        driver: vfio-pci
        kernelDriver: i40e
        traffic: none
        removal: none
      - name: nullpmd
        vdev: net_null0
`;
const runner = (text = INVENTORY) => parseInventory(text, 'lab.yaml').runners[0]!;

function machine(): FakeMachine {
  const m = labMachine();
  machines.push(m);
  // The container device exists once vfio-pci is loaded; the group node once a device is bound.
  mkdirSync(join(m.devfs, 'vfio'), { recursive: true });
  writeFileSync(join(m.devfs, 'vfio/vfio'), '');
  return m;
}

const item = (p: RunnerPreparation, scope: string, check: string) =>
  p.items.find((i) => i.scope === scope && i.check === check);

describe('runner preparation on a fake machine', () => {
  /**
   * Steps: check (no --fix) a runner whose NICs are a spare one still on its kernel driver, the
   * machine's own, an absent one and one of another model, with too few hugepages.
   * Verify: each DUT that cannot run says why and how to fix it; the vdev is blocked only by
   * runner-wide needs; nothing is written.
   */
  it('checks without writing anything, and says why each DUT cannot run', async () => {
    const m = machine();
    const p = await prepareRunner(m.host, runner(), { dpdk });
    expect(m.writes).toEqual([]);
    expect(item(p, 'runner', 'DPDK')).toMatchObject({
      ready: true,
      detail: expect.stringContaining('22.11.11'),
    });
    expect(item(p, 'runner', 'hugepages')).toMatchObject({
      ready: false,
      fix: expect.stringContaining('--fix'),
    });
    expect(item(p, 'runner', 'module i40e')).toMatchObject({ ready: false });
    expect(item(p, 'spare', 'bound')).toMatchObject({
      ready: false,
      detail: 'bound to e1000e: free to bind to vfio-pci',
      fix: '--fix binds it (dpdk-hotplug bind 0000:01:00.0 --driver vfio-pci)',
    });
    expect(item(p, 'own-nic', 'not in use')).toMatchObject({
      ready: false,
      detail: expect.stringMatching(/the machine uses it: .*eth0.*default route.*never touched/),
    });
    expect(item(p, 'absent', 'present')).toMatchObject({
      ready: false,
      fix: expect.stringContaining('power its slot on'),
    });
    expect(item(p, 'wrong-model', 'model')).toMatchObject({
      ready: false,
      detail: "0000:02:00.0 is 8086:10d3, not X710's 8086:1572",
    });
    expect(Object.keys(p.notReady).sort()).toEqual(['absent', 'own-nic', 'spare', 'wrong-model']);
    expect(p.notReady.spare).toBe('bound: bound to e1000e: free to bind to vfio-pci');
    expect(p.notReady.nullpmd).toBeUndefined();
    expect(p.ready).toBe(false);
    const table = preparationTable(p);
    expect(table[0]).toMatch(/^what\s+check\s+status\s+detail$/);
    expect(table).toContain('can run    nullpmd');
    expect(table.at(-1)).toBe('runner lab1: 4 of 5 DUT(s) cannot run');
  });

  /**
   * Steps: --fix on the same runner (less the wrong model), then again.
   * Verify: hugepages reserved, the spare NIC bound to vfio-pci, the machine's own NIC untouched
   * (no write names it) and still refused; the second --fix writes nothing new.
   */
  it("--fix reserves, binds and loads what is missing, and never touches the machine's own NIC", async () => {
    const m = machine();
    const text = INVENTORY.replace(/ {6}- name: wrong-model[\s\S]*?removal: none\n/, '');
    const p = await prepareRunner(m.host, runner(text), { dpdk, fix: true });
    expect(m.driverOf('0000:01:00.0')).toBe('vfio-pci');
    expect(item(p, 'spare', 'bound')).toMatchObject({ ready: true, detail: 'bound to vfio-pci' });
    expect(item(p, 'runner', 'hugepages')).toMatchObject({ ready: true });
    expect(m.writes.some((w) => w.path.includes('0000:00:03.0'))).toBe(false);
    expect(m.driverOf('0000:00:03.0')).toBe('virtio-pci');
    expect(Object.keys(p.notReady).sort()).toEqual(['absent', 'own-nic']);
    const writes = m.writes.length;
    const again = await prepareRunner(m.host, runner(text), { dpdk, fix: true });
    expect(m.writes.length).toBe(writes);
    expect(Object.keys(again.notReady).sort()).toEqual(['absent', 'own-nic']);
  });

  it('--fix --dry-run writes nothing and lists what it would do', async () => {
    const m = machine();
    const p = await prepareRunner(m.host, runner(), { dpdk, fix: true, dryRun: true });
    expect(m.writes).toEqual([]);
    expect(m.driverOf('0000:01:00.0')).toBe('e1000e');
    expect(item(p, 'spare', 'bound')?.done).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^would write vfio-pci to .*0000:01:00.0\/driver_override$/),
      ]),
    );
    expect(item(p, 'runner', 'hugepages')?.done?.[0]).toMatch(/^would write 32 to .*nr_hugepages$/);
  });

  /**
   * Steps: check and --fix a runner whose NICs run the PCI checks (a removal that is not none):
   * one present on its kernel driver (sysfs-remove), one QEMU has not plugged yet (qemu).
   * Verify: both can run (the checks plug and bind them: 101, 102); --fix binds neither.
   */
  it('leaves the NICs of the PCI checks on their kernel driver, plugged or not', async () => {
    const m = machine();
    const text = `version: 1\nrunners:\n  - name: r\n    duts:\n${[
      ['0000:01:00.0', 'sysfs-remove'],
      ['0000:05:00.0', 'qemu'],
    ]
      .map(
        ([bdf, removal]) =>
          `      - pci: ${bdf}\n        model: e1000e\n        ids: 8086:10d3\n        driver: vfio-pci\n        kernelDriver: e1000e\n        traffic: none\n        removal: ${removal}\n`,
      )
      .join('')}`;
    const p = await prepareRunner(m.host, runner(text), { dpdk, fix: true });
    expect(item(p, 'r-0000-01-00-0', 'bound')).toMatchObject({
      ready: true,
      detail: 'bound to e1000e: free to bind to vfio-pci (check 102 binds it)',
    });
    expect(item(p, 'r-0000-05-00-0', 'present')).toMatchObject({
      ready: true,
      detail: 'no PCI device at 0000:05:00.0: check 101 plugs it (device_add)',
    });
    expect(p.notReady).toEqual({});
    expect(m.driverOf('0000:01:00.0')).toBe('e1000e');
    expect(m.writes.some((w) => w.path.includes('0000:01:00.0'))).toBe(false);
  });

  it('refuses a DPDK other than the one the runner asks for, for every DUT', async () => {
    const m = machine();
    const p = await prepareRunner(m.host, runner(INVENTORY.replace('"22.11"', '"23.11"')), { dpdk });
    expect(item(p, 'runner', 'DPDK')).toMatchObject({ ready: false, fix: expect.stringContaining('23.11') });
    expect(p.notReady.nullpmd).toMatch(/^DPDK: 22\.11\.11 at \/usr \(the inventory asks for 23\.11\)/);
    expect(dpdkMatches('22.11.11', '22.11')).toBe(true);
    expect(dpdkMatches('22.11.11', '22.1')).toBe(false);
    const none = await prepareRunner(m.host, runner(), {
      dpdk: () => {
        throw new Error('No DPDK found: pkg-config finds no libdpdk');
      },
    });
    expect(none.notReady.nullpmd).toBe('DPDK: No DPDK found: pkg-config finds no libdpdk');
  });

  it("brings a peer interface up with --fix (through the host's exec)", async () => {
    const m = machine();
    const ran: string[][] = [];
    let up = false;
    const host: Host = {
      ...m.host,
      exec: async (file, args, options) => {
        if (file !== 'ip') return m.host.exec(file, args, options);
        ran.push([file, ...args]);
        up = true;
        return { code: 0, stdout: '', stderr: '' };
      },
      net: async () => ({
        links: [{ name: 'peer0', up, addresses: [] }],
        routes: [],
      }),
    };
    const text = `version: 1\nrunners:\n  - name: r\n    duts:\n      - vdev: net_null0\n        traffic: peer=peer0\n`;
    const check = await prepareRunner(host, runner(text), { dpdk });
    expect(check.notReady['r-net_null0']).toBe('peer: peer0 is down');
    const fixed = await prepareRunner(host, runner(text), { dpdk, fix: true });
    expect(ran).toEqual([['ip', 'link', 'set', 'peer0', 'up']]);
    expect(fixed.ready).toBe(true);
  });
});

describe('runner preparation on this machine (read only)', () => {
  /** The machine's own NIC, listed as a DUT by mistake: refused with the reason, nothing written. */
  it.skipIf(!existsSync('/sys/bus/pci/devices/0000:00:03.0'))("refuses the machine's own NIC", async () => {
    const own = `version: 1\nrunners:\n  - name: here\n    duts:\n      - pci: 0000:00:03.0\n        model: virtio-net\n        ids: 1af4:1041\n        driver: uio_pci_generic\n        kernelDriver: virtio-pci\n        traffic: none\n        removal: none\n`;
    const p = await prepareRunner(createHost(), runner(own), { dpdk });
    expect(p.notReady['here-0000-00-03-0']).toBeDefined();
    expect(item(p, 'here-0000-00-03-0', 'not in use')).toMatchObject({
      ready: false,
      detail: expect.stringMatching(/^the machine uses it: .*eth0.*never touched$/),
    });
  });
});
