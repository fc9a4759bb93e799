/**
 * A lab runner's PCI lab (conformance's `PciLab`) for one inventory DUT: the NIC sits at the
 * inventory's address, and the lab takes it away and brings it back by the DUT's `removal`:
 *
 * - `sysfs-remove`: the device's sysfs `remove`, then a rescan of the bus;
 * - `slot-power`: its hotplug slot powered off and on (pciehp: a physical server's slot, or a
 *   QEMU root port);
 * - `qemu`: QMP `device_del`/`device_add` by the host of the guest this runner is, asked through
 *   the mailbox folder the guest shares with it (`DPDK_HOTPLUG_QEMU_MAILBOX`).
 *
 * Bind and restore are `@dpdk-hotplug/linux`'s; the peer is the DUT's `peerInterface` (its
 * inventory `traffic: peer=IFACE`). Nothing here knows whether the machine is a VM: a QEMU guest
 * and a server run the same code for `sysfs-remove` and `slot-power`.
 *
 * `lab run` names this module as certify's lab; the suite's fixture makes one per DUT
 * (`createPciLab(options, dut)`).
 */
import { readFileSync } from 'node:fs';
import type { Dut, PciLab, PluggedDevice } from '@dpdk-hotplug/conformance';
import {
  bind,
  createHost,
  getDevice,
  type Host,
  listBindings,
  removeDevice,
  rescan,
  restore,
  slotPower,
  slots,
  waitForDevice,
} from '@dpdk-hotplug/linux';
import { LabError } from '../errors.js';
import type { PluggedNic } from '../virtual/machine.js';
import { call } from '../virtual/mailbox.js';

/** The variable naming the guest's mailbox folder to its host (the virtual lab's run folder). */
export const QEMU_MAILBOX_ENV = 'DPDK_HOTPLUG_QEMU_MAILBOX';

export interface RunnerLabOptions {
  /** `qemu` removal: the mailbox folder shared with the QEMU host (default: $DPDK_HOTPLUG_QEMU_MAILBOX). */
  qemuMailbox?: string;
  /** How long a NIC may take to appear or go (default 20 s: a hot-plug under emulation is slow). */
  timeoutMs?: number;
}

/** What the lab needs of the DUT: its address, model, drivers and removal method. */
function pciDutOf(dut: Dut) {
  const pci = dut.pci;
  const bdf = dut.devargs.split(',')[0]!;
  if (!pci?.model || !pci.kernelDriver || !pci.removal || pci.removal === 'none')
    throw new LabError(
      'INVALID_ARGUMENT',
      `DUT ${dut.name}: the PCI checks need pci.model, pci.kernelDriver and a removal of slot-power, sysfs-remove or qemu`,
    );
  return { bdf, model: pci.model, kernelDriver: pci.kernelDriver, removal: pci.removal };
}

/** The hotplug slot the device's bus and device number sit in, or '' when it has none. */
async function slotOf(host: Host, bdf: string): Promise<string> {
  const address = bdf.slice(0, bdf.lastIndexOf('.'));
  return (await slots(host)).find((s) => s.address === address)?.slot ?? '';
}

/**
 * The lab of one DUT on `host` (a fake machine's in tests). Exported for tests; the suite's
 * fixture calls `createPciLab`.
 */
