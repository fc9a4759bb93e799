/**
 * `--dut` typos are refused before anything runs: against the PMDs the installed DPDK registers
 * (read from its PMD files, real) and a sysfs tree (a fake one here, so that a present device can
 * be shown without touching the machine's).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { currentDpdk } from '@dpdk-hotplug/ethdev';
import { afterAll, describe, expect, it } from 'vitest';
import { deviceOf, dutFromDevargs } from '../model/dut.js';
import { refuseUnknownDuts } from './dut-exists.js';

const sysfs = mkdtempSync(join(tmpdir(), 'dphp-sysfs-'));
mkdirSync(join(sysfs, 'bus', 'pci', 'devices', '0000:01:00.0'), { recursive: true });
afterAll(() => rmSync(sysfs, { recursive: true, force: true }));
const dpdk = currentDpdk();
const check = (devargs: string, extraNames?: string[]) =>
  refuseUnknownDuts([deviceOf(dutFromDevargs(devargs))], {
    dpdk,
    sysfs,
    ...(extraNames ? { extraNames } : {}),
  });

describe('refuseUnknownDuts', () => {
  it('refuses a vdev no registered PMD drives, naming the nearest', async () => {
    await expect(check('net_nul0')).rejects.toThrow(
      `--dut net_nul0: no PMD of DPDK ${dpdk.version} is named net_nul (nearest: net_null)`,
    );
    await expect(check('net_tapp0,iface=x')).rejects.toThrow(/is named net_tapp \(nearest: net_tap\)$/);
    await expect(check('net_zzzzzzzz0')).rejects.toThrow(/is named net_zzzzzzzz$/);
  });

  it('takes what DPDK registers: instance numbers, eth_ aliases, suffixes after a separator', async () => {
    for (const ok of ['net_null0', 'eth_ring0', 'net_pcap_rx,rx_pcap=x', 'net_bonding0,mode=0'])
      await expect(check(ok)).resolves.toBeUndefined();
    // An out-of-tree driver's names count too.
    await expect(check('net_mypmd0', ['net_mypmd'])).resolves.toBeUndefined();
  });

  it('refuses a PCI address with no device in sysfs, and never suggests another', async () => {
    await expect(check('0000:01:00.0')).resolves.toBeUndefined();
    await expect(check('01:00.0,rx_low_latency=1')).resolves.toBeUndefined();
    await expect(check('0000:99:00.0')).rejects.toThrow(
      `--dut 0000:99:00.0: no PCI device 0000:99:00.0 in ${sysfs}/bus/pci/devices (dpdk-hotplug devices lists them)`,
    );
  });
});
