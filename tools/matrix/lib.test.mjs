import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  cacheKey,
  enterScript,
  formatBenchMarkdown,
  formatCertifyMarkdown,
  formatMarkdown,
  formatTable,
  mirrorFromSources,
  nodeTestCounts,
  vitestCounts,
} from './lib.mjs';
import { findRelease, RELEASES } from './releases.mjs';

test('mirror: the first Debian archive in one-line or deb822 sources, not security', () => {
  const deb822 = `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security`;
  assert.equal(mirrorFromSources([deb822]), 'http://deb.debian.org/debian');
  const security = 'deb http://security.debian.org/debian-security bookworm-security main';
  const oneLine = 'deb [arch=amd64] http://ftp.fr.debian.org/debian/ bookworm main';
  assert.equal(mirrorFromSources([security, oneLine]), 'http://ftp.fr.debian.org/debian');
  assert.equal(mirrorFromSources(['deb https://packages.cloud.google.com/apt cloud-sdk main']), null);
});

test('cache key: package order does not matter; suite, mirror, packages and apt options do', () => {
  const base = {
    suite: 'trixie',
    mirror: 'http://deb.debian.org/debian',
    packages: ['dpdk', 'nodejs', 'gcc'],
    aptOptions: [],
  };
  const key = cacheKey(base);
  assert.match(key, /^[0-9a-f]{16}$/);
  assert.equal(cacheKey({ ...base, packages: ['gcc', 'dpdk', 'nodejs', 'gcc'] }), key);
  assert.notEqual(cacheKey({ ...base, suite: 'sid' }), key);
  assert.notEqual(cacheKey({ ...base, mirror: 'http://ftp.de.debian.org/debian' }), key);
  assert.notEqual(cacheKey({ ...base, packages: [...base.packages, 'npm'] }), key);
  assert.notEqual(cacheKey({ ...base, aptOptions: ['-o', 'Acquire::Check-Valid-Until=false'] }), key);
});

test('releases: 12 is the host, 13 and sid are chroots with their own libpcap and apt options', () => {
  assert.deepEqual(
    RELEASES.map((r) => [r.id, r.suite, r.host]),
    [
      ['12', 'bookworm', true],
      ['13', 'trixie', false],
      ['sid', 'sid', false],
    ],
  );
  assert.equal(findRelease('trixie').id, '13');
  assert.equal(findRelease('unstable').id, 'sid');
  assert.ok(findRelease('13').packages.includes('libpcap0.8t64'));
  assert.ok(findRelease('12').packages.includes('libpcap0.8'));
  assert.deepEqual(findRelease('sid').aptOptions, ['-o', 'Acquire::Check-Valid-Until=false']);
  assert.throws(() => findRelease('11'), /unknown release "11": one of 12 \(bookworm\), 13 \(trixie\), sid/);
});

test('enter script: every mount lands inside the root, then chroot with a clean environment', () => {
  const root = '/var/cache/m/sid/rootfs';
  const script = enterScript({
    root,
    command: 'node --version',
    binds: [['/var/cache/m/sid/work', '/srv/x']],
    env: { PATH: '/usr/bin:/bin', A: "it's" },
    cwd: '/srv/x',
  });
  const lines = script.split('\n');
  for (const line of lines.filter((l) => l.startsWith('mount ') && !l.includes('--make-rprivate'))) {
    assert.match(line.split(' ').at(-1), /^'\/var\/cache\/m\/sid\/rootfs(\/|'$)/, line);
  }
  // The root itself is bound first, so the chroot's / is a mount point (ip netns needs it).
  assert.equal(
    lines.find((l) => l.startsWith('mount ') && !l.includes('--make-rprivate')),
    `mount --bind '${root}' '${root}'`,
  );
  assert.ok(lines.includes(`mount --rbind /dev '${root}/dev'`));
  assert.ok(lines.includes(`mount --bind '/var/cache/m/sid/work' '${root}/srv/x'`));
  assert.match(
    lines.at(-1),
    /^exec chroot '\/var\/cache\/m\/sid\/rootfs' \/usr\/bin\/env -i 'PATH=\/usr\/bin:\/bin' 'A=it'\\''s'/,
  );
  assert.equal(lines[0], 'set -e');
});

const row = (over) => ({
  release: '13',
  suite: 'trixie',
  dpdk: '24.11.8',
  node: 'v20.19.2',
  package: 'packages/linux',
  passed: 120,
  failed: 0,
  skipped: 3,
  status: 'passed',
  ...over,
});

