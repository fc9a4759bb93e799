import { execFileSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { type CopiedDpdk, copyInstalledDpdk } from '@dpdk-hotplug/ethdev/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from './cli.js';
import { type PmdInfo, scanPmdInfo } from './pmdinfo.js';

const hasPython = existsSync('/usr/bin/dpdk-pmdinfo.py') && existsSync('/usr/bin/python3');
const key = ({ file: _f, ...rest }: PmdInfo) => JSON.stringify(rest, Object.keys(rest).sort());
let copy: CopiedDpdk;
beforeAll(() => {
  copy = copyInstalledDpdk();
}, 60_000);
afterAll(() => copy?.remove());

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe.skipIf(!hasPython)('PMD records of a DPDK in its own prefix', () => {
  /**
   * Steps: scan the PMD folder of the DPDK under PREFIX (a meson-like copy of the installed one)
   * with the librte_* each PMD needs; run that prefix's own dpdk-pmdinfo.py on the same PMDs,
   * with that prefix's libdir first for ldd, as its users run it.
   * Verify: every file read is under PREFIX (none from the system's libdir); the same records.
   */
  it('reads that prefix only and equals its dpdk-pmdinfo.py', async () => {
    const ours = await scanPmdInfo('installed', { dpdk: copy.prefix, followNeeded: true });
    const real = realpathSync(copy.prefix);
    expect(ours.files.filter((f) => !f.startsWith(`${real}/`))).toEqual([]);
    const plain = await scanPmdInfo('installed', { dpdk: copy.prefix });
    // Debian's DPDK has over 50 PMDs, a reduced source build (the release matrix's) about 16.
    expect(plain.files.length).toBeGreaterThan(10);
    const script = join(copy.prefix, 'bin', 'dpdk-pmdinfo.py');
    const theirs: PmdInfo[] = JSON.parse(
      execFileSync('/usr/bin/python3', [script, ...plain.files], {
        env: { ...process.env, LD_LIBRARY_PATH: copy.libdir },
        maxBuffer: 1 << 28,
        encoding: 'utf8',
      }),
    );
    expect(new Set(ours.drivers.map(key))).toEqual(new Set(theirs.map(key)));
    expect(ours.drivers).toHaveLength(theirs.length);
  });

  /**
   * Steps: `probe pmdinfo --installed --dpdk PREFIX --id 8086:10d3`, then with a prefix that is
   * not a DPDK.
   * Verify: net_e1000_em from PREFIX's PMD folder; NO_DPDK naming the path, exit 2.
   */
  it('probe pmdinfo --dpdk PREFIX', async () => {
    const r = await cli(['pmdinfo', '--installed', '--dpdk', copy.prefix, '--id', '8086:10d3']);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`(${realpathSync(copy.pmdDir)}/librte_net_e1000.so`);
    const bad = await cli(['pmdinfo', '--installed', '--dpdk', '/nonexistent/dpdk']);
    expect(bad).toMatchObject({
      code: 2,
      err: 'dpdk-hotplug probe: No DPDK at /nonexistent/dpdk: no such directory [NO_DPDK]',
    });
  });
});
