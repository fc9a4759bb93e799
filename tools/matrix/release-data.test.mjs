// releases.json: each command's part merged into one record per release, and its table.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { formatReleasesMarkdown, readReleaseData, updateReleaseData } from './release-data.mjs';
import { findRelease } from './releases.mjs';

const dir = mkdtempSync(join(tmpdir(), 'release-data-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const certify = (expectations) => ({
  exitCode: 1,
  dpdk: 'DPDK 26.07.0',
  verdicts: {
    net_null: { verdict: 'FAILED', notPassed: [7] },
    net_tap: { verdict: 'CERTIFIED', notPassed: [] },
  },
  expectations,
});

it('keeps each command’s part of a release, and says a skip until the release runs', () => {
  assert.deepEqual(readReleaseData(dir).releases, {});
  updateReleaseData(dir, findRelease('26.07'), { skipped: 'no build of DPDK v26.07 is cached' });
  assert.match(
    formatReleasesMarkdown(readReleaseData(dir)),
    /\| 26\.07 \| — \| skipped: no build of DPDK v26\.07/,
  );
  updateReleaseData(dir, findRelease('26.07'), {
    build: {
      version: '26.07.0',
      source: 'v26.07 of /srv/dpdk.git',
      seconds: { ninja: 1217.4 },
      bytes: { prefix: 30.3e6, build: 40.3e6 },
    },
    tests: [{ package: 'packages/ethdev', passed: 300, failed: 1, skipped: 2 }],
    pmdinfo: { equal: true, theirs: 21, source: { drivers: 40, detachable: 38 } },
  });
  updateReleaseData(dir, findRelease('26.07'), {
    certify: certify({ file: null, note: 'no shipped expectations for DPDK 26.07.0' }),
  });
  updateReleaseData(dir, findRelease('13'), {
    certify: { ...certify(undefined), args: ['--only', 'net_null,net_tap'] },
  });
  updateReleaseData(dir, findRelease('12'), {
    tests: [{ package: 'packages/linux', passed: 42, failed: 0, skipped: 0 }],
    certify: certify({
      file: 'debian-12-dpdk-22.11.json',
      outcomes: { PASS: 9, 'KNOWN FAIL': 1, FIXED: 1 },
      newFails: [],
    }),
  });
  updateReleaseData(dir, findRelease('26.07'), {
    tests: [{ package: 'packages/cli', passed: 12, failed: 0, skipped: 0 }],
  });
  const data = readReleaseData(dir);
  assert.deepEqual(
    data.releases['26.07'].tests.map((t) => t.package),
    ['packages/ethdev', 'packages/cli'],
  );
  const r = data.releases['26.07'];
  assert.equal(r.skipped, undefined);
  assert.equal(r.source, 'v26.07');
  assert.equal(r.tests[0].passed, 300);
  assert.equal(r.certify.verdicts.net_null.verdict, 'FAILED');
  assert.ok(r.certifyAt && r.testsAt);
  const table = formatReleasesMarkdown(data);
  assert.match(
    table,
    /^\| 13 \| 26\.07\.0 \| Debian \| {2}\| {2}\| {2}\| 1 F, 1 C \(--only net_null,net_tap\) \| not compared \|$/m,
  );
  const rows = table.split('\n').filter((l) => /^\| (12|26\.07) /.test(l));
  // Release order, not insertion order: 12 first.
  assert.match(
    rows[0],
    /^\| 12 \| .*\| Debian \| 42 \/ 0 \/ 0 \|.*1 F, 1 C \| debian-12-dpdk-22\.11\.json: 1 KNOWN FAIL, 1 FIXED \|$/,
  );
  assert.match(
    rows[1],
    /^\| 26\.07 \| 26\.07\.0 \| v26\.07: ninja 1217 s, prefix 30\.3 MB, build 40\.3 MB \| 312 \/ 1 \/ 2 \| equal \(21 records\) \| 40 drivers, 38 detachable \| 1 F, 1 C \| \*\*none shipped\*\* \|$/,
  );
});

it('names a tree build by its folder, not by this machine’s path', () => {
  const treeDir = mkdtempSync(join(tmpdir(), 'dphp-release-tree-'));
  try {
    updateReleaseData(treeDir, findRelease('26.07'), {
      build: {
        version: '26.11.0-rc0',
        source: '/var/cache/dpdk-hotplug/src/main-38f72e500b3b',
        seconds: { ninja: 3234 },
        bytes: { prefix: 24.7e6, build: 34.2e6 },
      },
    });
    const table = formatReleasesMarkdown(readReleaseData(treeDir));
    assert.match(table, /\| tree main-38f72e500b3b: ninja 3234 s,/);
    assert.doesNotMatch(table, /\/var\/cache/);
  } finally {
    rmSync(treeDir, { recursive: true, force: true });
  }
});