test('table: aligned columns, numbers right-aligned, PASS / FAIL / ERROR', () => {
  const table = formatTable([
    row(),
    row({ package: 'packages/ethdev', passed: 0, failed: 12, skipped: 0, failedFiles: 5, status: 'failed' }),
    row({ release: 'sid', suite: 'sid', dpdk: '', node: '', package: 'packages/linux', status: 'error' }),
  ]);
  assert.equal(
    table,
    [
      'release      DPDK     Node      package          passed  failed  skipped  files failed  result',
      '-----------  -------  --------  ---------------  ------  ------  -------  ------------  ------',
      '13 (trixie)  24.11.8  v20.19.2  packages/linux      120       0        3             0  PASS',
      '13 (trixie)  24.11.8  v20.19.2  packages/ethdev       0      12        0             5  FAIL',
      'sid (sid)                       packages/linux      120       0        3             0  ERROR',
    ].join('\n'),
  );
});

test('markdown: one row per release × package and what failed below, pipes escaped', () => {
  const md = formatMarkdown(
    [
      row(),
      row({
        package: 'packages/ethdev',
        passed: 1,
        failed: 2,
        failedFiles: 1,
        status: 'failed',
        note: 'build failed',
        failures: ['a | b: librte_eal.so.23: cannot open'],
      }),
    ],
    { when: 'today' },
  );
  assert.match(md, /^# Release matrix\n\ntoday\n\n\| release \| DPDK/);
  assert.match(
    md,
    /\| 13 \(trixie\) \| 24\.11\.8 \| v20\.19\.2 \| packages\/linux \| 120 \| 0 \| 3 \| 0 \| PASS \|/,
  );
  assert.match(md, /\| packages\/ethdev \| 1 \| 2 \| 3 \| 1 \| \*\*FAIL\*\* \|/);
  assert.match(
    md,
    /- \*\*13 packages\/ethdev\*\*: build failed\n {2}- a \\\| b: librte_eal\.so\.23: cannot open/,
  );
});

test('vitest JSON: passed, failed, skipped (todo and pending too), files failed at import or in a hook', () => {
  const counts = vitestCounts({
    testResults: [
      {
        name: '/srv/x/packages/ethdev/lib/eal-once.test.ts',
        status: 'failed',
        message: 'Failed to load librte_eal.so.23\nstack',
        assertionResults: [],
      },
      {
        name: '/srv/x/packages/ethdev/lib/hotplug.test.ts',
        status: 'failed',
        message: 'DPDK libraries could not be loaded',
        assertionResults: [
          { fullName: 'h1', status: 'skipped' },
          { fullName: 'h2', status: 'skipped' },
        ],
      },
      {
        name: '/srv/x/packages/ethdev/lib/devargs.test.ts',
        status: 'failed',
        assertionResults: [
          { fullName: 'a', status: 'passed' },
          { fullName: 'b', status: 'failed', failureMessages: ['expected 1\n at'] },
          { fullName: 'c', status: 'skipped' },
          { fullName: 'd', status: 'todo' },
          { fullName: 'e', status: 'pending' },
        ],
      },
      {
        name: '/srv/x/packages/ethdev/lib/ok.test.ts',
        status: 'passed',
        assertionResults: [{ status: 'passed' }],
      },
    ],
  });
  assert.deepEqual(counts, {
    passed: 2,
    failed: 2,
    skipped: 5,
    failedFiles: 3,
    failures: [
      'packages/ethdev/lib/eal-once.test.ts (file failed): Failed to load librte_eal.so.23',
      'packages/ethdev/lib/hotplug.test.ts (file failed, 2 of its tests skipped): DPDK libraries could not be loaded',
      'b: expected 1',
    ],
  });
});

test("node:test's counters, TAP and spec, with nx's prefix", () => {
  const tap = 'not ok 2 - refuses\n# pass 3\n# fail 1\n# skipped 2\n# todo 1\n';
  assert.deepEqual(nodeTestCounts(tap), { passed: 3, failed: 1, skipped: 3, failures: ['refuses'] });
  const spec = 'tools: ℹ pass 7\ntools: ℹ fail 0\ntools: ℹ skipped 0\n';
  assert.deepEqual(nodeTestCounts(spec), { passed: 7, failed: 0, skipped: 0, failures: [] });
});

test('certify table: DUT × release, the verdict and the checks that did not pass, whose, and an error row', () => {
  const dut = (name, verdict, checks) => ({ name, verdict, dpdkVersion: 'DPDK 24.11.8', checks });
  const runs = [
    {
      release: findRelease('13'),
      summary: {
        duts: [
          dut('net_null', 'FAILED', [
            { id: 6, status: 'PASS' },
            { id: 7, status: 'FAIL' },
            { id: 11, status: 'FAIL', fault: 'pmd' },
          ]),
          dut('net_pcap-files', 'INCONCLUSIVE', [
            { id: 7, status: 'FAIL', fault: 'suite' },
            { id: 14, status: 'SKIP' },
          ]),
        ],
      },
    },
    { release: findRelease('sid'), error: 'no summary (see reports/matrix/sid)', outcome: {} },
  ];
  const md = formatCertifyMarkdown(runs, { when: 'now' }).split('\n');
  assert.deepEqual(md.slice(4, 8), [
    '| DUT | 13 (24.11.8) | sid (?) |',
    '|---|---|---|',
    '| net_null | **FAILED**: 7, 11 | ERROR |',
    '| net_pcap-files | INCONCLUSIVE: 7(suite), 14 skip | ERROR |',
  ]);
  assert.ok(md.includes('- **sid**: no summary (see reports/matrix/sid)'));
});

test("the bench per release: ratios to the same release's C, CPU beside, errors listed", () => {
  const f = (dpdk, sync) => ({
    dpdk,
    node: 'v20.19.2',
    hotplug: {
      c: { usPerCycle: 14.3, vsC: 1, cpuVsC: 1 },
      floor: { usPerCycle: 18, vsC: 1.24, cpuVsC: 1.26 },
      sync: { usPerCycle: 21, vsC: sync, cpuVsC: 1.59 },
    },
    hotplugRuns: {
      'net_null0@20000': {
        c: { cpuUsPerCycle: 2.05, dpdkHeapGrowthBytes: 196608 },
        floor: { cpuUsPerCycle: 3.48 },
        sync: {
          cpuUsPerCycle: 4.98,
          vsFloor: 1.72,
          cpuVsFloor: 1.53,
          vsC: sync,
          cpuVsC: 2.46,
          dpdkHeapGrowthBytes: 0,
          heapGrowthBytes: -230400,
        },
        async: {
          cpuUsPerCycle: 50,
          vsSync: 11.2,
          cpuVsSync: 10.04,
          dpdkHeapGrowthBytes: 0,
          heapGrowthBytes: 15360,
        },
        asyncEmpty: { cpuUsPerCycle: 20.7 },
      },
    },
    dpdkHeap: {
      net_null0: { cBytesPerCycle: 384, sdkBytesPerCycle: 384 },
      net_ring0: { cBytesPerCycle: 0, sdkBytesPerCycle: 0 },
    },
    bursts: { net_ring0: { packed: { vsC: 1.5, cpuVsC: 1.52 } } },
    eventLoop: {
      lifecycle: {
        worstGapMs: 13.01,
        idleWorstGapMs: 9.5,
        excessMs: 3.51,
        bestRoundWorstGapMs: 7.65,
        bestRoundIdleWorstGapMs: 5.49,
        rounds: [{ worstGapMs: 13.01, idleWorstGapMs: 9.5 }],
      },
    },
  });
  const md = formatBenchMarkdown(
    [
      { release: findRelease('12'), figures: f('22.11.11', 1.49) },
      { release: findRelease('13'), figures: f('24.11.8', 1.6) },
      { release: findRelease('sid'), error: 'no figures (see reports/matrix/sid/bench)' },
    ],
    { when: 'now' },
  ).split('\n');
  assert.equal(md[4], '| row | 12 (22.11.11, Node v20.19.2) | 13 (24.11.8, Node v20.19.2) |');
  assert.ok(md.includes('| SDK attachSync/detachSync | 1.49× (1.59×) | 1.60× (1.59×) |'));
  assert.ok(md.includes('| SDK attach/detach (async) | — | — |'));
  assert.ok(md.includes('| event loop, whole contract on net_tap: worst gap less idle | 3.5 ms | 3.5 ms |'));
  // Issue 25's table: a row per release and length, wall / CPU ratios, each side's heap growth.
  assert.ok(
    md.includes(
      '| 12 (22.11.11, Node 20.19.2) | net_null0@20000 | 2.05 | 3.48 | 4.98 | 50.00 | 1.72× / 1.53× | 1.49× / 2.46× | 11.20× / 10.04× | 20.70 | 192 / 0 / 0 | -225 / 15 |',
    ),
  );
  assert.ok(md.includes('| 13 (24.11.8, Node 20.19.2) | 384 / 384 | 0 / 0 |'));
  assert.ok(
    md.includes(
      '| 13 (24.11.8, Node 20.19.2) | attach → configure → start → stop → close → detach | 13.0 | 9.5 | 3.5 | 7.7 / 5.5 | 13.0/9.5 |',
    ),
  );
  assert.ok(
    md.includes('| 12 (22.11.11, Node 20.19.2) | attach → close → detach | — | — | — | — / — | not run |'),
  );
  assert.ok(md.includes('- **sid**: no figures (see reports/matrix/sid/bench)'));
});
