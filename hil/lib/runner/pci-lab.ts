/**
 * A lab runner's PCI lab (conformance's `PciLab`) for one inventory DUT: the NIC sits at the
 * inventory's address, and the lab takes it away and brings it back by the DUT's `removal`:
 *
 * - `sysfs-remove`: the device's sysfs `remove`, then a rescan of the bus;
 * - `slot-power`: its hotplug slot powered off and on (pciehp: a physical server's slot, or a
 *   QEMU root port);
 * - `qemu`: QMP `device_del`/`device_add` by the host of the guest this runner is, asked through
 *   the mailbox folder the guest shares with it (`DPDK_HOTPLUG_QEMU_MAILBOX`). Several such DUTs
 *   may share a slot, one after the other: what QEMU has there is unplugged first. A VF model
 *   (`igbvf`) is an SR-IOV VF of a PF QEMU plugs (`igb`): the lab makes the PF's VFs and the DUT
 *   is VF 0; its surprise removal is the cloud's, the VFs destroyed while DPDK holds one.
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
  setLinkDown,
  setLinkUp,
  setVf,
  setVfCount,
  slotPower,
  slots,
  virtualFunctions,
  waitForDevice,
  waitForInterface,
} from '@dpdk-hotplug/linux';
import { LabError } from '../errors.js';
import { NIC_MODELS, type NicModel, type PluggedNic, pfModel } from '../virtual/machine.js';
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
  // The DUT model's device (its devargs parsed once, when the inventory was read).
  const bdf = dut.device?.bus === 'pci' ? dut.device.name : undefined;
  if (!bdf) throw new LabError('INVALID_ARGUMENT', `DUT ${dut.name}: the PCI checks need a PCI device`);
  if (!pci?.model || !pci.kernelDriver || !pci.removal || pci.removal === 'none')
    throw new LabError(
      'INVALID_ARGUMENT',
      `DUT ${dut.name}: the PCI checks need pci.model, pci.kernelDriver and a removal of slot-power, sysfs-remove or qemu`,
    );
  return { bdf, model: pci.model, kernelDriver: pci.kernelDriver, removal: pci.removal };
}

/** VFs the lab makes on a PF; the DUT is the first, the others stay with the kernel's VF driver. */
const VFS = 2;

/**
 * Makes the PF's VFs with the PF down, then brings the PF up (a VF has no link while its PF is
 * down), and resolves with them once the first is bound to `vfDriver`. In that order because
 * the kernel's igb tells its VFs "PF reset done" (CTRL_EXT.PFRSTD) only when it opens with VFs:
 * made after the PF was up, no VF's reset handshake completes and every VF frame is dropped
 * (QEMU's trace: "TX Disabled"; check 104 counted 0 of 4 frames before this order).
 */
async function makeVfs(host: Host, pf: string, vfDriver: string, timeoutMs: number): Promise<string[]> {
  // A PF left down has no VF traffic: its transmit is off, and its driver answers no VF's mailbox.
  const ifname = await waitForInterface(host, pf, { timeoutMs });
  await setLinkDown(host, ifname);
  const vfs = await setVfCount(host, pf, VFS, { timeoutMs });
  await setLinkUp(host, ifname);
  // As an SR-IOV host sets VFs up for DPDK: the PF's anti-spoofing would drop the frames a VF
  // sends with another source MAC than the one the PF gave it (check 104's do). Best effort: a
  // PF driver without these settings leaves the VF as it is; 104 then says so.
  for (let i = 0; i < vfs.length; i++)
    for (const [setting, on] of [
      ['spoofchk', false],
      ['trust', true],
    ] as const)
      await setVf(host, ifname, i, setting, on).catch(() => {});
  await waitForDevice(host, vfs[0]!, 'present', { driver: vfDriver, timeoutMs });
  return vfs;
}

/**
 * After a VF model's VFs were destroyed: its PF must still be there, with its kernel driver and
 * interface. Throws naming what is not.
 */
