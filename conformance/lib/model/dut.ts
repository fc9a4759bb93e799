import { nearest } from '@dpdk-hotplug/args';
import { parseDevargs } from '@dpdk-hotplug/ethdev/devargs';
import type { UserspaceDriver } from '@dpdk-hotplug/linux';
import { defaultTraffic } from './traffic-table.js';

/**
 * How the suite makes traffic on a DUT and knows it went through:
 * - `loopback`: what the port sends it receives (net_ring).
 * - `source-sink`: the PMD takes every packet sent and makes packets to receive (net_null).
 * - `rx-file`: packets come from a pcap file the suite wrote; sent ones go to a file.
 * - `kernel-peer`: sent frames arrive at a kernel interface, counted in its statistics.
 * - `port-peer`: sent frames arrive at a helper port in the same process (virtio_user → vhost).
 * - `tx-only`: the PMD takes packets; where they go cannot be observed here.
 * - `none`: no traffic check (the traffic checks are skipped with the reason).
 */
export type TrafficMode =
  | 'loopback'
  | 'source-sink'
  | 'rx-file'
  | 'kernel-peer'
  | 'port-peer'
  | 'tx-only'
  | 'none';

/**
 * Environments the suite builds for a DUT and removes afterwards, also on failure:
 * `pcap-files` (an rx file it writes, a tx file), `veth-netns` (a veth pair, its peer in a network
 * namespace), `tap` (the interface the PMD makes), `vhost-backend` (a net_vhost port to connect
 * to), `null-members` (net_null ports for bonding/failsafe), `memif-peer` (nothing yet).
 */
export const SETUP_KINDS = [
  'none',
  'pcap-files',
  'veth-netns',
  'tap',
  'vhost-backend',
  'null-members',
] as const;
export type SetupKind = (typeof SETUP_KINDS)[number];

/**
 * A device under test. `devargs` may hold placeholders the set-up fills in: `{dir}` (a private
 * directory), `{iface}` (the interface it made), `{peer}` (the backend socket or member names).
 */
export interface Dut {
  /** Project name in the reports: unique, [a-z0-9_-]. */
  name: string;
  /** The PMD, as reported (`net_null`); for PCI DUTs, the expected driver. */
  pmd: string;
  /**
   * The devargs as given (placeholders unfilled): shown in the reports, filled in and attached by
   * the worker. Never read for what it names: that is `device`.
   */
  devargs: string;
  /**
   * What `devargs` names, read once by the SDK's parser when the DUT was made (dutDevice); read it
   * through deviceOf. Absent only for a DUT its lab plugs at run time (the guests' hot-plugged
   * NICs, whose `devargs` is a description): the lab says which device it is.
   */
  device?: DutDevice;
  setup: SetupKind;
  traffic: TrafficMode;
  /** Why traffic is `none` or limited, for the report. */
  trafficNote?: string;
  /** `kernel-peer` without a set-up of the suite's: the host interface that receives what the DUT sends. */
  peerInterface?: string;
  /** Upper bound of the repeated-cycles check; the run's --cycles overrides. */
  cycles?: number;
  /**
   * The mbuf pool the suite gives each port of the DUT (default: the SDK's, as many mbufs as the
   * descriptors and a burst). For a PMD that takes more from the pool than its descriptors, as
   * a driver's documented need; the checks then judge its hotplug, not its appetite.
   */
  mbufs?: number;
  /** Needs root (network devices, namespaces). */
  needsRoot?: boolean;
  /**
   * PCI DUTs: the NIC model and its `vendor:device` ids, the userspace driver it is bound to, the
   * kernel driver to give it back to, how the lab can remove it (`removal`), and where it lives
   * (`lab`: which lab and versions, for the report). A DUT with an `unplug` is one a lab
   * hot-plugs: it runs the PCI checks (`tests/pci.spec.ts`), unplugged cleanly or by surprise.
   */
  pci?: {
    model?: string;
    ids?: string;
    driver?: UserspaceDriver;
    kernelDriver?: string;
    removal?: RemovalMethod;
    unplug?: 'clean' | 'surprise';
    lab?: string;
  };
  /** Lab inventory DUTs: the runner it is cabled to. */
  runner?: string;
  /** Lab inventory DUTs: its own expectations file (absolute path). */
  expectations?: string;
  /**
   * The out-of-tree PMD (.so, absolute path) that drives the DUT, loaded with `-d` by every EAL
   * of the run (`certify --driver`, an inventory DUT's `pmdFile`).
   */
  driver?: string;
}

