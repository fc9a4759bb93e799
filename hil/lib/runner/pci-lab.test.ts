import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Dut, parseInventory } from '@dpdk-hotplug/conformance';
import { bind, listBindings } from '@dpdk-hotplug/linux';
import { type FakeMachine, labMachine } from '@dpdk-hotplug/linux/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { serve } from '../virtual/mailbox.js';
import { runnerLab } from './pci-lab.js';

/**
 * The runner's PCI lab on a fake machine (the kernel's sysfs simulated: remove, rescan, slot
 * power, binds): the sequence the PCI spec drives it through, for each removal method. The real
 * kernel is exercised by the two-guest run (README, "Guests as runners").
 */

const machines: FakeMachine[] = [];
afterEach(() => {
  for (const m of machines.splice(0)) m.cleanup();
});

const machine = () => {
  const m = labMachine();
  machines.push(m);
  return m;
};

/** The DUT as `lab run` hands it to the suite: from an inventory entry. */
function dutOf(entry: string): Dut {
  const text = `version: 1\nrunners:\n  - name: r1\n    duts:\n      - ${entry.trim().replace(/\n/g, '\n        ')}\n`;
  return parseInventory(text, 'lab.yaml').runners[0]!.duts[0]!;
}

const e1000e = (bdf: string, removal: string, unplug = 'clean') =>
  dutOf(
    `pci: ${bdf}\nmodel: e1000e\npmd: net_e1000_em\nids: 8086:10d3\ndriver: vfio-pci\nkernelDriver: e1000e\ntraffic: none\nremoval: ${removal}\nunplug: ${unplug}`,
  );

const present = (m: FakeMachine, bdf: string) => existsSync(join(m.sysfs, 'bus/pci/devices', bdf));

const kernelWrites = (m: FakeMachine) =>
  m.writes.filter((w) => /remove$|rescan$|power$/.test(w.path)).map((w) => `${w.path}=${w.data.trim()}`);

