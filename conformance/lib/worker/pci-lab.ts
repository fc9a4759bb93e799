/**
 * The lab a PCI DUT lives in, as the PCI checks (101–111, `tests/pci.spec.ts`) see it: something
 * that plugs a NIC, unplugs it cleanly or without warning, binds it to a userspace driver and
 * back, and counts the frames a peer NIC receives. The virtual lab (`@dpdk-hotplug/hil`, a QEMU
 * guest asking the host's QMP) is the only one today; a physical runner's (slot power, sysfs
 * remove and rescan, `@dpdk-hotplug/linux`) would implement the same interface.
 *
 * The suite cannot import the lab's package (the lab depends on the suite), so a run names the
 * module that makes its lab (`LabModule`) and the fixture imports it in the worker.
 */
import type { Dut, LabModule } from '../model/dut.js';
import { plannedPciChecks } from '../model/pci-checks.js';

export type { LabModule };

/** A NIC the lab plugged: where it sits, and its PCI address as the machine under test sees it. */
export interface PluggedDevice {
  /** The lab's own name for it (QEMU's device id, a runner's port name). */
  id: string;
  model: string;
  /** The hotplug slot it sits in (`/sys/bus/pci/slots/N`). */
  slot: string;
  bdf: string;
}

export interface PciLab {
  /** Plugs a NIC of `model` and resolves once it is bound to its kernel driver. */
  plug(model: string): Promise<PluggedDevice>;
  /** Binds the device to a userspace driver (its interface goes); says what it wrote. */
  bind(bdf: string, driver: string): Promise<string>;
  /** Gives the device back to the kernel driver it had before `bind`. */
  restore(bdf: string): Promise<void>;
  /** Unplugs the device cleanly; resolves once it is gone from the machine and from the lab. */
  unplug(device: PluggedDevice): Promise<void>;
  /** Pulls the device without warning (the attention button is not waited for); resolves at once. */
  surpriseRemove(device: PluggedDevice): Promise<void>;
  /** After `surpriseRemove`: resolves once the device is gone from the machine and from the lab. */
  waitGone(device: PluggedDevice): Promise<void>;
  /** Frames the peer NIC has received so far, or undefined when the lab has no peer. */
  peerFrames(): number | undefined;
  /** The peer NIC's name, for the report. */
  readonly peerName?: string;
  /** Unplugs every NIC the lab plugged for DUTs (not the peer); names what it unplugged. */
  sweep(): Promise<string[]>;
}

/** How the lab takes a DUT away at the end: unplugged cleanly, or pulled while its port runs. */
export type Removal = 'clean' | 'surprise';

export class PciLabError extends Error {
  override name = 'PciLabError';
}

/** Imports the lab's module and makes its lab; a module without `createPciLab` is named as such. */
export async function loadPciLab(lab: LabModule, dut?: Dut): Promise<PciLab> {
  const url = lab.module.startsWith('file:') ? lab.module : new URL(`file://${lab.module}`).href;
  const mod = (await import(url)) as {
    createPciLab?: (options: unknown, dut?: Dut) => PciLab | Promise<PciLab>;
  };
  if (typeof mod.createPciLab !== 'function')
    throw new PciLabError(`${lab.module} does not export createPciLab(options)`);
  return mod.createPciLab(lab.options, dut);
}

/** The IOVA mode a PCI DUT's userspace driver needs (for the SDK's EAL and testpmd's alike). */
export function iovaModeOf(dut: Dut): { iovaMode?: 'pa' } {
  // UIO drivers give no IOMMU: DMA needs physical addresses.
  return dut.pci?.driver !== 'vfio-pci' ? { iovaMode: 'pa' } : {};
}

/**
 * A run's lab DUTs (those with an `unplug`) in groups that can share one EAL, so one Playwright
 * project and one worker each: the DUTs of one IOVA mode, in the run's order. The EAL probes no
 * device at its start and the checks attach and detach each DUT's NIC, so the DUTs of a group run
 * one after the other in one process instead of paying a worker's start each (minutes in a QEMU
 * guest under TCG). A group of one DUT is named after it; a larger one after its IOVA mode.
 */
export function pciGroups(duts: Dut[]): Array<{ name: string; duts: Dut[] }> {
  const byMode = new Map<string, Dut[]>();
  for (const dut of duts.filter((d) => d.pci?.unplug)) {
    const mode = iovaModeOf(dut).iovaMode ?? 'va';
    byMode.set(mode, [...(byMode.get(mode) ?? []), dut]);
  }
  return [...byMode].map(([mode, group]) => ({
    name: group.length === 1 ? group[0]!.name : `pci-iova-${mode}`,
    duts: group,
  }));
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The Playwright project settings of a group of lab DUTs: the PCI spec, where each DUT's checks
 * are a `describe` named after it, with only the checks its removal plans (clean: 101–109 and
 * 112; surprise: 110 and 111 instead of 105 and 107). `specExtension`: the spec the config runs,
 * its own kind (the compiled config runs the compiled specs).
 */
export function pciProject(
  duts: Dut[],
  specExtension: '.ts' | '.js' = '.ts',
): { testMatch: string; grep: RegExp[] } {
  const spec = `pci.spec${specExtension}`;
  // Playwright matches grep against the title path: `project file describe title`.
  return {
    testMatch: spec,
    grep: duts.map(
      (dut) =>
        new RegExp(
          `(?:^| )${escapeRegExp(spec)} ${escapeRegExp(dut.name)} (${plannedPciChecks(dut.pci?.unplug ?? 'clean').join('|')})\\. `,
        ),
    ),
  };
}
