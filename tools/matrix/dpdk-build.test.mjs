import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { buildKey, DRIVERS, driverPaths, mesonOptions, resolveSource, treeVersion } from './dpdk-build.mjs';

const dir = mkdtempSync(join(tmpdir(), 'dpdk-build-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in tree with VERSION, meson.build and the given driver folders. */
function fakeTree(name, version, driverDirs) {
  const tree = join(dir, name);
  mkdirSync(tree, { recursive: true });
  for (const d of driverDirs) mkdirSync(join(tree, 'drivers', d), { recursive: true });
  writeFileSync(join(tree, 'VERSION'), `${version}\n`);
  writeFileSync(join(tree, 'meson.build'), '');
  return tree;
}

describe('dpdk-build', () => {
  it("maps Intel's drivers to net/intel/ where the tree moved them (25.07)", () => {
    const old = fakeTree('old', '23.11.7', DRIVERS);
    const moved = fakeTree('new', '26.07.0', [
      ...DRIVERS.filter((d) => d !== 'net/e1000'),
      'net/intel/e1000',
    ]);
    assert.ok(driverPaths(old).includes('net/e1000'));
    assert.ok(driverPaths(moved).includes('net/intel/e1000'));
    assert.ok(!driverPaths(moved).includes('net/e1000'));
    const options = mesonOptions(old);
    assert.ok(options.includes('-Denable_driver_sdk=true'));
    assert.ok(options.includes('-Denable_apps=test-pmd'));
    assert.ok(options.includes('-Dtests=false'));
    // A reduced build (certify --bisect): its drivers only, no app and no optional library.
    const reduced = mesonOptions(moved, { drivers: ['bus/vdev', 'net/e1000'], apps: [] });
    assert.ok(reduced.includes('-Denable_drivers=bus/vdev,net/intel/e1000'));
    assert.ok(reduced.includes('-Ddisable_apps=*'));
    assert.ok(!reduced.some((o) => o.startsWith('-Denable_apps')));
  });

  it('keys a build by version, commit and options', () => {
    const a = buildKey({ version: '23.11.7', commit: 'abc', options: ['-Dx=1'] });
    assert.match(a, /^23\.11\.7-[0-9a-f]{10}$/);
    assert.equal(a, buildKey({ version: '23.11.7', commit: 'abc', options: ['-Dx=1'] }));
    assert.notEqual(a, buildKey({ version: '23.11.7', commit: 'abd', options: ['-Dx=1'] }));
    assert.notEqual(a, buildKey({ version: '23.11.7', commit: 'abc', options: ['-Dx=2'] }));
  });

  it('refuses a folder that is not a DPDK tree, and needs a git directory for a tag', () => {
    mkdirSync(join(dir, 'empty'));
    assert.throws(() => treeVersion(join(dir, 'empty')), /not a DPDK source tree/);
    assert.throws(() => resolveSource({ tag: 'v23.11' }, dir), /--tag needs --git DIR/);
    assert.throws(() => resolveSource({}, dir), /give one of --tree/);
    const plain = fakeTree('plain', '24.11.1', []);
    assert.deepEqual(resolveSource({ tree: plain }, dir), {
      tree: plain,
      commit: `path:${plain}`,
      source: plain,
    });
  });
});
