import type { TrafficMode } from './dut.js';

/**
 * What the suite knows of each PMD's traffic when nothing else is said: the one table a bare
 * `--dut`, an inventory port without a `traffic` field and the default DUTs start from. A DUT
 * whose traffic cannot be observed is judged on hotplug alone, and the report says why.
 */
export const TRAFFIC_BY_PMD: Readonly<Record<string, { mode: TrafficMode; note?: string }>> = {
  net_null: { mode: 'source-sink' },
  net_ring: { mode: 'loopback' },
  net_failsafe: { mode: 'source-sink', note: 'over its net_null sub-device' },
  net_memif: {
    mode: 'none',
    note: 'a memif port passes traffic only once its peer connects; the suite has no memif peer',
  },
  net_vhost: {
    mode: 'none',
    note: 'a vhost port passes traffic only once a virtio driver connects (net_virtio_user covers that pair)',
  },
  net_bonding: {
    mode: 'tx-only',
    note: 'the bond takes packets; where its members send them is not observed',
  },
};

/** A PMD's default traffic: the table's, else `tx-only` (the PMD must take what is sent). */
export function defaultTraffic(pmd: string): { mode: TrafficMode; note?: string } {
  return TRAFFIC_BY_PMD[pmd] ?? { mode: 'tx-only' };
}