export function runnerLab(dut: Dut, host: Host, options: RunnerLabOptions = {}): PciLab {
  const { bdf, model, kernelDriver, removal } = pciDutOf(dut);
  const timeoutMs = options.timeoutMs ?? 20_000;
  const mailbox = options.qemuMailbox ?? process.env[QEMU_MAILBOX_ENV];
  const qemu = () => {
    if (!mailbox)
      throw new LabError(
        'INVALID_ARGUMENT',
        `DUT ${dut.name} is removed by qemu, and this runner has no mailbox to its QEMU host (${QEMU_MAILBOX_ENV} is not set): is it a guest of dpdk-hotplug lab virtual?`,
      );
    return mailbox;
  };
  const present = async () =>
    getDevice(host, bdf).then(
      (d) => d,
      () => undefined,
    );
  /** The QEMU device in the DUT's slot (the host's name for it). */
  const qemuNic = async (slot: string) =>
    (await call<PluggedNic[]>(qemu(), { op: 'plugged' })).find((n) => String(n.slot) === slot);
  let slot = '';
  const slotNow = async () => {
    slot ||= await slotOf(host, bdf);
    if (!slot && removal !== 'sysfs-remove')
      throw new LabError(
        'INVALID_ARGUMENT',
        `${bdf} sits in no hotplug slot (/sys/bus/pci/slots): ${removal} needs one`,
      );
    return slot;
  };
  const device = (id: string): PluggedDevice => ({ id, model, slot, bdf });

  /** Takes the NIC away by the DUT's method; `clean`: as an operator would (powered off at once). */
  async function takeAway(id: string, clean: boolean): Promise<void> {
    if (removal === 'sysfs-remove') await removeDevice(host, bdf);
    else if (removal === 'slot-power') await slotPower(host, await slotNow(), false);
    else {
      await call(qemu(), { op: 'unplug', id });
      // Powering the slot off ends a clean unplug at once; otherwise the attention button waits 5 s.
      if (clean) await slotPower(host, await slotNow(), false, { force: true }).catch(() => {});
    }
  }

  /**
   * A pull under way: under vfio-pci the kernel's removal (the sysfs write, the slot's power-off)
   * waits until the application lets the device go, which it does only after the removal event:
   * so the pull is not awaited where it is made, only by `waitGone`.
   */
  let pulling: Promise<void> | undefined;

  async function waitGone(id: string): Promise<void> {
    const pull = pulling;
    pulling = undefined;
    await pull;
    await waitForDevice(host, bdf, 'absent', { timeoutMs });
    if (removal === 'qemu') await call(qemu(), { op: 'wait-deleted', id, timeoutMs }, timeoutMs + 10_000);
  }

  return {
    ...(dut.peerInterface ? { peerName: dut.peerInterface } : {}),
    async plug(asked) {
      if (asked !== model)
        throw new LabError('INVALID_ARGUMENT', `DUT ${dut.name} is a ${model} at ${bdf}, not a ${asked}`);
      await slotNow();
      // A NIC already there (the runner's usual state) is taken away first: check 101 judges a
      // real arrival, bound to its kernel driver, whatever driver it had.
      const before = await present();
      if (before) {
        if (before.active)
          throw new LabError(
            'INVALID_ARGUMENT',
            `${bdf} is in use by this machine (${before.activeReasons.join('; ')}): never touched`,
          );
        // Bound by `lab prepare --fix` or an earlier run: given back first, its record forgotten.
        if ((await listBindings(host)).some((b) => b.address === bdf)) await restore(host, bdf);
        const id = removal === 'qemu' ? ((await qemuNic(slot))?.id ?? '') : dut.name;
        await takeAway(id, true);
        await waitGone(id);
      }
      let id = dut.name;
      if (removal === 'sysfs-remove') await rescan(host);
      else if (removal === 'slot-power')
        await slotPower(host, slot, true).catch((e: Error) => {
          if (!/ENODEV/.test(e.message)) throw e;
          // pciehp answers ENODEV when the slot it powers on holds no card: a QEMU root port
          // unplugs the device whose slot the guest powered off; a server's slot keeps its card.
          throw new LabError(
            'NOT_SUPPORTED',
            `slot ${slot} holds no card after its power-off (${e.message}): its NIC was unplugged with the power, as a QEMU root port does; slot-power needs a slot that keeps its card powered off`,
          );
        });
      else id = (await call<PluggedNic>(qemu(), { op: 'plug', model, slot: Number(slot) })).id;
      await waitForDevice(host, bdf, 'present', { driver: kernelDriver, timeoutMs });
      return device(id);
    },
    async bind(address, driver) {
      const r = await bind(host, address, driver);
      return `${r.writes.length} sysfs writes`;
    },
    async restore(address) {
      await restore(host, address);
    },
    async unplug(d) {
      await takeAway(d.id, true);
      await waitGone(d.id);
    },
    async surpriseRemove(d) {
      // Without warning: the kernel removes the device under the running port (sysfs remove,
      // the slot's power cut, or QEMU's device_del with nobody pressing the attention button).
      pulling = takeAway(d.id, false);
      pulling.catch(() => {}); // handled in waitGone (or never asked for): no unhandled rejection
      // Its errors reach waitGone; a refusal at once (a NIC in use, no slot) is thrown here.
      await Promise.race([pulling, new Promise((r) => setTimeout(r, 100))]);
    },
    async waitGone(d) {
      await waitGone(d.id);
    },
    peerFrames() {
      return dut.peerInterface
        ? Number(readFileSync(`${host.sysfs}/class/net/${dut.peerInterface}/statistics/rx_packets`, 'utf8'))
        : undefined;
    },
    async sweep() {
      // The NIC lives at its address: nothing to unplug between DUTs (check 101 brings it back).
      return [];
    },
  };
}

/** The suite's fixture calls this in its worker, once per DUT. */
export function createPciLab(options: RunnerLabOptions | undefined, dut: Dut): PciLab {
  return runnerLab(dut, createHost(), options);
}
