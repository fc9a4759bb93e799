import { type Dut, dutDevice } from './dut.js';
import { defaultTraffic } from './traffic-table.js';

/** The PMD's traffic from the one table (lib/model/traffic-table.ts). */
const known = (pmd: string): Pick<Dut, 'traffic' | 'trafficNote'> => {
  const t = defaultTraffic(pmd);
  return { traffic: t.mode, ...(t.note ? { trafficNote: t.note } : {}) };
};

/**
 * Every ethdev vdev PMD Debian's DPDK 22.11 ships that can run on a plain Linux machine, each
 * with the set-up it needs. Left out, with the reason: net_softnic (needs an application's
 * pipeline spec), net_vdev_netvsc (Hyper-V only), net_pfe, net_enetfec, net_dpaa and
 * net_octeontx (vdevs of NXP and Marvell hardware), net_kni (not built by Debian's 22.11).
 * `cycles` caps the kernel-backed PMDs, whose cycle costs tens of milliseconds of kernel work
 * (netdev and socket teardown), so that the default run stays within a minute.
 */
const DUTS: readonly Omit<Dut, 'device'>[] = [
  { name: 'net_null', pmd: 'net_null', devargs: 'net_null0', setup: 'none', ...known('net_null') },
  { name: 'net_ring', pmd: 'net_ring', devargs: 'net_ring0', setup: 'none', ...known('net_ring') },
  {
    name: 'net_pcap-files',
    pmd: 'net_pcap',
    devargs: 'net_pcap0,rx_pcap={dir}/rx.pcap,tx_pcap={dir}/tx.pcap',
    setup: 'pcap-files',
    traffic: 'rx-file',
  },
  {
    name: 'net_pcap-veth',
    pmd: 'net_pcap',
    devargs: 'net_pcap0,iface={iface}',
    setup: 'veth-netns',
    traffic: 'kernel-peer',
    needsRoot: true,
    cycles: 150,
  },
  {
    name: 'net_af_packet',
    pmd: 'net_af_packet',
    devargs: 'net_af_packet0,iface={iface}',
    setup: 'veth-netns',
    traffic: 'kernel-peer',
    needsRoot: true,
    cycles: 100,
  },
  {
    name: 'net_af_xdp',
    pmd: 'net_af_xdp',
    devargs: 'net_af_xdp0,iface={iface}',
    setup: 'veth-netns',
    traffic: 'kernel-peer',
    needsRoot: true,
    cycles: 100,
    // Its rx queue setup takes ETH_AF_XDP_DFLT_NUM_DESCS (2048) mbufs for the fill queue whatever
    // the descriptors (22.11 to 25.11), and fails with EINVAL on the SDK's pool: given a pool it
    // can run with, the checks judge its hotplug (lib/checks/pool-control.ts has the evidence).
    mbufs: 4096,
  },
  {
    name: 'net_tap',
    pmd: 'net_tap',
    devargs: 'net_tap0,iface={iface}',
    setup: 'tap',
    traffic: 'kernel-peer',
    needsRoot: true,
    cycles: 300,
  },
  {
    name: 'net_tun',
    pmd: 'net_tun',
    devargs: 'net_tun0,iface={iface}',
    setup: 'tap',
    traffic: 'kernel-peer',
    needsRoot: true,
    cycles: 300,
  },
  {
    name: 'net_memif',
    pmd: 'net_memif',
    devargs: 'net_memif0,role=server,socket={dir}/memif.sock',
    setup: 'pcap-files',
    ...known('net_memif'),
  },
  {
    name: 'net_virtio_user',
    pmd: 'net_virtio_user',
    devargs: 'net_virtio_user0,path={peer},queues=1',
    setup: 'vhost-backend',
    traffic: 'port-peer',
    cycles: 60,
  },
  {
    name: 'net_vhost',
    pmd: 'net_vhost',
    devargs: 'net_vhost0,iface={dir}/vhost.sock,queues=1',
    setup: 'pcap-files',
    ...known('net_vhost'),
  },
  {
    name: 'net_bonding',
    pmd: 'net_bonding',
    devargs: 'net_bonding0,mode=0,{peer}',
    setup: 'null-members',
    ...known('net_bonding'),
  },
  {
    name: 'net_failsafe',
    pmd: 'net_failsafe',
    devargs: 'net_failsafe0,dev(net_null90)',
    setup: 'none',
    ...known('net_failsafe'),
  },
];

/** The default DUTs, each with the device its devargs names (read once, here). */
export const DEFAULT_DUTS: readonly Dut[] = DUTS.map((d) => ({
  ...d,
  device: dutDevice(d.devargs, `default DUT ${d.name}`),
}));
