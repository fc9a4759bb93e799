import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  chooseShim,
  prebuildDir,
  readyShim,
  type ShimPlaces,
  type ShimStamp,
  type ShimTarget,
  shimCacheDir,
  shimCacheRoot,
} from './shim-select.js';
import { errorOf } from './test-support/env.js';

// Shim folders with their shim.json, as build-shim.mjs leaves them; nothing here is loaded.
const root = mkdtempSync(join(tmpdir(), 'dphp-shim-select-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

const debian: ShimTarget = {
  version: '22.11.11',
  prefix: '/usr',
  libdir: '/usr/lib/x86_64-linux-gnu',
  abi: '23',
};

function placeShim(dir: string, stamp: Partial<ShimStamp>) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'libdphp_shim.so'), '');
  const full: ShimStamp = { ...debian, dpdk: debian.version, pinned: false, source: 'src-a', ...stamp };
  writeFileSync(join(dir, 'shim.json'), JSON.stringify(full));
}

function places(over: Partial<ShimPlaces> = {}): ShimPlaces {
  const at = join(root, String(n++));
  return {
    prebuilds: join(at, 'prebuilds'),
    source: 'src-a',
    linkerFinds: () => false,
    env: { XDG_CACHE_HOME: join(at, 'cache') },
    ...over,
  };
}

describe('chooseShim: which shim for which DPDK', () => {
  /**
   * Steps: prebuilds for ABI 23 (built on Debian against 22.11.4) and ABI 25.
   * Verify: DPDK 22.11.11 (ABI 23, same libdir) gets the ABI 23 prebuild, not the other one, and
   * not a build; 24.11.3 (ABI 25) gets the ABI 25 one.
   */
  it('takes the prebuilt shim of the DPDK ABI found, whatever its minor release', () => {
    const p = places();
    placeShim(prebuildDir(p.prebuilds, '23'), { abi: '23', dpdk: '22.11.4' });
    placeShim(prebuildDir(p.prebuilds, '25'), { abi: '25', dpdk: '24.11.1' });
    expect(chooseShim(debian, p)).toMatchObject({
      kind: 'prebuilt',
      path: join(prebuildDir(p.prebuilds, '23'), 'libdphp_shim.so'),
      stamp: { abi: '23', dpdk: '22.11.4' },
    });
    expect(chooseShim({ ...debian, version: '24.11.3', abi: '25' }, p)).toMatchObject({
      kind: 'prebuilt',
      path: join(prebuildDir(p.prebuilds, '25'), 'libdphp_shim.so'),
    });
  });

  /**
   * Steps: the ABI 23 prebuild; a DPDK of ABI 23 in its own prefix (another libdir), once not
   * found by ld.so by soname, once found.
   * Verify: not found → a build into the cache (the prebuild would load the system's EAL), the
   * reason says so; found → the prebuild.
   */
  it('takes a prebuild for another libdir only when the dynamic linker resolves its soname there', () => {
    const p = places();
    placeShim(prebuildDir(p.prebuilds, '23'), { abi: '23' });
    const own = { ...debian, prefix: '/opt/dpdk', libdir: '/opt/dpdk/lib/x86_64-linux-gnu' };
    const choice = chooseShim(own, p);
    expect(choice).toMatchObject({ kind: 'build', path: join(shimCacheDir(own, p.env), 'libdphp_shim.so') });
    expect(choice.kind === 'build' && choice.why).toContain('which the dynamic linker does not resolve');
    expect(chooseShim(own, { ...p, linkerFinds: () => true })).toMatchObject({ kind: 'prebuilt' });
  });

  /**
   * Steps: only an ABI 25 prebuild, and one built from another shim.c; then a shim built before
   * into the cache for this DPDK.
   * Verify: without the cache, a build is asked for, saying why; with it, the cached one.
   * A cached shim for another DPDK version or prefix is not taken.
   */
  it('falls back to a shim built into the cache for this DPDK, else asks for a build', () => {
    const p = places();
    placeShim(prebuildDir(p.prebuilds, '25'), { abi: '25' });
    const first = chooseShim(debian, p);
    expect(first.kind).toBe('build');
    expect(first.kind === 'build' && first.why).toMatch(/no prebuilt shim in .*dpdk-abi23; none built in /);

    const stale = places();
    placeShim(prebuildDir(stale.prebuilds, '23'), { abi: '23', source: 'src-old' });
    const staleChoice = chooseShim(debian, stale);
    expect(staleChoice.kind === 'build' && staleChoice.why).toContain('built from another native/shim.c');

    const dir = shimCacheDir(debian, p.env);
    placeShim(dir, { abi: '23', prefix: '/usr', dpdk: '22.11.11', pinned: true });
    expect(chooseShim(debian, p)).toMatchObject({ kind: 'cache', path: join(dir, 'libdphp_shim.so') });
    expect(chooseShim({ ...debian, version: '22.11.12' }, p).kind).toBe('build');
  });

  /**
   * Verify: the cache is $XDG_CACHE_HOME/dpdk-hotplug/shims when absolute (a relative one is
   * ignored, as the XDG spec says), else ~/.cache; one folder per DPDK version, ABI and prefix.
   */
  it('keeps built shims in the XDG cache, one folder per DPDK version, ABI and prefix', () => {
    expect(shimCacheRoot({ XDG_CACHE_HOME: '/var/c' }, '/home/u')).toBe('/var/c/dpdk-hotplug/shims');
    expect(shimCacheRoot({ XDG_CACHE_HOME: 'rel' }, '/home/u')).toBe('/home/u/.cache/dpdk-hotplug/shims');
    expect(shimCacheRoot({}, '/home/u')).toBe('/home/u/.cache/dpdk-hotplug/shims');
    const env = { XDG_CACHE_HOME: '/c' };
    const dirs = new Set([
      shimCacheDir(debian, env),
      shimCacheDir({ ...debian, prefix: '/opt/dpdk' }, env),
      shimCacheDir({ ...debian, version: '22.11.4' }, env),
      shimCacheDir({ ...debian, abi: '24' }, env),
    ]);
    expect(dirs.size).toBe(4);
    expect(shimCacheDir(debian, env)).toMatch(/^\/c\/dpdk-hotplug\/shims\/22\.11\.11-abi23-[0-9a-f]{10}$/);
  });
});

