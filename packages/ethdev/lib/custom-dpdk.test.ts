import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diagnose } from './doctor.js';
import { type CopiedDpdk, copyInstalledDpdk } from './dpdk-copy.js';
import { findDpdk, selectDpdk } from './dpdk-install.js';
import { Eal } from './eal.js';
import { shimCacheRoot } from './shim-select.js';
import { errorOf, testEalOptions } from './test-support/env.js';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'index.js');
let copy: CopiedDpdk;
let ringOutside: string;
// The installed DPDK's ABI as its files spell it (`23.0` on 22.11, `25.0` on 24.11), from its PMD folder.
const abi = basename(findDpdk().pmdDir ?? 'pmds-?').replace(/^pmds-/, '');
const major = abi.split('.')[0];

/** The files this process mapped whose name starts with `librte_` or is our shim. */
function mappedDpdk(): string[] {
  const files = readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .map((l) => l.split(/\s+/).slice(5).join(' '))
    .filter((f) => /\/(librte_[^/]*\.so|libdphp_shim\.so)/.test(f));
  return [...new Set(files)];
}

beforeAll(() => {
  copy = copyInstalledDpdk();
  // An out-of-tree PMD: net_ring moved out of the PMD folder, loaded only through `drivers`.
  mkdirSync(join(copy.prefix, 'extra'));
  ringOutside = join(copy.prefix, 'extra', `librte_net_ring.so.${abi}`);
  const ringIn = join(copy.libdir, 'dpdk', `pmds-${abi}`);
  renameSync(join(ringIn, `librte_net_ring.so.${abi}`), ringOutside);
  for (const link of ['librte_net_ring.so', `librte_net_ring.so.${major}`])
    rmSync(join(ringIn, link), { force: true });
}, 60_000);
afterAll(() => {
  const shim = findDpdk(copy.prefix).shimPath;
  copy.remove();
  rmSync(dirname(shim), { recursive: true, force: true });
});

describe('a DPDK in its own prefix', () => {
  /**
   * Steps: init with `dpdk: PREFIX` (a copy of Debian's DPDK laid out as a meson install) and
   * `drivers: [net_ring moved outside its PMD folder]`; attach and detach net_null0 and net_ring0.
   * Verify: the shim was built for that prefix, and every librte_* this process mapped (EAL,
   * ethdev, the net_null PMD from the prefix's own PMD folder) and the out-of-tree net_ring
   * come from the prefix: none from the system's libdir. The doctor finds everything there.
   * Choosing another DPDK now is refused.
   */
  it('attaches and detaches with the libraries of that prefix only', async () => {
    const eal = Eal.init(testEalOptions({ dpdk: copy.prefix, drivers: [ringOutside] }));
    for (const name of ['net_null0', 'net_ring0']) {
      const port = await eal.attach(name);
      eal.close(port);
      expect(await eal.detach(port)).toBe(name);
    }
    const mapped = mappedDpdk();
    const shimDir = dirname(findDpdk(copy.prefix).shimPath);
    expect(mapped).toContain(join(shimDir, 'libdphp_shim.so'));
    const rte = mapped.filter((f) => !f.endsWith('libdphp_shim.so'));
    expect(rte.filter((f) => !f.startsWith(`${copy.prefix}/`))).toEqual([]);
    for (const lib of [
      `librte_eal.so.${abi}`,
      `librte_ethdev.so.${abi}`,
      `dpdk/pmds-${abi}/librte_net_null.so.${abi}`,
    ])
      expect(rte).toContain(join(copy.libdir, lib));
    expect(rte).toContain(ringOutside);
    const doctor = diagnose(copy.prefix);
    expect(doctor.ok).toBe(true);
    expect(doctor.checks.map((c) => `${c.status} ${c.name}`)).toEqual(
      ['DPDK', 'libraries', 'PMD folder', 'shim', 'load'].map((n) => `ok ${n}`),
    );
    // No prebuilt shim fits a DPDK in its own prefix: it was built into the user's cache.
    expect(doctor.shim).toMatchObject({ kind: 'cache', stamp: { prefix: copy.prefix, pinned: true } });
    expect(shimDir.startsWith(`${shimCacheRoot()}/`)).toBe(true);
    expect(errorOf(() => selectDpdk('/usr'))).toMatchObject({
      code: 'DPDK_ALREADY_LOADED',
      message: expect.stringContaining(copy.prefix),
    });
    eal.cleanup();
  });

  /**
   * Steps: a child process with DPDK_HOTPLUG_DPDK=PREFIX attaches net_null0 and net_ring0.
   * Verify: net_null0 attaches from the prefix; net_ring0, outside the PMD folder and not given
   * in `drivers`, is not known there.
   */
  it('is selected by DPDK_HOTPLUG_DPDK in a new process', () => {
    const script = `
      import { Eal } from ${JSON.stringify(dist)};
      import { readFileSync } from 'node:fs';
      const eal = Eal.init(${JSON.stringify(testEalOptions({ filePrefix: `vitest-env-${process.pid}` }))});
      const port = eal.attachSync('net_null0');
      const maps = readFileSync('/proc/self/maps', 'utf8');
      let ring;
      try { eal.attachSync('net_ring0'); } catch (e) { ring = e.code; }
      eal.close(port); eal.detachSync(port); eal.cleanup();
      console.log(JSON.stringify({ eal: maps.match(/\\S*librte_eal\\.so\\S*/)[0], ring }));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, DPDK_HOTPLUG_DPDK: copy.prefix },
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual({
      eal: join(copy.libdir, `librte_eal.so.${abi}`),
      ring: 'UNKNOWN_DRIVER',
    });
  });

  /**
   * Steps: a child process with DPDK_HOTPLUG_DPDK naming a folder that does not exist calls init.
   * Verify: DPDK_NOT_FOUND, one line naming that folder.
   */
  it('is refused in one line naming the path when DPDK_HOTPLUG_DPDK is wrong', () => {
    const script = `
      import { Eal } from ${JSON.stringify(dist)};
      try { Eal.init(); } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, DPDK_HOTPLUG_DPDK: '/nonexistent/dpdk-24.11' },
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual({
      code: 'DPDK_NOT_FOUND',
      message: 'No DPDK at /nonexistent/dpdk-24.11: no such directory',
    });
  });
  /**
   * Steps: make the copy's prefix world-writable (as a DPDK installed below /tmp is); a child
   * process with DPDK_HOTPLUG_DPDK=PREFIX calls init; the prefix gets its mode back.
   * Verify: UNSUPPORTED_DPDK in one line naming the PMD folder and the world-writable folder
   * above it, before DPDK's own "Cannot init plugins".
   */
  it('is refused naming the folder when its PMD folder is below a world-writable folder', () => {
    const script = `
      import { Eal } from ${JSON.stringify(dist)};
      try { Eal.init(${JSON.stringify(testEalOptions({ filePrefix: `vitest-open-${process.pid}` }))}); }
      catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`;
    const mode = statSync(copy.prefix).mode & 0o7777;
    chmodSync(copy.prefix, 0o777);
    let out: string;
    try {
      out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        env: { ...process.env, DPDK_HOTPLUG_DPDK: copy.prefix },
        encoding: 'utf8',
      });
    } finally {
      chmodSync(copy.prefix, mode);
    }
    const e = JSON.parse(out) as { code: string; message: string };
    expect(e.code).toBe('UNSUPPORTED_DPDK');
    expect(e.message).toContain(`is below ${copy.prefix}, which anyone may write`);
    expect(e.message).not.toContain('\n');
  });
});

