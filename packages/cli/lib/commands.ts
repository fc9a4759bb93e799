/**
 * Every `dpdk-hotplug` command, and the package that implements it. Each package owns its
 * commands' options and help; the dispatcher only routes. Packages are loaded on demand, so a
 * machine that installed only some of them gets a clear error for the others, and `--help`
 * stays fast.
 */
export interface Command {
  /** The word after `dpdk-hotplug`. */
  readonly name: string;
  /** One line for `dpdk-hotplug --help`. */
  readonly summary: string;
  /** The npm package that implements it, named in "not installed" errors. */
  readonly packageName: string;
  /** The module to import; it must export `entry` (default `main`). */
  readonly specifier: string;
  readonly entry?: string;
  /** The argv the entry function receives, from the words after the command name. */
  readonly forward: (rest: string[]) => string[];
}

/** The contract every package's CLI module meets: returns the exit code, prints its own output. */
export type CommandEntry = (argv: string[]) => Promise<number>;

const withName = (name: string) => (rest: string[]) => [name, ...rest];
const asIs = (rest: string[]) => rest;

const linux = (name: string, summary: string): Command => ({
  name,
  summary,
  packageName: '@dpdk-hotplug/linux',
  specifier: '@dpdk-hotplug/linux/cli',
  forward: withName(name),
});

export const COMMANDS: readonly Command[] = [
  {
    name: 'certify',
    summary: "certify PMDs' attach/detach on devices under test (default: every shipped vdev PMD)",
    packageName: '@dpdk-hotplug/conformance',
    specifier: '@dpdk-hotplug/conformance',
    entry: 'certify',
    forward: withName('certify'),
  },
  {
    name: 'probe',
    summary: 'can this PMD detach? evidence from source, PMD binaries (pmdinfo) and a runtime probe',
    packageName: '@dpdk-hotplug/pmd-probe',
    specifier: '@dpdk-hotplug/pmd-probe/cli',
    forward: asIs,
  },
  linux('devices', 'PCI devices with ids, drivers, interfaces, IOMMU group and whether they are active'),
  linux('bind', 'bind a PCI device to vfio-pci, igb_uio or uio_pci_generic (records the kernel driver)'),
  linux('unbind', 'unbind a PCI device from its driver'),
  linux('restore', 'give a PCI device back to the kernel driver it had before bind'),
  linux('kernel', 'what the kernel still needs for a device and driver (modules, VFIO, IOMMU)'),
  linux('hugepages', 'read, reserve and mount hugepages'),
  linux('pci', 'PCI hotplug: remove a device, rescan the bus, slot power, wait for a device'),
  {
    name: 'doctor',
    summary: 'which DPDK the SDK uses, its PMD folder and native shim, and what is missing',
    // The command line is this package's (./doctor.js); the diagnosis is ethdev's.
    packageName: '@dpdk-hotplug/ethdev',
    specifier: new URL('./doctor.js', import.meta.url).href,
    forward: asIs,
  },
  {
    name: 'lab',
    summary: 'hardware-in-the-loop runs; `lab virtual` certifies PCI PMDs on QEMU-emulated NICs',
    packageName: '@dpdk-hotplug/hil',
    specifier: '@dpdk-hotplug/hil/cli',
    forward: asIs,
  },
];
