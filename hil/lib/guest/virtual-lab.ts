/**
 * The virtual lab as the PCI checks see it (conformance's `PciLab`), inside the QEMU guest: plug
 * and unplug are requests to the host's QMP through the mailbox, bind and restore are
 * `@dpdk-hotplug/linux`'s, and the peer is an e1000 on the same QEMU hub, bound to its kernel
 * driver. The suite's fixture imports this module in its worker (`createPciLab`).
 */
import { readFileSync } from 'node:fs';
import type { PciLab, PluggedDevice } from '@dpdk-hotplug/conformance';
import {
  bind,
  createHost,
  type Host,
  restore,
  slotPower,
  waitForDevice,
  waitForSlot,
} from '@dpdk-hotplug/linux';
import { NIC_MODELS, type NicModel, type PluggedNic } from '../virtual/machine.js';
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

export function createPciLab(options: VirtualLabOptions): PciLab {
  const { runDir, peer } = options;
  const host = createHost();
  const models = Object.keys(NIC_MODELS);
  return {
    ...(peer ? { peerName: peer.ifname } : {}),
    async plug(model) {
      if (!models.includes(model))
        throw new Error(`the virtual lab has no NIC model "${model}" (${models.join(', ')})`);
      const { nic, bdf } = await plugNic(runDir, host, model as NicModel);
      return { id: nic.id, model, slot: String(nic.slot), bdf };
    },
    async bind(bdf, driver) {
      const r = await bind(host, bdf, driver as Parameters<typeof bind>[2], { force: true });
      return `${r.writes.length} sysfs writes`;
    },
    async restore(bdf) {
      await restore(host, bdf);
    },
    async unplug(device) {
      await unplugNic(runDir, host, device, true);
      await waitForDevice(host, device.bdf, 'absent', { timeoutMs: 20_000 });
    },
    async surpriseRemove(device: PluggedDevice) {
      // device_del without powering the slot off: the guest learns of it as hardware would.
      await call(runDir, { op: 'unplug', id: device.id });
    },
    async waitGone(device) {
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