describe('a runner lab', () => {
  /**
   * Steps: from an inventory entry (sysfs-remove, clean), plug, bind, restore, unplug the NIC.
   * Verify: the DUT runs the PCI checks (pci.unplug clean, pmd from the entry); plug takes the
   * present NIC away and rescans (a real arrival, bound to e1000e); bind and restore move it;
   * unplug removes it; the other NIC is never written to.
   */
  it('takes a NIC away by sysfs remove and brings it back by a rescan', async () => {
    const m = machine();
    const dut = e1000e('0000:01:00.0', 'sysfs-remove');
    expect(dut.pci).toMatchObject({ unplug: 'clean', removal: 'sysfs-remove' });
    expect(dut.pmd).toBe('net_e1000_em');
    const lab = runnerLab(dut, m.host, { timeoutMs: 2000 });
    const device = await lab.plug('e1000e');
    expect(device).toEqual({ id: dut.name, model: 'e1000e', slot: '1', bdf: '0000:01:00.0' });
    expect(kernelWrites(m)).toEqual(['bus/pci/devices/0000:01:00.0/remove=1', 'bus/pci/rescan=1']);
    expect(m.driverOf('0000:01:00.0')).toBe('e1000e');
    await lab.bind(device.bdf, 'vfio-pci');
    expect(m.driverOf('0000:01:00.0')).toBe('vfio-pci');
    await lab.restore(device.bdf);
    expect(m.driverOf('0000:01:00.0')).toBe('e1000e');
    await lab.unplug(device);
    expect(present(m, '0000:01:00.0')).toBe(false);
    expect(m.writes.some((w) => w.path.includes('0000:02:00.0'))).toBe(false);
    expect(await lab.sweep()).toEqual([]);
  });

  /**
   * Steps: a slot-power DUT (surprise), bound to vfio-pci beforehand as `lab prepare --fix` does;
   * plug, bind, pull it, wait until gone, plug again.
   * Verify: plug gives the NIC back first (the binding record is gone), powers slot 2 off and on;
   * the surprise removal powers it off; the re-plug brings it back on its kernel driver.
   */
  it('powers the slot off and on, also by surprise, and starts from a prepared NIC', async () => {
    const m = machine();
    await bind(m.host, '0000:02:00.0', 'vfio-pci');
    const dut = e1000e('0000:02:00.0', 'slot-power', 'surprise');
    const lab = runnerLab(dut, m.host, { timeoutMs: 2000 });
    const device = await lab.plug('e1000e');
    expect(device.slot).toBe('2');
    expect(m.driverOf('0000:02:00.0')).toBe('e1000e');
    expect(await listBindings(m.host)).toEqual([]);
    await lab.bind(device.bdf, 'uio_pci_generic');
    await lab.surpriseRemove(device);
    await lab.waitGone(device);
    expect(present(m, '0000:02:00.0')).toBe(false);
    const again = await lab.plug('e1000e');
    expect(again.bdf).toBe('0000:02:00.0');
    expect(m.driverOf('0000:02:00.0')).toBe('e1000e');
    expect(kernelWrites(m)).toEqual([
      'bus/pci/slots/2/power=0',
      'bus/pci/slots/2/power=1',
      'bus/pci/slots/2/power=0',
      'bus/pci/slots/2/power=1',
    ]);
    // A slot that lost its card with the power (pciehp: ENODEV), as a QEMU root port does.
    await lab.unplug(again);
    m.failWrites(/slots\/2\/power$/, 'ENODEV');
    await expect(lab.plug('e1000e')).rejects.toThrow(
      /^slot 2 holds no card after its power-off \(.*ENODEV.*\): its NIC was unplugged with the power, as a QEMU root port does/,
    );
  });

  /**
   * Steps: a sysfs-remove DUT whose removal write blocks (as the kernel's does under vfio-pci
   * until the application lets the device go); pull it, then wait until it is gone.
   * Verify: the pull returns while the write is still blocked; waitGone waits for the write and
   * the device's going.
   */
  it('does not wait for a pull the kernel holds until DPDK lets go', async () => {
    const m = machine();
    let release = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    const host = {
      ...m.host,
      io: {
        ...m.host.io,
        write: async (path: string, data: string) => {
          if (path.endsWith('/remove') && m.writes.some((w) => w.path.endsWith('/rescan'))) await held;
          return m.host.io.write(path, data);
        },
      },
    };
    const lab = runnerLab(e1000e('0000:01:00.0', 'sysfs-remove', 'surprise'), host, { timeoutMs: 2000 });
    const device = await lab.plug('e1000e');
    await lab.surpriseRemove(device);
    expect(present(m, '0000:01:00.0')).toBe(true);
    let gone = false;
    const waiting = lab.waitGone(device).then(() => {
      gone = true;
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(gone).toBe(false);
    release();
    await waiting;
    expect(present(m, '0000:01:00.0')).toBe(false);
  });

  /**
   * Steps: a qemu DUT, its host a mailbox server that plugs and unplugs in the fake machine (as
   * QMP's device_add into a root port, and device_del, would); plug, unplug.
   * Verify: the host is asked to plug the DUT's model into the DUT's own slot, and to unplug the
   * device it plugged; the NIC appears bound to e1000e and goes.
   */
  it('asks the QEMU host through the mailbox, into the slot of the inventory address', async () => {
    const m = machine();
    const runDir = mkdtempSync(join(tmpdir(), 'dphp-runner-lab-'));
    const asked: unknown[] = [];
    const plugged = new Map<string, number>([['nic0', 1]]);
    const power = (slot: number, on: boolean) =>
      m.host.io.write(m.host.sys('bus/pci/slots', String(slot), 'power'), on ? '1' : '0');
    const host = serve(runDir, async (r) => {
      asked.push(r);
      if (r.op === 'plugged') return [...plugged].map(([id, slot]) => ({ id, model: 'e1000e', slot }));
      if (r.op === 'plug') {
        plugged.set('nic1', r.slot!);
        await power(r.slot!, true);
        return { id: 'nic1', model: r.model, port: `rp${r.slot}`, slot: r.slot };
      }
      if (r.op === 'unplug') {
        await power(plugged.get(r.id)!, false).catch(() => {});
        plugged.delete(r.id);
      }
      return undefined;
    });
    try {
      const lab = runnerLab(e1000e('0000:01:00.0', 'qemu'), m.host, { qemuMailbox: runDir, timeoutMs: 2000 });
      const device = await lab.plug('e1000e');
      expect(device).toMatchObject({ id: 'nic1', slot: '1', bdf: '0000:01:00.0' });
      expect(m.driverOf('0000:01:00.0')).toBe('e1000e');
      await lab.unplug(device);
      expect(present(m, '0000:01:00.0')).toBe(false);
      expect(asked).toEqual([
        { op: 'plugged' },
        { op: 'unplug', id: 'nic0' },
        { op: 'wait-deleted', id: 'nic0', timeoutMs: 2000 },
        { op: 'plug', model: 'e1000e', slot: 1 },
        { op: 'unplug', id: 'nic1' },
        { op: 'wait-deleted', id: 'nic1', timeoutMs: 2000 },
      ]);
    } finally {
      await host.stop();
      rmSync(runDir, { recursive: true, force: true });
    }
  });

  /**
   * Steps: an igbvf DUT removed by qemu at VF 0's address; its host a mailbox server that plugs
   * the PF (an igb whose VFs the fake kernel makes on sriov_numvfs) into slot 1; plug, bind,
   * surprise-remove, wait until gone; plug again (111), then unplug.
   * Verify: QEMU is asked for the VF model in the PF's slot; the PF's interface goes down, 2 VFs are
   * made, the PF goes up and VF 0 (the DUT) is bound to igbvf; the surprise removal destroys the VFs and leaves
   * the PF bound to igb; the re-plug unplugs that PF first; the clean unplug destroys the VFs,
   * then the PF goes.
   */
  it('makes a VF DUT on the PF QEMU plugs, and pulls it by destroying the VFs', async () => {
    const pfAddress = '0000:01:00.0';
    const vf = (fn: number) => ({
      address: `0000:01:10.${fn}`,
      vendor: '8086',
      device: '10ca',
      class: '020000',
      driver: 'igbvf',
      iommuGroup: 20 + fn,
    });
    const m = labMachine({
      devices: [
        {
          address: pfAddress,
          vendor: '8086',
          device: '10c9',
          class: '020000',
          driver: 'igb',
          interfaces: ['enp1s0'],
          slot: '1',
          vfs: [vf(0), vf(2)],
        },
      ],
      drivers: [
        { name: 'igb', ids: ['8086:10c9'] },
        { name: 'igbvf', ids: ['8086:10ca'] },
        { name: 'vfio-pci' },
      ],
      net: { links: [], routes: [] },
    });
    machines.push(m);
    const runDir = mkdtempSync(join(tmpdir(), 'dphp-runner-lab-'));
    const asked: unknown[] = [];
    const plugged = new Map<string, number>();
    let next = 1;
    const power = (slot: number, on: boolean) =>
      m.host.io.write(m.host.sys('bus/pci/slots', String(slot), 'power'), on ? '1' : '0');
    await power(1, false); // nothing plugged yet
    const host = serve(runDir, async (r) => {
      asked.push(r);
      if (r.op === 'plugged') return [...plugged].map(([id, slot]) => ({ id, model: 'igbvf', slot }));
      if (r.op === 'plug') {
        const id = `nic${next++}`;
        plugged.set(id, r.slot!);
        await power(r.slot!, true);
        return { id, model: r.model, port: `rp${r.slot}`, slot: r.slot };
      }
      if (r.op === 'unplug') {
        await power(plugged.get(r.id)!, false).catch(() => {});
        plugged.delete(r.id);
      }
      return undefined;
    });
    try {
      const dut = dutOf(
        'pci: 0000:01:10.0\nmodel: igbvf\npmd: net_e1000_igb_vf\nids: 8086:10ca\ndriver: vfio-pci\nkernelDriver: igbvf\ntraffic: none\nremoval: qemu\nunplug: surprise',
      );
      const lab = runnerLab(dut, m.host, { qemuMailbox: runDir, timeoutMs: 2000 });
      const device = await lab.plug('igbvf');
      expect(device).toMatchObject({ id: 'nic1', slot: '1', bdf: '0000:01:10.0' });
      expect(m.driverOf('0000:01:10.0')).toBe('igbvf');
      expect(m.driverOf('0000:01:10.2')).toBe('igbvf');
      // The PF down while its VFs are made, then up: igb tells its VFs "PF reset done" only
      // when it opens with VFs (session 10: made after it was up, no VF frame left).
      expect(m.commands.map((c) => c.join(' '))).toEqual([
        'ip link set enp1s0 down',
        'ip link set enp1s0 up',
        'ip link set enp1s0 vf 0 spoofchk off',
        'ip link set enp1s0 vf 0 trust on',
        'ip link set enp1s0 vf 1 spoofchk off',
        'ip link set enp1s0 vf 1 trust on',
      ]);
      await lab.bind('0000:01:10.0', 'vfio-pci');
      await lab.surpriseRemove(device);
      await lab.waitGone(device);
      expect(present(m, '0000:01:10.0')).toBe(false);
      expect(m.driverOf(pfAddress)).toBe('igb');
      const again = await lab.plug('igbvf');
      expect(again).toMatchObject({ id: 'nic2', bdf: '0000:01:10.0' });
      await lab.unplug(again);
      expect(present(m, pfAddress)).toBe(false);
      expect(m.writes.filter((w) => w.path.endsWith('sriov_numvfs')).map((w) => w.data)).toEqual([
        '2',
        '0',
        '2',
        '0',
      ]);
      expect(asked.filter((a) => (a as { op: string }).op !== 'plugged')).toEqual([
        { op: 'plug', model: 'igbvf', slot: 1 },
        { op: 'unplug', id: 'nic1' },
        { op: 'wait-deleted', id: 'nic1', timeoutMs: 2000 },
        { op: 'plug', model: 'igbvf', slot: 1 },
        { op: 'unplug', id: 'nic2' },
        { op: 'wait-deleted', id: 'nic2', timeoutMs: 2000 },
      ]);
    } finally {
      await host.stop();
      rmSync(runDir, { recursive: true, force: true });
    }
  });

  /**
   * Steps: a model the DUT is not; slot-power where no slot is; qemu with no mailbox; a DUT
   * whose removal is none.
   * Verify: each refused with a message naming the DUT and what is missing; nothing written.
   */
  it('refuses what it cannot do, naming why', async () => {
    const m = machine();
    await expect(runnerLab(e1000e('0000:01:00.0', 'sysfs-remove'), m.host).plug('igb')).rejects.toThrow(
      /is a e1000e at 0000:01:00.0, not a igb/,
    );
    await expect(runnerLab(e1000e('0000:05:00.0', 'slot-power'), m.host).plug('e1000e')).rejects.toThrow(
      '0000:05:00.0 sits in no hotplug slot (/sys/bus/pci/slots): slot-power needs one',
    );
    const saved = process.env.DPDK_HOTPLUG_QEMU_MAILBOX;
    delete process.env.DPDK_HOTPLUG_QEMU_MAILBOX;
    try {
      await expect(runnerLab(e1000e('0000:01:00.0', 'qemu'), m.host).plug('e1000e')).rejects.toThrow(
        /removed by qemu, and this runner has no mailbox to its QEMU host/,
      );
    } finally {
      if (saved !== undefined) process.env.DPDK_HOTPLUG_QEMU_MAILBOX = saved;
    }
    const none = dutOf(
      'pci: 0000:01:00.0\nmodel: e1000e\nids: 8086:10d3\ndriver: vfio-pci\nkernelDriver: e1000e\ntraffic: none\nremoval: none',
    );
    expect(none.pci?.unplug).toBeUndefined();
    expect(() => runnerLab(none, m.host)).toThrow(/a removal of slot-power, sysfs-remove or qemu/);
    expect(m.writes).toEqual([]);
  });
});
