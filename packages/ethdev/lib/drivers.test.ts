import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Eal } from './eal.js';
import { ealArgs } from './eal-args.js';
import { errorOf, testEalOptions } from './test-support/env.js';

// Under build/, not /tmp: EAL refuses PMDs below a world-writable folder.
const build = join(dirname(fileURLToPath(import.meta.url)), '..', 'build');
mkdirSync(build, { recursive: true });
const work = mkdtempSync(join(build, 'test-drivers-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const hasCc = existsSync('/usr/bin/cc');

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
});
