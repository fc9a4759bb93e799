// nx's cache key for the DPDK in use (nx.json namedInputs.dpdk): the line nx hashes changes with
// the DPDK's version, its prefix, DPDK_HOTPLUG_DPDK and the user, so a changed DPDK is a cache miss.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const script = new URL('./nx-dpdk-key.sh', import.meta.url).pathname;
const key = (env = {}) =>
  execFileSync('sh', [script], {
    encoding: 'utf8',
    env: { ...process.env, DPDK_HOTPLUG_DPDK: '', ...env },
  }).trim();
const pc = (flag) => execFileSync('pkg-config', [flag, 'libdpdk'], { encoding: 'utf8' }).trim();

test("pkg-config's DPDK: its version, its prefix and the user", () => {
  assert.equal(
    key(),
    `DPDK ${pc('--modversion')} at ${pc('--variable=prefix')} (DPDK_HOTPLUG_DPDK=) uid ${process.getuid()}`,
  );
});

test("DPDK_HOTPLUG_DPDK's prefix: that DPDK's version and prefix, not pkg-config's", () => {
  const prefix = mkdtempSync(join(tmpdir(), 'dphp-nx-key-'));
  try {
    const dir = join(prefix, 'lib', 'x86_64-linux-gnu', 'pkgconfig');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'libdpdk.pc'),
      `prefix=${prefix}\nName: DPDK\nDescription: x\nVersion: 25.11.4\n`,
    );
    assert.equal(
      key({ DPDK_HOTPLUG_DPDK: prefix }),
      `DPDK 25.11.4 at ${prefix} (DPDK_HOTPLUG_DPDK=${prefix}) uid ${process.getuid()}`,
    );
  } finally {
    rmSync(prefix, { recursive: true, force: true });
  }
});

test('nx.json: build and test hash that key (and the variables that choose the DPDK)', () => {
  const nx = JSON.parse(readFileSync(new URL('../../nx.json', import.meta.url), 'utf8'));
  assert.deepEqual(nx.namedInputs.dpdk, [
    { runtime: 'sh tools/lib/nx-dpdk-key.sh' },
    { env: 'DPDK_HOTPLUG_DPDK' },
    { env: 'PKG_CONFIG_PATH' },
  ]);
  for (const target of ['build', 'test'])
    assert.ok(nx.targetDefaults[target].inputs.includes('dpdk'), target);
});