/**
 * The device a DUT's devargs names, as the SDK's parser (`@dpdk-hotplug/ethdev/devargs`) read it
 * when the DUT was made: the one parse of the devargs in the suite. It travels in the plan to the
 * workers, the checks and the lab; what reaches `rte_dev_probe` is the devargs string, which the
 * SDK's attach checks at its own boundary.
 */
export interface DutDevice {
  readonly bus: 'pci' | 'vdev';
  /** DPDK's name of the device: the canonical PCI address (`0000:01:00.0`) or the vdev name. */
  readonly name: string;
}

/**
 * How a lab can take a PCI DUT away and give it back: the slot's power (`/sys/bus/pci/slots`),
 * the device's sysfs `remove` then a bus rescan, QEMU's `device_del`/`device_add` (the virtual
 * lab), or not at all.
 */
export const REMOVAL_METHODS = ['slot-power', 'sysfs-remove', 'qemu', 'none'] as const;
export type RemovalMethod = (typeof REMOVAL_METHODS)[number];

/** A DUT's (and a lab runner's) name: it names a Playwright project and report files. */
export const DUT_NAME = /^[a-z0-9][a-z0-9_-]{0,47}$/;
/** A network interface's name, as the kernel allows it. */
export const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;
const SETUPS: readonly SetupKind[] = SETUP_KINDS;
const TRAFFIC: readonly TrafficMode[] = [
  'loopback',
  'source-sink',
  'rx-file',
  'kernel-peer',
  'port-peer',
  'tx-only',
  'none',
];

export class DutError extends Error {
  override name = 'DutError';
}

/**
 * A DUT's devargs with its placeholders filled for a syntax check: one standing as an argument
 * of its own (bonding's `{peer}` members) becomes `x=x`, as the SDK refuses keys without a value.
 */
export function placeholderDevargs(devargs: string): string {
  return devargs.replace(/(?<=,)\{(dir|iface|peer)\}(?=,|$)/g, 'x=x').replace(/\{(dir|iface|peer)\}/g, 'x');
}

/**
 * Checks an untrusted DUT description (inventory file, JSON); throws DutError naming the field.
 * `parsed`: what its devargs names, when the caller read it already with dutDevice.
 */
export function validateDut(value: unknown, where = 'DUT', parsed?: DutDevice): Dut {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new DutError(`${where}: must be an object`);
  const v = value as Record<string, unknown>;
  const str = (key: string) => {
    if (typeof v[key] !== 'string' || v[key] === '')
      throw new DutError(`${where}: "${key}" must be a non-empty string`);
    return v[key] as string;
  };
  const name = str('name');
  if (!DUT_NAME.test(name))
    throw new DutError(`${where}: name ${JSON.stringify(name)} must match ${DUT_NAME}`);
  const devargs = str('devargs');
  const device = parsed ?? dutDevice(devargs, `${where}: devargs`);
  const setup = (v.setup ?? 'none') as SetupKind;
  if (!SETUPS.includes(setup)) throw new DutError(`${where}: setup must be one of ${SETUPS.join(', ')}`);
  const traffic = (v.traffic ?? 'tx-only') as TrafficMode;
  if (!TRAFFIC.includes(traffic))
    throw new DutError(`${where}: traffic must be one of ${TRAFFIC.join(', ')}`);
  if (v.cycles !== undefined && (!Number.isInteger(v.cycles) || (v.cycles as number) < 1)) {
    throw new DutError(`${where}: cycles must be a positive integer`);
  }
  const dut: Dut = {
    name,
    pmd: typeof v.pmd === 'string' ? v.pmd : pmdOf(device),
    devargs,
    device,
    setup,
    traffic,
  };
  if (typeof v.trafficNote === 'string') dut.trafficNote = v.trafficNote;
  if (v.peerInterface !== undefined) {
    if (typeof v.peerInterface !== 'string' || !IFNAME.test(v.peerInterface))
      throw new DutError(`${where}: peerInterface must be an interface name (1 to 15 of A-Za-z0-9_.-)`);
    dut.peerInterface = v.peerInterface;
  }
  if (traffic === 'kernel-peer' && setup !== 'veth-netns' && setup !== 'tap' && !dut.peerInterface)
    throw new DutError(`${where}: traffic kernel-peer needs a peerInterface (or a veth-netns or tap set-up)`);
  if (v.cycles !== undefined) dut.cycles = v.cycles as number;
  if (v.mbufs !== undefined) {
    if (!Number.isInteger(v.mbufs) || (v.mbufs as number) < 64 || (v.mbufs as number) > 1_048_576)
      throw new DutError(`${where}: mbufs must be a whole number from 64 to 1048576`);
    dut.mbufs = v.mbufs as number;
  }
  if (v.needsRoot === true) dut.needsRoot = true;
  if (v.pci !== undefined) dut.pci = v.pci as Dut['pci'];
  if (typeof v.runner === 'string') dut.runner = v.runner;
  if (typeof v.expectations === 'string') dut.expectations = v.expectations;
  if (v.driver !== undefined) {
    if (typeof v.driver !== 'string' || !v.driver.startsWith('/'))
      throw new DutError(`${where}: driver must be the absolute path of a PMD .so`);
    dut.driver = v.driver;
  }
  return dut;
}

