/**
 * A DPDK used straight from its meson build folder (what `ninja -C build` leaves, never installed):
 * a real source build, made by `node tools/matrix/cli.mjs dpdk-build` (tools/matrix/README.md),
 * cached under /var/cache/dpdk-hotplug/dpdk. Skipped, saying so, when none is cached.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { diagnose } from './doctor.js';
import { findDpdk } from './dpdk-install.js';
import { Eal } from './eal.js';
import { errorOf, testEalOptions } from './test-support/env.js';

const CACHE = process.env.DPDK_HOTPLUG_DPDK_CACHE ?? '/var/cache/dpdk-hotplug';

/** The newest cached dpdk-build's build folder, if any. */
function cachedBuildFolder(): { build: string; prefix: string; version: string } | undefined {
  const root = join(CACHE, 'dpdk');
  if (!existsSync(root)) return undefined;
  const stamps = readdirSync(root)
    .map((k) => join(root, k, 'stamp.json'))
    .filter((f) => existsSync(f))
    .map(
      (f) =>
        JSON.parse(readFileSync(f, 'utf8')) as {
          build: string;
          prefix: string;
          version: string;
          date: string;
        },
    )
    .filter((s) => existsSync(join(s.build, 'build.ninja')))
    .sort(
      (a, b) => b.version.localeCompare(a.version, 'en', { numeric: true }) || b.date.localeCompare(a.date),
    );
  return stamps[0];
}

const found = cachedBuildFolder();
const why = `no DPDK source build cached in ${CACHE}/dpdk: make one with \`node tools/matrix/cli.mjs dpdk-build --tag v23.11.7 --git DPDK_GIT_DIR\``;
if (!found) console.warn(`build-dir.test.ts skipped: ${why}`);

/** The files this process mapped whose name starts with `librte_`. */
function mappedRte(): string[] {
  const files = readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .map((l) => l.split(/\s+/).slice(5).join(' '))
    .filter((f) => /\/librte_[^/]*\.so/.test(f));
  return [...new Set(files)];
}

const scratch = mkdtempSync(join(tmpdir(), 'build-dir-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe.skipIf(!found)(`a DPDK build folder, uninstalled (${found?.version ?? why})`, () => {
  /**
   * Steps: findDpdk and doctor on the build folder; Eal.init({ dpdk: BUILD }); attach, close and
   * detach net_null0 and net_ring0. Verify: it is described as a build folder (version from
   * libdpdk-uninstalled.pc, libraries in lib/); its PMDs are drivers/ (told to the EAL with -d)
   * when it was never installed, else the folder it was installed to (dpdk-build installs it:
   * its librte_eal loads that folder at init whatever it is told, and drivers/ on top would
   * register each PMD twice); every librte_* this process mapped comes from the build folder or
   * that PMD folder, none from Debian's install.
   */
  it('attaches and detaches with the libraries of the build folder and its own PMDs only', async () => {
    const build = found!.build;
    const d = findDpdk(build);
    expect(d).toMatchObject({
      kind: 'build',
      version: found!.version,
      libdir: join(build, 'lib'),
      pcDir: join(build, 'meson-uninstalled'),
    });
    const pmds = d.pmdDir!;
    const installedToo = existsSync(join(found!.prefix, 'lib'));
    if (installedToo) expect(pmds.startsWith(`${found!.prefix}/`)).toBe(true);
    else expect(pmds).toBe(join(build, 'drivers'));
    const doctor = diagnose(build);
    expect(doctor.checks.find((c) => c.name === 'DPDK')?.detail).toContain('uninstalled build folder');
    expect(doctor.checks.find((c) => c.name === 'build folder')?.detail).toContain(
      installedToo ? 'where this build was installed' : 'with -d',
    );
    const eal = Eal.init(testEalOptions({ dpdk: build }));
    expect(eal.args.join(' ').includes(`-d ${join(build, 'drivers')}`)).toBe(!installedToo);
    expect(eal.version).toContain(found!.version);
    for (const name of ['net_null0', 'net_ring0']) {
      const port = await eal.attach(name);
      eal.close(port);
      expect(await eal.detach(port)).toBe(name);
    }
    const rte = mappedRte();
    expect(rte.filter((f) => !f.startsWith(`${build}/`) && !f.startsWith(`${pmds}/`))).toEqual([]);
    // librte_eal.so.24.0 on 23.11, .so.26.2 on 26.07.
    expect(rte.some((f) => f.startsWith(join(build, 'lib', `librte_eal.so.${d.abi}.`)))).toBe(true);
    expect(rte.some((f) => f.startsWith(join(pmds, 'librte_net_null.so')))).toBe(true);
    expect(rte.some((f) => f.startsWith(join(pmds, 'librte_net_ring.so')))).toBe(true);
    eal.cleanup();
  }, 120_000);

  it('says what is missing from a build folder that was configured and never built', () => {
    const half = join(scratch, 'configured');
    mkdirSync(join(half, 'meson-private'), { recursive: true });
    mkdirSync(join(half, 'meson-uninstalled'));
    writeFileSync(join(half, 'build.ninja'), '');
    writeFileSync(join(half, 'meson-uninstalled', 'libdpdk-uninstalled.pc'), 'Version: 23.11.7\n');
    expect(errorOf(() => findDpdk(half))?.message).toBe(
      `DPDK build folder ${half}: no lib/librte_eal.so — not built yet (run \`ninja -C ${half}\`), or configured with -Ddefault_library=static`,
    );
    rmSync(join(half, 'meson-uninstalled'), { recursive: true });
    expect(errorOf(() => findDpdk(half))?.message).toMatch(/no meson-uninstalled\/libdpdk-uninstalled\.pc/);
  });
});
