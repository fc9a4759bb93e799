/**
 * `certify --driver PATH.so`: what a .so registers is read before anything runs, a .so that
 * registers nothing is refused in one line, and the DUTs it drives get it as their `driver`.
 * Real files: Debian's PMDs (records) and libraries (none); the PCI match on a fake sysfs tree.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findDpdk } from '@dpdk-hotplug/ethdev';
import { afterAll, describe, expect, it } from 'vitest';
import { DRIVERS_ENV, driverArgs, runDrivers } from '../common/run-drivers.js';
import { dutFromDevargs } from '../model/dut.js';
import { planFromArgs } from './cli.js';
import { readDriver, withDriver } from './oot-drivers.js';

const dpdk = findDpdk(undefined, 'pkg-config');
const pmdDir = dpdk.pmdDir!;
const nullPmd = join(pmdDir, `librte_net_null.so.${dpdk.abi}`);
const eal = join(dpdk.libdir, `librte_eal.so.${dpdk.abi}`);
const work = mkdtempSync(join(tmpdir(), 'dphp-oot-drivers-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('out-of-tree PMDs (--driver)', () => {
  it('reads the drivers a .so registers (its PMD_INFO_STRING records), by its real path', () => {
    const d = readDriver(nullPmd);
    expect(d.names).toContain('net_null');
    expect(d.file).toMatch(/librte_net_null\.so\.[\d.]+$/);
    expect(d.pciIds).toEqual([]);
    const e1000 = readDriver(join(pmdDir, `librte_net_e1000.so.${dpdk.abi}`));
    expect(e1000.names).toEqual(expect.arrayContaining(['net_e1000_igb', 'net_e1000_em']));
    expect(e1000.pciIds).toContainEqual({ vendor: '8086', device: '100e' });
  });

  it('refuses, in one line, a .so that registers nothing, a missing file, and one below a world-writable folder', () => {
    expect(() => readDriver(eal)).toThrow(
      /^--driver .*librte_eal\.so\.\d+: registers no PMD \(no PMD_INFO_STRING record/,
    );
    expect(() => readDriver(join(work, 'nope.so'))).toThrow(
      `--driver ${join(work, 'nope.so')}: no such file`,
    );
    // /tmp is world-writable (sticky): DPDK's EAL refuses -d below it, so certify says so first.
    const copy = join(work, 'librte_net_null.so');
    copyFileSync(nullPmd, copy);
    expect(() => readDriver(copy)).toThrow(/is world-writable, and DPDK refuses to load a PMD below it/);
  });

  it('gives a vdev DUT the .so registering its PMD, and a PCI DUT the .so claiming its ids', () => {
    const nul = readDriver(nullPmd);
    expect(withDriver(dutFromDevargs('net_null0'), [nul]).driver).toBe(nul.file);
    expect(withDriver(dutFromDevargs('net_ring0'), [nul]).driver).toBeUndefined();
    const sysfs = join(work, 'sys');
    for (const [bdf, vendor, device] of [
      ['0000:01:00.0', '0x8086', '0x100e'],
      ['0000:02:00.0', '0x1af4', '0x1000'],
    ]) {
      mkdirSync(join(sysfs, bdf!), { recursive: true });
      writeFileSync(join(sysfs, bdf!, 'vendor'), `${vendor}\n`);
      writeFileSync(join(sysfs, bdf!, 'device'), `${device}\n`);
    }
    const e1000 = readDriver(join(pmdDir, `librte_net_e1000.so.${dpdk.abi}`));
    expect(withDriver(dutFromDevargs('0000:01:00.0'), [nul, e1000], sysfs).driver).toBe(e1000.file);
    expect(withDriver(dutFromDevargs('0000:02:00.0'), [nul, e1000], sysfs).driver).toBeUndefined();
    expect(withDriver(dutFromDevargs('0000:03:00.0'), [e1000], sysfs).driver).toBeUndefined();
  });

  it('certify --driver: checked before anything runs, and in the plan for every EAL of the run', () => {
    expect(() => planFromArgs(['certify', '--dut', 'net_null0', '--driver', eal], work)).toThrow(
      /registers no PMD/,
    );
    const plan = planFromArgs(['certify', '--dut', 'net_null0', '--driver', nullPmd], work)!;
    const real = readDriver(nullPmd).file;
    expect(plan.duts[0]!.driver).toBe(real);
    expect(plan.drivers).toEqual([real]);
    expect(runDrivers({ [DRIVERS_ENV]: `${real}:/x/y.so` })).toEqual([real, '/x/y.so']);
    expect(driverArgs({ [DRIVERS_ENV]: real })).toEqual(['-d', real]);
    expect(runDrivers({})).toEqual([]);
  });
});