async function checkPf(host: Host, pf: string, kernelDriver: string): Promise<void> {
  await waitForDevice(host, pf, 'present', { driver: kernelDriver, timeoutMs: 5_000 }).catch(() => {
    throw new LabError('PF_LOST', `the PF ${pf} is gone or lost its driver ${kernelDriver} with its VFs`);
  });
  if (!(await getDevice(host, pf)).interfaces.length)
    throw new LabError('PF_LOST', `the PF ${pf} has no interface after its VFs were destroyed`);
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
  // A VF QEMU makes through its PF: the PF is function 0 of the VF's bus (a root port's own bus).
  const pf = removal === 'qemu' && model in NIC_MODELS ? pfModel(model as NicModel) : undefined;
  const pfAddress = pf ? `${bdf.slice(0, bdf.lastIndexOf(':'))}:00.0` : undefined;
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
    slot ||= await slotOf(host, pfAddress ?? bdf);
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

  /** The VFs of the DUT's PF destroyed (nothing holds them, or the pull of a surprise removal). */
  const vfsOff = async () => {
    if (pfAddress && (await virtualFunctions(host, pfAddress)).length) await setVfCount(host, pfAddress, 0);
  };

  /**
   * What QEMU has in the DUT's slot (an earlier DUT's NIC, a PF and its VFs), unplugged: given
   * back to its kernel driver if bound, VFs destroyed. The slot is the lab's: the inventory says
   * QEMU plugs this DUT there.
   */
  async function clearQemuSlot(): Promise<void> {
    const there = await qemuNic(slot);
    if (!there) return;
    const bus = bdf.slice(0, bdf.lastIndexOf(':') + 1);
    const inSlot = (await host.io.list(host.sys('bus/pci/devices'))).filter((a) => a.startsWith(bus));
    const bound = new Set<string>((await listBindings(host)).map((b) => b.address));
    for (const address of inSlot.filter((a) => bound.has(a))) await restore(host, address);
    for (const address of inSlot)
      if ((await virtualFunctions(host, address)).length) await setVfCount(host, address, 0);
    await takeAway(there.id, true);
    await waitForDevice(host, `${bus}00.0`, 'absent', { timeoutMs });
    await call(qemu(), { op: 'wait-deleted', id: there.id, timeoutMs }, timeoutMs + 10_000);
  }

  return {
    ...(dut.peerInterface ? { peerName: dut.peerInterface } : {}),
    async plug(asked) {
      if (asked !== model)
        throw new LabError('INVALID_ARGUMENT', `DUT ${dut.name} is a ${model} at ${bdf}, not a ${asked}`);
      await slotNow();
      // A NIC already there (the runner's usual state) is taken away first: check 101 judges a
      // real arrival, bound to its kernel driver, whatever driver it had.
      const before = removal === 'qemu' ? undefined : await present();
      if (removal === 'qemu') await clearQemuSlot();
      else if (before) {
        if (before.active)
          throw new LabError(
            'INVALID_ARGUMENT',
            `${bdf} is in use by this machine (${before.activeReasons.join('; ')}): never touched`,
          );
        // Bound by `lab prepare --fix` or an earlier run: given back first, its record forgotten.
        if ((await listBindings(host)).some((b) => b.address === bdf)) await restore(host, bdf);
        await takeAway(dut.name, true);
        await waitGone(dut.name);
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
      if (pf && pfAddress) {
        // QEMU plugged the PF: its VFs are the lab's to make.
        await waitForDevice(host, pfAddress, 'present', { driver: NIC_MODELS[pf].kernelDriver, timeoutMs });
        const vfs = await makeVfs(host, pfAddress, kernelDriver, timeoutMs);
        if (vfs[0] !== bdf)
          throw new LabError('INVALID_ARGUMENT', `DUT ${dut.name}: the PF's VF 0 is ${vfs[0]}, not ${bdf}`);
      }
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
      // A VF goes with its PF's VFs (nothing holds it now), then QEMU unplugs the PF.
      await vfsOff();
      await takeAway(d.id, true);
      await waitGone(d.id);
    },
    async surpriseRemove(d) {
      // Without warning: the kernel removes the device under the running port (sysfs remove,
      // the slot's power cut, or QEMU's device_del with nobody pressing the attention button).
      // A VF: its PF's VFs destroyed while DPDK holds one, as a cloud pulls a VM's VF.
      pulling = pf ? vfsOff() : takeAway(d.id, false);
      pulling.catch(() => {}); // handled in waitGone (or never asked for): no unhandled rejection
      // Its errors reach waitGone; a refusal at once (a NIC in use, no slot) is thrown here.
      await Promise.race([pulling, new Promise((r) => setTimeout(r, 100))]);
    },
    async waitGone(d) {
      if (!pf || !pfAddress) return waitGone(d.id);
      // The VF is gone, its PF stays: with its driver and interface.
      const pull = pulling;
      pulling = undefined;
      await pull;
      await waitForDevice(host, bdf, 'absent', { timeoutMs });
      await checkPf(host, pfAddress, NIC_MODELS[pf].kernelDriver);
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
