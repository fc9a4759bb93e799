/**
 * Devargs another process of a shared DPDK instance would read cut short. DPDK copies them into
 * fixed buffers with strlcpy, so the cut is silent and a cut path is a file written where nobody
 * asked: after `npm test`, /tmp/dphp-a-pca was net_pcap's tx_pcap=/tmp/dphp-a-pcap-XXXXXX/tx.pcap
 * as a secondary read it.
 * - EAL's hotplug message between processes holds 127 characters of a devargs
 *   (EAL_DEV_MP_DEV_ARGS_MAX_LEN 128): 22.11 cuts the rest, 24.11.7+ and 26.07 refuse (-E2BIG).
 * - net_pcap keeps 63 characters of its arguments (ETH_PCAP_ARG_MAXLEN 64) in the shared device
 *   data, and its probe in a secondary parses that copy (22.11 through main, 26.11-rc0).
 * - A failsafe's `dev(...)` sub-devices are probed by failsafe through rte_eal_hotplug_add, so each
 *   is a hotplug of its own for the secondaries (failsafe_eal.c fs_bus_init): a net_pcap among
 *   them is cut as above (its own devargs are inside the failsafe's 127 characters).
 */
import { type SplitDevargs, splitDevargs } from './devargs.js';
import { driverOf, kvargsPairs } from './pmd-args.js';

/** The characters of a devargs EAL's hotplug message carries to the other processes. */
export const MP_DEVARGS_MAX = 127;

/** The characters of its arguments a PMD keeps for its secondaries to parse, by driver. */
export const SECONDARY_ARGS_MAX: Readonly<Record<string, number>> = Object.freeze({ net_pcap: 63 });

/** Where DPDK would cut a devargs for another process, and what that process would read. */
export interface MultiProcessCut {
  /** Why, with what the other process would read instead. */
  readonly why: string;
  /** The argument the cut falls in. */
  readonly key: string;
}

/** What `args` cut to `max` characters changes: the first pair that differs, as the reader sees it. */
function cutPair(args: string, max: number): { key: string; read: string } {
  const whole = kvargsPairs(args);
  const cut = kvargsPairs(args.slice(0, max));
  const i = cut.findIndex(([k, v], n) => whole[n]?.[0] !== k || whole[n]?.[1] !== v);
  if (i < 0) return { key: whole[cut.length]?.[0] ?? '', read: `no ${whole[cut.length]?.[0]}` };
  const [key, value] = cut[i]!;
  return { key: whole[i]?.[0] ?? key, read: value === undefined ? `${key} (no value)` : `${key}=${value}` };
}

/** Where the PMD of vdev `name` keeps too few characters of `args` for its secondaries. */
function pmdCut(name: string, args: string): MultiProcessCut | undefined {
  const driver = driverOf(name);
  const max = driver ? SECONDARY_ARGS_MAX[driver] : undefined;
  if (max === undefined || args.length <= max) return undefined;
  const { key, read } = cutPair(args, max);
  return {
    key,
    why: `${driver} keeps ${max} characters of its arguments for secondary processes (these are ${args.length}), so a secondary would read ${read}; shorten the paths, or share no instance (noSharedConfig)`,
  };
}

/**
 * Where a devargs would be cut for another process of the instance, or undefined when it is
 * carried whole: a string (as another program, testpmd, would be given it), or parseDevargs'
 * result (`devargs` is what rte_dev_probe gets).
 */
export function multiProcessCut(input: string | SplitDevargs): MultiProcessCut | undefined {
  const d = typeof input === 'string' ? splitDevargs(input) : input;
  const own = d.bus === 'vdev' ? pmdCut(d.name, d.args) : undefined;
  if (own) return own;
  for (const sub of d.subDevices) {
    const cut = pmdCut(sub.name, sub.args);
    if (cut) return { key: cut.key, why: `failsafe's sub-device ${sub.name}: ${cut.why}` };
  }
  if (d.devargs.length > MP_DEVARGS_MAX) {
    const prefix = d.devargs.length - d.args.length;
    const { key, read } = cutPair(d.args, Math.max(0, MP_DEVARGS_MAX - prefix));
    return {
      key,
      why: `EAL's hotplug message to the other processes carries ${MP_DEVARGS_MAX} characters of a devargs (this is ${d.devargs.length}): DPDK 22.11 cuts the rest, so they would read ${read}, and 24.11.7+ refuse it (-E2BIG); shorten it, or share no instance (noSharedConfig)`,
    };
  }
  return undefined;
}
