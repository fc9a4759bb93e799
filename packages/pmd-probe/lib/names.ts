/**
 * Which registered PMD a device name belongs to, after the rule of DPDK's vdev bus: a driver
 * drives the devices whose name starts with its own (`net_ring0`, `net_pcap_rx` → `net_ring`,
 * `net_pcap`), the legacy `eth_` spelling standing for `net_`. Used to refuse a typo (`net_nul0`)
 * before anything runs, with the nearest registered name.
 */
import { nearest } from '@dpdk-hotplug/args';
import { driverOf } from './combined.js';
import { scanPmdInfo } from './pmdinfo.js';

/** The names the DPDK in use (or the one under `dpdk`) registers; undefined when its PMDs cannot be read. */
export async function registeredPmdNames(dpdk?: string): Promise<string[] | undefined> {
  const scan = await scanPmdInfo('installed', dpdk === undefined ? {} : { dpdk }).catch(() => undefined);
  return scan?.drivers.length ? [...new Set(scan.drivers.map((d) => d.name))] : undefined;
}

/**
 * The registered driver of a device name, or undefined: the longest registered name it starts
 * with, followed by nothing, a digit or a separator. DPDK itself takes any suffix (`net_tapp` is
 * a net_tap device to it), but a letter running on is what a typo looks like, so it is refused.
 */
export function registeredDriverOf(device: string, known: readonly string[]): string | undefined {
  const name = device.split(',')[0]!.replace(/^eth_/, 'net_');
  return known
    .filter((k) => name.startsWith(k) && !/^[a-z]/i.test(name.slice(k.length)))
    .sort((a, b) => b.length - a.length)[0];
}

/** "no PMD … is named X (nearest: Y)": what to say of a device name no registered PMD drives. */
export function unknownPmdMessage(device: string, known: readonly string[], dpdkVersion?: string): string {
  const name = driverOf(device);
  const near = nearest(name, known);
  return `no PMD of ${dpdkVersion ? `DPDK ${dpdkVersion}` : 'the DPDK in use'} is named ${name}${near ? ` (nearest: ${near})` : ''}`;
}
