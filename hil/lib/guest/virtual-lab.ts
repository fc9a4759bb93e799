/**
 * The virtual lab as the PCI checks see it (conformance's `PciLab`), inside the QEMU guest: plug
 * and unplug are requests to the host's QMP through the mailbox, bind and restore are
 * `@dpdk-hotplug/linux`'s, and the peer is an e1000 on the same QEMU hub, bound to its kernel
 * driver. The suite's fixture imports this module in its worker (`createPciLab`).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { PciLab, PluggedDevice } from '@dpdk-hotplug/conformance';
import {
  bind,
  createHost,
  getDevice,
  type Host,
  restore,
  slotPower,
  waitForDevice,
  waitForSlot,
} from '@dpdk-hotplug/linux';
import { NIC_MODELS, type NicModel, type PluggedNic, pfModel } from '../virtual/machine.js';
import { call } from '../virtual/mailbox.js';

export interface VirtualLabOptions {
  /** The run folder shared with the host (the mailbox lives there). */
  runDir: string;
  /** The peer NIC's interface in the guest, and its QEMU id (never swept). */
  peer?: { ifname: string; id: string };
}

/** Asks the host to hot-plug a NIC and waits until the guest sees it, bound to its kernel driver. */
export async function plugNic(
  runDir: string,
  host: Host,
  model: NicModel,
): Promise<{ nic: PluggedNic; bdf: string }> {
  const nic = await call<PluggedNic>(runDir, { op: 'plug', model });
  const bdf = await waitForSlot(host, String(nic.slot), {
    driver: NIC_MODELS[model].kernelDriver,
    timeoutMs: 20_000,
  });
  return { nic, bdf };
}

/** Unplugs a NIC and waits until QEMU has deleted it; `powerOff` finishes the guest's side at once. */
async function unplugNic(
  runDir: string,
  host: Host,
  nic: { id: string; slot: string },
  powerOff: boolean,
): Promise<void> {
  await call(runDir, { op: 'unplug', id: nic.id });
  // Powering the slot off ends the unplug at once; otherwise the attention button waits 5 s.
  if (powerOff) await slotPower(host, nic.slot, false, { force: true }).catch(() => {});
  await call(runDir, { op: 'wait-deleted', id: nic.id, timeoutMs: 20_000 }, 30_000);
}

/**
 * The kernel interface of a NIC bound to its kernel driver: it can appear a moment after the
 * driver is bound. None within 5 s is an error naming the NIC (a PF left down has no VF traffic:
 * its transmit is off, and no VF's reset handshake with it completes).
 */