/**
 * What a DUT's devargs names, through the SDK's parser, its placeholders filled for the check
 * (placeholderDevargs); throws DutError starting with `where`. A placeholder in the device's name
 * is refused: the name must be known before the set-up runs.
 */
export function dutDevice(devargs: string, where = 'devargs'): DutDevice {
  let d: ReturnType<typeof parseDevargs>;
  try {
    d = parseDevargs(placeholderDevargs(devargs));
  } catch (e) {
    throw new DutError(`${where}: ${(e as Error).message}`);
  }
  // A vdev's name is kept as given: filled, a placeholder in it would have changed it.
  if (d.bus === 'vdev' && devargs !== d.name && !devargs.startsWith(`${d.name},`))
    throw new DutError(`${where}: the device name may not hold a placeholder ({dir}, {iface}, {peer})`);
  return Object.freeze({ bus: d.bus, name: d.name });
}

/** What the DUT's devargs names; throws DutError for a DUT its lab plugs at run time (no device yet). */
export function deviceOf(dut: Pick<Dut, 'name' | 'device'>): DutDevice {
  if (!dut.device)
    throw new DutError(`DUT ${dut.name}: its lab plugs it at run time; it names no device yet`);
  return dut.device;
}

/** The PMD a device names: `net_pcap0` → `net_pcap`; `eth_pcap0` → `net_pcap`; a PCI device → `pci`. */
export function pmdOf(device: DutDevice): string {
  if (device.bus === 'pci') return 'pci';
  return device.name.replace(/\d+$/, '').replace(/^eth_/, 'net_');
}

/**
 * How a command line or an inventory says what traffic a DUT can show: `loopback`, `none`,
 * `tx-only`, `source-sink`, or `peer=IFACE` (a host interface that receives what the DUT sends).
 */
export function parseTraffic(text: string, where = '--traffic'): Pick<Dut, 'traffic' | 'peerInterface'> {
  const peer = /^peer=(.+)$/.exec(text)?.[1];
  if (peer !== undefined) {
    if (!IFNAME.test(peer)) throw new DutError(`${where}: ${JSON.stringify(peer)} is not an interface name`);
    return { traffic: 'kernel-peer', peerInterface: peer };
  }
  const simple: TrafficMode[] = ['loopback', 'none', 'tx-only', 'source-sink'];
  if (!simple.includes(text as TrafficMode)) {
    const near = nearest(text, simple);
    throw new DutError(
      `${where}: ${JSON.stringify(text)} is not one of ${simple.join(', ')}, peer=IFACE${near ? ` (did you mean ${near}?)` : ''}`,
    );
  }
  return { traffic: text as TrafficMode };
}

/** A DUT from a bare `--dut` devargs on the command line; traffic from `--traffic`, else the PMD's default. */
export function dutFromDevargs(devargs: string, traffic?: string): Dut {
  const device = dutDevice(devargs, '--dut');
  const pmd = pmdOf(device);
  const name = (pmd === 'pci' ? `pci-${device.name.replace(/[:.]/g, '-')}` : device.name).toLowerCase();
  const given = traffic === undefined ? undefined : parseTraffic(traffic);
  const known = defaultTraffic(pmd);
  return validateDut(
    {
      name,
      pmd,
      devargs,
      setup: 'none',
      ...(given ?? { traffic: known.mode, ...(known.note ? { trafficNote: known.note } : {}) }),
    },
    `--dut ${devargs}`,
    device,
  );
}

/**
 * The module a run names for its lab: `export function createPciLab(options, dut): PciLab |
 * Promise<PciLab>`, called once per DUT in its worker (a runner's lab is the DUT's own NIC).
 */
export interface LabModule {
  /** Absolute path (or file URL) of an ES module. */
  module: string;
  /** Handed to its `createPciLab`: JSON. */
  options?: unknown;
}
