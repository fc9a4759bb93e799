import type { Dut } from './dut.js';

/**
 * Every ethdev vdev PMD Debian's DPDK 22.11 ships that can run on a plain Linux machine, each
 * with the set-up it needs. Left out, with the reason: net_softnic (needs an application's
 * pipeline spec), net_vdev_netvsc (Hyper-V only), net_pfe, net_enetfec, net_dpaa and
 * net_octeontx (vdevs of NXP and Marvell hardware), net_kni (not built by Debian's 22.11).
 * `cycles` caps the kernel-backed PMDs, whose cycle costs tens of milliseconds of kernel work
 * (netdev and socket teardown), so that the default run stays within a minute.
 */
export const DEFAULT_DUTS: readonly Dut[] = [
  { name: 'net_null', pmd: 'net_null', devargs: 'net_null0', setup: 'none', traffic: 'source-sink' },
  { name: 'net_ring', pmd: 'net_ring', devargs: 'net_ring0', setup: 'none', traffic: 'loopback' },
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
    traffic: 'none',
    trafficNote: 'a memif server passes traffic only once a client connects; the suite has no memif client',
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
    traffic: 'none',
    trafficNote:
      'a vhost port passes traffic only once a virtio driver connects (net_virtio_user covers that pair)',
  },
  {
    name: 'net_bonding',
    pmd: 'net_bonding',
    devargs: 'net_bonding0,mode=0,{peer}',
    setup: 'null-members',
    traffic: 'tx-only',
  },
  {
    name: 'net_failsafe',
    pmd: 'net_failsafe',
    devargs: 'net_failsafe0,dev(net_null90)',
    setup: 'none',
    traffic: 'source-sink',
  },
];