export async function interfaceOf(host: Host, bdf: string): Promise<string> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const ifname = (await getDevice(host, bdf)).interfaces[0]?.name;
    if (ifname) return ifname;
    if (Date.now() > deadline)
      throw new Error(`${bdf}: no kernel interface within 5 s of binding its driver`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** VFs the lab makes on a PF; the DUT is the first, the others stay with the kernel's VF driver. */
const VFS = 2;

/**
 * Makes the PF's SR-IOV VFs, then brings the PF's interface up (a VF has no link while its PF is
 * down), and resolves with the first VF once its kernel driver has it. In that order because the
 * kernel's igb tells its VFs "PF reset done" (CTRL_EXT.PFRSTD) only when it opens with VFs: made
 * after the PF was up, the VFs never see it and no VF's reset handshake with the PF completes.
 */
async function makeVfs(host: Host, pf: string, model: NicModel): Promise<string> {
  const ifname = await interfaceOf(host, pf);
  execFileSync('ip', ['link', 'set', 'dev', ifname, 'down']);
  await host.io.write(host.sys('bus/pci/devices', pf, 'sriov_numvfs'), String(VFS));
  const link = host.sys('bus/pci/devices', pf, 'virtfn0');
  const deadline = Date.now() + 20_000;
  while (!(await host.io.exists(link))) {
    if (Date.now() > deadline) throw new Error(`${pf}: no VF 0 within 20 s of sriov_numvfs=${VFS}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  execFileSync('ip', ['link', 'set', 'dev', ifname, 'up']);
  // As an SR-IOV host sets VFs up for DPDK: the PF's anti-spoofing would drop the frames a VF
  // sends with another source MAC than the one the PF gave it (check 104's do).
  // (Best effort: a PF driver without these settings leaves the VF as it is; 104 then says so.)
  for (let i = 0; i < VFS; i++) {
    for (const setting of [
      ['spoofchk', 'off'],
      ['trust', 'on'],
    ]) {
      try {
        execFileSync('ip', ['link', 'set', 'dev', ifname, 'vf', String(i), ...setting], { stdio: 'ignore' });
      } catch {}
    }
  }
  const vf = basename(await host.io.readlink(link));
  await waitForDevice(host, vf, 'present', { driver: NIC_MODELS[model].kernelDriver, timeoutMs: 20_000 });
  return vf;
}

/**
 * After a VF model's VFs were destroyed: its PF must still be there, with its kernel driver and
 * interface. Throws naming what is not.
 */
async function checkPf(host: Host, slot: string, pf: NicModel): Promise<void> {
  const { kernelDriver } = NIC_MODELS[pf];
  const bdf = await waitForSlot(host, slot, { driver: kernelDriver, timeoutMs: 5_000 }).catch(() => {
    throw new Error(`the PF in slot ${slot} is gone or lost its driver ${kernelDriver} with its VFs`);
  });
  const d = await getDevice(host, bdf);
  if (!d.interfaces.length) throw new Error(`the PF ${bdf} has no interface after its VFs were destroyed`);
}

export function createPciLab(options: VirtualLabOptions): PciLab {
  const { runDir, peer } = options;
  const host = createHost();
  const models = Object.keys(NIC_MODELS);
  // A VF's surprise removal (sriov_numvfs=0 on its PF) blocks until DPDK lets the VF go: pending here.
  const destroying = new Map<string, Promise<void>>();
  // All the PF's VFs destroyed (its address from the VF's physfn link); none left: nothing to do.
  const vfsOff = async (device: PluggedDevice) => {
    const physfn = host.sys('bus/pci/devices', device.bdf, 'physfn');
    if (!(await host.io.exists(physfn))) return;
    const pf = basename(await host.io.realpath(physfn));
    await host.io.write(host.sys('bus/pci/devices', pf, 'sriov_numvfs'), '0');
  };
  return {
    ...(peer ? { peerName: peer.ifname } : {}),
    async plug(model) {
      if (!models.includes(model))
        throw new Error(`the virtual lab has no NIC model "${model}" (${models.join(', ')})`);
      const pf = pfModel(model as NicModel);
      const { nic, bdf } = await plugNic(runDir, host, pf ?? (model as NicModel));
      if (!pf) return { id: nic.id, model, slot: String(nic.slot), bdf };
      const vf = await makeVfs(host, bdf, model as NicModel);
      return { id: nic.id, model, slot: String(nic.slot), bdf: vf };
    },
    async bind(bdf, driver) {
      const r = await bind(host, bdf, driver as Parameters<typeof bind>[2], { force: true });
      return `${r.writes.length} sysfs writes`;
    },
    async restore(bdf) {
      await restore(host, bdf);
    },
    async unplug(device) {
      // A VF goes with sriov_numvfs=0 (nothing holds it now), then its PF is unplugged.
      if (pfModel(device.model as NicModel)) await vfsOff(device);
      await unplugNic(runDir, host, device, true);
      await waitForDevice(host, device.bdf, 'absent', { timeoutMs: 20_000 });
    },
    async surpriseRemove(device: PluggedDevice) {
      // A VF: its PF's VFs destroyed while DPDK holds one, as a cloud pulls a VM's VF. The write
      // returns once every VF is gone, which for a VF under vfio-pci waits for DPDK to let go.
      if (pfModel(device.model as NicModel)) {
        destroying.set(device.bdf, vfsOff(device));
        destroying.get(device.bdf)!.catch(() => {});
        return;
      }
      // device_del without powering the slot off: the guest learns of it as hardware would.
      await call(runDir, { op: 'unplug', id: device.id });
    },
    async waitGone(device) {
      const pf = pfModel(device.model as NicModel);
      if (pf) {
        await destroying.get(device.bdf);
        await waitForDevice(host, device.bdf, 'absent', { timeoutMs: 20_000 });
        await checkPf(host, device.slot, pf);
        return;
      }
      await waitForDevice(host, device.bdf, 'absent', { timeoutMs: 20_000 });
      await call(runDir, { op: 'wait-deleted', id: device.id, timeoutMs: 20_000 }, 30_000);
    },
    peerFrames() {
      return peer
        ? Number(readFileSync(`/sys/class/net/${peer.ifname}/statistics/rx_packets`, 'utf8'))
        : undefined;
    },
    async sweep() {
      const plugged = await call<PluggedNic[]>(runDir, { op: 'plugged' });
      const left = plugged.filter((p) => p.id !== peer?.id);
      for (const nic of left) {
        await unplugNic(runDir, host, { id: nic.id, slot: String(nic.slot) }, true).catch(() => {});
      }
      return left.map((n) => `${n.id} (${n.model})`);
    },
  };
}
