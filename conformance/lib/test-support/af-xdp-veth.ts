/**
 * net_af_xdp on a veth pair of a test's own, with an EAL of its own (the tests of
 * lib/checks/pool-control.ts): root and the PMD installed, or the tests skip with that reason.
 */
import { existsSync, readdirSync } from 'node:fs';
import { Eal } from '@dpdk-hotplug/ethdev';
import { addVethPair, createHost, deleteLink, setLinkUp } from '@dpdk-hotplug/linux';

const PMD_DIR = '/usr/lib/x86_64-linux-gnu/dpdk';

/** Why net_af_xdp cannot run here, or undefined when it can. */
export const afXdpUnavailable: string | undefined =
  process.getuid?.() !== 0
    ? 'needs root (a veth pair)'
    : existsSync(PMD_DIR) &&
        readdirSync(PMD_DIR, { recursive: true }).some((f) => String(f).includes('librte_net_af_xdp'))
      ? undefined
      : `no librte_net_af_xdp under ${PMD_DIR}`;

export interface AfXdpVeth {
  readonly iface: string;
  readonly devargs: string;
  readonly eal: Eal;
  /** Cleans the EAL up and removes the veth pair. */
  tearDown(): Promise<void>;
}

/** Makes the veth pair `<tag><pid>` and its peer, up, and an EAL with its own prefix. */
export async function afXdpVeth(tag: string): Promise<AfXdpVeth> {
  const host = createHost();
  const iface = `${tag}${process.pid % 100000}`.slice(0, 13);
  await addVethPair(host, iface, `${iface}p`);
  for (const name of [iface, `${iface}p`]) await setLinkUp(host, name);
  const eal = Eal.init({
    noHuge: true,
    noPci: true,
    memoryMb: 512,
    noSharedConfig: true,
    filePrefix: `${tag}-${process.pid}`,
    logLevel: 'error',
    logEcho: false,
  });
  return {
    iface,
    devargs: `net_af_xdp0,iface=${iface}`,
    eal,
    tearDown: async () => {
      eal.cleanup();
      await deleteLink(host, iface);
    },
  };
}
