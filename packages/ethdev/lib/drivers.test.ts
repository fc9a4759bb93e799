import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Eal } from './eal.js';
import { ealArgs } from './eal-args.js';
import { pluginFolder } from './plugin-folder.js';
import { errorOf, testEalOptions } from './test-support/env.js';

// A folder DPDK accepts plugins from (not below /tmp, wherever the checkout is).
const folder = pluginFolder('test-drivers');
const work = folder.path;
afterAll(() => folder.remove());
const hasCc = existsSync('/usr/bin/cc');
const CHILD = fileURLToPath(new URL('./test-support/plugin-child.mjs', import.meta.url));

describe('drivers (out-of-tree PMDs, -d)', () => {
  /**
   * Steps: give drivers a relative path, a missing file, a folder, a non-string, and a real file.
   * Verify: INVALID_OPTION naming the path and what is wrong; the real file becomes `-d PATH`.
   */
  it('takes absolute paths of existing regular files only', () => {
    const file = join(work, 'librte_net_x.so');
    writeFileSync(file, '');
    const cases: Array<[unknown, string]> = [
      ['librte_net_x.so', 'is not an absolute path'],
      [join(work, 'missing.so'), 'does not exist'],
      [work, 'is not a regular file'],
    ];
    for (const [path, why] of cases) {
      expect(errorOf(() => ealArgs({ drivers: [path as string] }))).toMatchObject({
        code: 'INVALID_OPTION',
        message: expect.stringContaining(`${JSON.stringify(path)} ${why}`),
      });
    }
    // Not a string: the options module refuses it before any path is looked at.
    expect(errorOf(() => ealArgs({ drivers: [42 as unknown as string] }))).toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringContaining('item 0 must be a non-empty string'),
    });
    expect(ealArgs({ drivers: [file] }).slice(-2)).toEqual(['-d', file]);
  });

  /**
   * Steps: build a PMD that needs a library that is not installed; init with it in drivers.
   * Verify: EAL_INIT_FAILED whose message carries dlopen's message from DPDK's log.
   */
  it.skipIf(!hasCc)("fails init with dlopen's message when a PMD cannot load", () => {
    const dep = join(work, 'libdphp_absent.so.1');
    const pmd = join(work, 'librte_net_needs_absent.so');
    writeFileSync(join(work, 'x.c'), 'int dphp_x;\n');
    execFileSync('cc', ['-shared', '-fPIC', '-Wl,-soname,libdphp_absent.so.1', '-o', dep, join(work, 'x.c')]);
    execFileSync('cc', ['-shared', '-fPIC', '-o', pmd, join(work, 'x.c'), '-Wl,--no-as-needed', dep]);
    rmSync(dep);
    const e = errorOf(() => Eal.init(testEalOptions({ drivers: [pmd] })));
    expect(e).toMatchObject({
      code: 'EAL_INIT_FAILED',
      message: expect.stringContaining(
        'a PMD could not be loaded: libdphp_absent.so.1: cannot open shared object file',
      ),
    });
  });

  /**
   * Steps: a real PMD-shaped .so in a folder DPDK accepts, in a world-writable folder below it,
   * world-writable itself, and a symlink to the accepted one from /tmp's own folder.
   * Verify: the SDK refuses the two DPDK would refuse (INVALID_OPTION naming the world-writable
   * folder or file), takes the symlink (DPDK looks at the real path); and DPDK itself, given the
   * same files past the SDK's check (plugin-child.mjs), refuses the first ("world-writable and
   * insecure") and loads the accepted one, so the SDK's rule is DPDK's.
   */
  it.skipIf(!hasCc)('refuses a PMD below a world-writable folder, as DPDK does', () => {
    const ok = join(work, 'librte_net_plain.so');
    writeFileSync(join(work, 'plain.c'), 'int dphp_plain;\n');
    execFileSync('cc', ['-shared', '-fPIC', '-o', ok, join(work, 'plain.c')]);
    const open = join(work, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const below = join(open, 'librte_net_plain.so');
    copyFileSync(ok, below);
    const writable = join(work, 'librte_net_writable.so');
    copyFileSync(ok, writable);
    chmodSync(writable, 0o666);
    const linkDir = mkdtempSync(join(tmpdir(), 'dphp-drivers-link-'));
    const link = join(linkDir, 'librte_net_plain.so');
    symlinkSync(ok, link);
    try {
      for (const [path, folder] of [
        [below, open],
        [writable, writable],
      ]) {
        expect(errorOf(() => ealArgs({ drivers: [path!] }))).toMatchObject({
          code: 'INVALID_OPTION',
          message: expect.stringContaining(
            `${JSON.stringify(path)} is below ${folder}, which anyone may write`,
          ),
        });
      }
      expect(ealArgs({ drivers: [link] }).slice(-2)).toEqual(['-d', link]);
      const dpdkSays = (path: string) => {
        const r = spawnSync(process.execPath, [CHILD, `vitest-plugin-${process.pid}`, path], {
          encoding: 'utf8',
        });
        return JSON.parse(r.stderr.trim().split('\n').at(-1)!) as Record<string, unknown>;
      };
      expect(dpdkSays(below)).toEqual({
        code: 'EAL_INIT_FAILED',
        message: expect.stringContaining(`directory path ${open} is world-writable and insecure`),
      });
      expect(dpdkSays(ok)).toEqual({ loaded: true });
    } finally {
      rmSync(linkDir, { recursive: true, force: true });
    }
  });
});