describe('a prefix given through a symlink', () => {
  it('is the same DPDK, with the same shim', () => {
    const link = join(copy.prefix, 'extra', 'link');
    symlinkSync(copy.prefix, link);
    expect(findDpdk(link)).toMatchObject({ prefix: copy.prefix, shimPath: findDpdk(copy.prefix).shimPath });
  });
});

describe('a DPDK that cannot be used', () => {
  /**
   * Steps: select a prefix that does not exist, one without libdpdk.pc, one whose .pc still says
   * prefix=/usr (moved), one whose libdpdk.pc says 21.11.
   * Verify: DPDK_NOT_FOUND with one line naming the path; UNSUPPORTED_DPDK naming 21.11.
   */
  it('is refused with a one-line error naming the path or the version', () => {
    const missing = errorOf(() => selectDpdk('/nonexistent/dpdk'));
    expect(missing).toMatchObject({
      code: 'DPDK_NOT_FOUND',
      message: 'No DPDK at /nonexistent/dpdk: no such directory',
    });
    const empty = join(copy.prefix, 'extra');
    expect(errorOf(() => findDpdk(empty))?.message).toBe(
      `No DPDK at ${empty}: no lib/*/pkgconfig/libdpdk.pc (give a meson install prefix) and no build.ninja (or a meson build folder)`,
    );
    const old = join(copy.prefix, 'old');
    const pcDir = join(old, 'lib', 'x86_64-linux-gnu', 'pkgconfig');
    mkdirSync(pcDir, { recursive: true });
    const pc = readFileSync(join(copy.libdir, 'pkgconfig', 'libdpdk.pc'), 'utf8');
    writeFileSync(
      join(pcDir, 'libdpdk-libs.pc'),
      readFileSync(join(copy.libdir, 'pkgconfig', 'libdpdk-libs.pc')),
    );
    writeFileSync(join(pcDir, 'libdpdk.pc'), pc.replace(/^prefix=.*$/m, 'prefix=/usr'));
    const moved = errorOf(() => findDpdk(old));
    expect(moved).toMatchObject({
      code: 'DPDK_NOT_FOUND',
      message: expect.stringContaining('libdir=/usr/lib'),
    });
    writeFileSync(join(pcDir, 'libdpdk.pc'), pc.replace(/^Version: .*$/m, 'Version: 21.11.7'));
    const unsupported = errorOf(() => findDpdk(old));
    expect(unsupported).toMatchObject({
      code: 'UNSUPPORTED_DPDK',
      message: expect.stringContaining('DPDK 21.11.7'),
    });
    for (const e of [missing, moved, unsupported]) expect(e!.message).not.toContain('\n');
  });
});