describe('readyShim: error when neither a prebuild nor a build can be had', () => {
  /**
   * Steps: no prebuild; the cache below a regular file, so build-shim.mjs (run for real, against
   * pkg-config's DPDK) cannot make its folder.
   * Verify: BINDING_UNAVAILABLE naming the DPDK, why no prebuild fits, build-shim's own error
   * and the command to run; nothing was built.
   */
  it('names the build command when the build into the cache fails', () => {
    const file = join(root, `file-${n++}`);
    writeFileSync(file, '');
    const p = places({ env: { ...process.env, XDG_CACHE_HOME: join(file, 'cache') } });
    const e = errorOf(() => readyShim({ ...debian, selectedBy: 'pkg-config' }, p));
    expect(e).toMatchObject({ code: 'BINDING_UNAVAILABLE' });
    expect(e?.message).toContain('No prebuilt native shim fits DPDK 22.11.11 (ABI 23) at /usr');
    expect(e?.message).toMatch(/ENOTDIR|not a directory/);
    expect(e?.message).toContain(
      `scripts/build-shim.mjs --out ${join(file, 'cache', 'dpdk-hotplug', 'shims')}`,
    );
  });

  /** Verify: a package shipping no shim.c and no fitting prebuild says which ABI it needs. */
  it('says which prebuild is missing when the package has no source to build from', () => {
    const e = errorOf(() => readyShim(debian, places({ source: undefined })));
    expect(e).toMatchObject({ code: 'BINDING_UNAVAILABLE' });
    expect(e?.message).toContain('install a package with a prebuilt shim for ABI 23');
  });
});
