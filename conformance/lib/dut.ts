import { canonicalPciAddress, parseDevargs } from '@dpdk-hotplug/ethdev';
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
export type SetupKind = 'none' | 'pcap-files' | 'veth-netns' | 'tap' | 'vhost-backend' | 'null-members';

/**
 * A device under test. `devargs` may hold placeholders the set-up fills in: `{dir}` (a private
 * directory), `{iface}` (the interface it made), `{peer}` (the backend socket or member names).
 */
export interface Dut {
  /** Project name in the reports: unique, [a-z0-9_-]. */
  name: string;
  /** The PMD, as reported (`net_null`); for PCI DUTs, the expected driver. */
  pmd: string;
  devargs: string;
  setup: SetupKind;
  traffic: TrafficMode;
  /** Why traffic is `none` or limited, for the report. */
  trafficNote?: string;
  /** `kernel-peer` without a set-up of the suite's: the host interface that receives what the DUT sends. */
  peerInterface?: string;
  /** Upper bound of the repeated-cycles check; the run's --cycles overrides. */
  cycles?: number;
  /** Needs root (network devices, namespaces). */
  needsRoot?: boolean;
  /**
   * PCI DUTs: the NIC model, the userspace driver it is bound to, where it lives (lab runs). A DUT
   * with a `removal` is one a lab hot-plugs: it runs the PCI checks (`tests/pci.spec.ts`), removed
   * that way; `lab` says which lab (versions), for the report.
   */
  pci?: {
    model?: string;
    driver?: UserspaceDriver;
    kernelDriver?: string;
    removal?: 'clean' | 'surprise';
    lab?: string;
  };
}

const NAME = /^[a-z0-9][a-z0-9_-]{0,47}$/;
const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;
const SETUPS: readonly SetupKind[] = [
  'none',
  'pcap-files',
  'veth-netns',
  'tap',
  'vhost-backend',
  'null-members',
];
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

/** Checks an untrusted DUT description (inventory file, JSON); throws DutError naming the field. */
export function validateDut(value: unknown, where = 'DUT'): Dut {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new DutError(`${where}: must be an object`);
  const v = value as Record<string, unknown>;
  const str = (key: string) => {
    if (typeof v[key] !== 'string' || v[key] === '')
      throw new DutError(`${where}: "${key}" must be a non-empty string`);
    return v[key] as string;
  };
  const name = str('name');
  if (!NAME.test(name)) throw new DutError(`${where}: name ${JSON.stringify(name)} must match ${NAME}`);
  const devargs = str('devargs');
  try {
    parseDevargs(placeholderDevargs(devargs));
  } catch (e) {
    throw new DutError(`${where}: devargs: ${(e as Error).message}`);
  }
  const setup = (v.setup ?? 'none') as SetupKind;
  if (!SETUPS.includes(setup)) throw new DutError(`${where}: setup must be one of ${SETUPS.join(', ')}`);
  const traffic = (v.traffic ?? 'tx-only') as TrafficMode;
  if (!TRAFFIC.includes(traffic))
    throw new DutError(`${where}: traffic must be one of ${TRAFFIC.join(', ')}`);
  if (v.cycles !== undefined && (!Number.isInteger(v.cycles) || (v.cycles as number) < 1)) {
    throw new DutError(`${where}: cycles must be a positive integer`);
  }
  const dut: Dut = { name, pmd: typeof v.pmd === 'string' ? v.pmd : pmdOf(devargs), devargs, setup, traffic };
  if (typeof v.trafficNote === 'string') dut.trafficNote = v.trafficNote;
  if (v.peerInterface !== undefined) {
    if (typeof v.peerInterface !== 'string' || !IFNAME.test(v.peerInterface))
      throw new DutError(`${where}: peerInterface must be an interface name (1 to 15 of A-Za-z0-9_.-)`);
    dut.peerInterface = v.peerInterface;
  }
  if (traffic === 'kernel-peer' && setup !== 'veth-netns' && setup !== 'tap' && !dut.peerInterface)
    throw new DutError(`${where}: traffic kernel-peer needs a peerInterface (or a veth-netns or tap set-up)`);
  if (v.cycles !== undefined) dut.cycles = v.cycles as number;
  if (v.needsRoot === true) dut.needsRoot = true;
  if (v.pci !== undefined) dut.pci = v.pci as Dut['pci'];
  return dut;
}

/** `net_pcap0,iface=x` → `net_pcap`; `eth_pcap0` → `net_pcap`; a PCI address → `pci`. */
export function pmdOf(devargs: string): string {
  const name = devargs.split(',')[0]!;
  if (/^[0-9a-f]{0,4}:?[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/i.test(name)) return 'pci';
  return name.replace(/\d+$/, '').replace(/^eth_/, 'net_');
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
  if (!simple.includes(text as TrafficMode))
    throw new DutError(`${where}: ${JSON.stringify(text)} is not one of ${simple.join(', ')}, peer=IFACE`);
  return { traffic: text as TrafficMode };
}

/** A DUT from a bare `--dut` devargs on the command line; traffic from `--traffic`, else the PMD's default. */
export function dutFromDevargs(devargs: string, traffic?: string): Dut {
  try {
    parseDevargs(devargs);
  } catch (e) {
    throw new DutError(`--dut: ${(e as Error).message}`);
  }
  const pmd = pmdOf(devargs);
  const name =
    `${pmd === 'pci' ? `pci-${devargs.split(',')[0]!.replace(/[:.]/g, '-')}` : devargs.split(',')[0]}`.toLowerCase();
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
  );
}

/**
 * A lab inventory: runners and their PCI ports, as `hil/` writes them. Each port is a DUT.
 * `{ "runners": [{ "name": "lab1", "ports": [{ "pci": "0000:01:00.0", "model": "e1000e",
 *    "driver": "vfio-pci", "kernelDriver": "e1000e" }] }] }`
 */
export function dutsFromInventory(inventory: unknown, runner?: string): Dut[] {
  const runners = (inventory as { runners?: unknown })?.runners;
  if (!Array.isArray(runners)) throw new DutError('inventory: "runners" must be an array');
  const duts: Dut[] = [];
  for (const [i, r] of runners.entries()) {
    const rr = r as { name?: unknown; ports?: unknown };
    if (typeof rr.name !== 'string') throw new DutError(`inventory: runners[${i}].name must be a string`);
    if (runner && rr.name !== runner) continue;
    if (!Array.isArray(rr.ports)) throw new DutError(`inventory: runners[${i}].ports must be an array`);
    for (const [j, p] of rr.ports.entries()) {
      const port = p as {
        pci?: unknown;
        model?: unknown;
        driver?: unknown;
        kernelDriver?: unknown;
        traffic?: unknown;
      };
      const where = `inventory: runners[${i}].ports[${j}]`;
      if (typeof port.pci !== 'string' || !canonicalPciAddress(port.pci)) {
        throw new DutError(`${where}.pci: ${JSON.stringify(port.pci)} is not a PCI address`);
      }
      duts.push(
        validateDut(
          {
            name: `${rr.name}-${port.pci.replace(/[:.]/g, '-')}`.toLowerCase(),
            pmd: typeof port.model === 'string' ? port.model : 'pci',
            devargs: port.pci,
            setup: 'none',
            ...(typeof port.traffic === 'string'
              ? parseTraffic(port.traffic, `${where}.traffic`)
              : { traffic: 'tx-only' }),
            pci: { model: port.model, driver: port.driver, kernelDriver: port.kernelDriver },
          },
          where,
        ),
      );
    }
  }
  return duts;
}
