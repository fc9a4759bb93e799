// The matrix's source releases (issue 23): which build each runs with, the environment that
// selects it, and what is said when there is none. Real builds are used by the matrix itself;
// here the cache is a folder of stamps as dpdk-build.mjs writes them.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DRIVERS, mesonOptions } from './dpdk-build.mjs';
import { compareRecords } from './pmdinfo-step.mjs';
import { defaultReleases, findRelease, RELEASES, SOURCE_RELEASES } from './releases.mjs';
import { releaseDirs } from './rootfs.mjs';
import { buildCommand, cachedBuildOf, libdirOf, sourceBuild, sourceEnv } from './source-release.mjs';

const dir = mkdtempSync(join(tmpdir(), 'source-release-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A cache with one build of `tag`: its tree (VERSION, meson.build, drivers) and its stamp. */
function cacheWith(name, tag, version, { options } = {}) {
  const cache = join(dir, name);
  const tree = join(cache, 'src', tag);
  for (const d of DRIVERS) mkdirSync(join(tree, 'drivers', d), { recursive: true });
  writeFileSync(join(tree, 'VERSION'), `${version}\n`);
  writeFileSync(join(tree, 'meson.build'), '');
  const key = `${version}-0123456789`;
  mkdirSync(join(cache, 'dpdk', key), { recursive: true });
  const stamp = {
    key,
    version,
    commit: 'c0ffee',
    source: `${tag} of /srv/dpdk.git`,
    tree,
    options: options ?? mesonOptions(tree),
    prefix: join(cache, 'dpdk', key, 'prefix'),
    date: '2026-12-06T00:00:00.000Z',
  };
  writeFileSync(join(cache, 'dpdk', key, 'stamp.json'), JSON.stringify(stamp));
  return { cache, stamp };
}

describe('source releases', () => {
  it('are 23.11 and 26.07 from their tags and main from a tree, in version order after Debian’s', () => {
    assert.deepEqual(
      SOURCE_RELEASES.map((r) => [r.id, r.source]),
      [
        ['23.11', { tag: 'v23.11.7' }],
        ['26.07', { tag: 'v26.07' }],
        ['main', { tree: true }],
      ],
    );
    assert.deepEqual(
      defaultReleases().map((r) => r.id),
      ['12', '23.11', '13', 'sid', '26.07'],
    );
    assert.deepEqual(
      defaultReleases({ tree: true }).map((r) => r.id),
      ['12', '23.11', '13', 'sid', '26.07', 'main'],
    );
    assert.equal(findRelease('lts').id, '23.11');
    assert.equal(findRelease('MAIN').id, 'main');
    assert.throws(() => findRelease('26.03'), /unknown release "26.03": .*26\.07 \(from source\), main/);
    // Debian's list (prebuilds, bench) is unchanged.
    assert.deepEqual(
      RELEASES.map((r) => r.id),
      ['12', '13', 'sid'],
    );
  });

  it('each has a work folder of its own, apart from the root filesystems', () => {
    const dirs = SOURCE_RELEASES.map((r) => releaseDirs(r, '/var/cache/m').dir);
    assert.deepEqual(dirs, ['/var/cache/m/dpdk-23.11', '/var/cache/m/dpdk-26.07', '/var/cache/m/dpdk-main']);
    assert.equal(releaseDirs(findRelease('12'), '/var/cache/m').dir, '/var/cache/m/bookworm');
  });

  it('runs a tag’s cached build made with today’s options, never one made with others', () => {
    const { cache, stamp } = cacheWith('current', 'v23.11.7', '23.11.7');
    assert.equal(sourceBuild(findRelease('23.11'), { cache }).stamp.key, stamp.key);
    assert.equal(cachedBuildOf('v23.11.7', [stamp]).key, stamp.key);
    assert.equal(cachedBuildOf('v26.07', [stamp]), undefined);
    const old = cacheWith('old', 'v23.11.7', '23.11.7', { options: ['-Denable_driver_sdk=true'] });
    assert.equal(cachedBuildOf('v23.11.7', [old.stamp]), undefined);
  });

  it('is skipped, saying how to build it, with no cached build and no git directory or tree', () => {
    const cache = join(dir, 'empty');
    mkdirSync(cache);
    const lts = sourceBuild(findRelease('23.11'), { cache });
    assert.match(lts.skip, /no build of DPDK v23\.11\.7 is cached and no DPDK git directory was given/);
    assert.match(lts.skip, /dpdk-build --tag v23\.11\.7 --git DIR/);
    assert.match(
      sourceBuild(findRelease('main'), { cache }).skip,
      /main runs only on a tree you give: --tree DIR/,
    );
    assert.equal(
      buildCommand(findRelease('26.07')),
      'node tools/matrix/cli.mjs dpdk-build --tag v26.07 --git DIR',
    );
  });

  it('selects its build for every process: the SDK, PATH, the loader and pkg-config', () => {
    const prefix = join(dir, 'prefix');
    mkdirSync(join(prefix, 'lib', 'x86_64-linux-gnu'), { recursive: true });
    const libdir = libdirOf(prefix);
    assert.equal(
      libdir,
      process.arch === 'x64' ? join(prefix, 'lib', 'x86_64-linux-gnu') : join(prefix, 'lib'),
    );
    const env = sourceEnv({ prefix }, { PATH: '/usr/bin', PKG_CONFIG_PATH: '' });
    assert.deepEqual(env, {
      DPDK_HOTPLUG_DPDK: prefix,
      PATH: `${prefix}/bin:/usr/bin`,
      LD_LIBRARY_PATH: libdir,
      PKG_CONFIG_PATH: `${libdir}/pkgconfig`,
    });
  });
});

describe("pmdinfo's comparison", () => {
  const a = { name: 'net_null', params: 'size=<int>', file: '/a/librte_net_null.so' };
  const b = { name: 'net_ring', params: 'nodeaction=<name>', file: '/a/librte_net_ring.so' };
  it('is equal when both read the same records, whatever the files and the key order', () => {
    const r = compareRecords([a, b], [{ params: 'size=<int>', name: 'net_null' }, b]);
    assert.deepEqual(r, { equal: true, ours: 2, theirs: 2, onlyOurs: [], onlyTheirs: [] });
  });
  it('names the records only one side has', () => {
    const r = compareRecords([a], [b]);
    assert.equal(r.equal, false);
    assert.deepEqual(r.onlyOurs, [JSON.stringify({ name: 'net_null', params: 'size=<int>' })]);
    assert.deepEqual(r.onlyTheirs, [JSON.stringify({ name: 'net_ring', params: 'nodeaction=<name>' })]);
  });
});
