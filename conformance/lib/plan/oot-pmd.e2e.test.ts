/**
 * End to end: `certify --driver` on the suite's own out-of-tree PMD (fixtures/oot-pmd, net_dphpfix),
 * built against a source-built DPDK with the driver SDK (tools/matrix dpdk-build). Skipped, saying
 * how to make one, when no such build is cached (a fresh clone, CI).
 *
 * Steps: build the fixture (defective and fixed variants); certify four DUTs of it — no defect,
 * defect=leak, defect=refuse, defect=socket — with the defective build and --expect the fixture's
 * expectations, then with the fixed build and the same expectations. Verify: with the defects,
 * each DUT's verdict and its first failing check are the ones its defect makes (leak: check 7
 * with ~64 KiB of DPDK heap per cycle; refuse: check 4 with EBUSY; socket: the re-attach of check
 * 2 with EADDRINUSE), the defect-free DUT is certified, and every failure is a KNOWN FAIL (exit 0);
 * with the fixed build the same DUTs are certified and every expected failure reads FIXED.
 * Crash, hang and stay are certified the same way in the README's run (a hang costs minutes).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../model/summary.js';
import type { ExpectationResult } from '../reports/expectations.js';

const CACHE = process.env.DPDK_HOTPLUG_DPDK_CACHE ?? '/var/cache/dpdk-hotplug';
const fixtures = fileURLToPath(new URL('../../fixtures/oot-pmd/', import.meta.url));
const cli = fileURLToPath(new URL('../../bin/certify.mjs', import.meta.url));

/** The newest cached dpdk-build with the driver SDK. */
function sdkBuild(): { prefix: string; version: string } | undefined {
  const root = join(CACHE, 'dpdk');
  if (!existsSync(root)) return undefined;
  return readdirSync(root)
    .map((k) => join(root, k, 'stamp.json'))
    .filter((f) => existsSync(f))
    .map(
      (f) =>
        JSON.parse(readFileSync(f, 'utf8')) as {
          prefix: string;
          version: string;
          date: string;
          options: string[];
        },
    )
    .filter((s) => s.options.includes('-Denable_driver_sdk=true') && s.version.startsWith('23.11'))
    .sort((a, b) => b.date.localeCompare(a.date))[0];
}

const build = process.getuid?.() === 0 ? sdkBuild() : undefined;
const why =
  process.getuid?.() !== 0
    ? 'needs root'
    : `no DPDK 23.11 source build with the driver SDK in ${CACHE}/dpdk: make one with \`node tools/matrix/cli.mjs dpdk-build --tag v23.11.7 --git DPDK_GIT_DIR\``;
if (!build) console.warn(`oot-pmd.e2e.test.ts skipped: ${why}`);

const DUTS = [
  'net_dphpfix0',
  'net_dphpfix1,defect=leak',
  'net_dphpfix2,defect=refuse',
  'net_dphpfix5,defect=socket,socket={dir}/fix.sock',
];

function certify(driver: string, out: string) {
  const r = spawnSync(
    process.execPath,
    [
      cli,
      'certify',
      '--dpdk',
      build!.prefix,
      '--driver',
      driver,
      ...DUTS.flatMap((d) => ['--dut', d]),
      '--traffic',
      'loopback',
      '--cycles',
      '60',
      '--expect',
      join(fixtures, 'expectations.json'),
      '--out',
      out,
    ],
    { encoding: 'utf8', timeout: 600_000 },
  );
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as RunSummary;
  const results = JSON.parse(readFileSync(join(out, 'expectations.json'), 'utf8')) as ExpectationResult[];
  const dut = (name: string) => summary.duts.find((d) => d.name === name)!;
  const failed = (name: string) =>
    dut(name)
      .checks.filter((c) => c.status === 'FAIL' && (c.fault ?? 'pmd') === 'pmd')
      .map((c) => c.id);
  return { r, dut, failed, results };
}

describe.skipIf(!build)(`net_dphpfix, an out-of-tree PMD, certified (${build?.version ?? why})`, () => {
  it('names each defect, KNOWN FAIL with its build and FIXED without', () => {
    const fixture = JSON.parse(
      execFileSync(process.execPath, [join(fixtures, 'build.mjs'), '--dpdk', build!.prefix, '--json'], {
        encoding: 'utf8',
      }),
    ) as { defective: string; fixed: string };
    const out = mkdtempSync(join(tmpdir(), 'dphp-oot-'));
    try {
      const bad = certify(fixture.defective, join(out, 'defective'));
      expect(bad.r.status, bad.r.stdout + bad.r.stderr).toBe(0); // every failure is a KNOWN FAIL
      expect(bad.dut('net_dphpfix0').verdict).toMatch(/^CERTIFIED/);
      expect(bad.failed('net_dphpfix0')).toEqual([]);
      expect(bad.failed('net_dphpfix1')).toEqual([7]);
      const leak = bad.dut('net_dphpfix1').checks.find((c) => c.id === 7)!.reason!;
      const perCycle = Number(/dpdkHeapBytes grows (\d+) per cycle/.exec(leak)?.[1]);
      expect(perCycle).toBeGreaterThanOrEqual(64 * 1024);
      expect(perCycle).toBeLessThan(64 * 1024 + 1024);
      expect(bad.failed('net_dphpfix2')[0]).toBe(4);
      expect(bad.dut('net_dphpfix2').checks.find((c) => c.id === 4)!.reason).toMatch(/EBUSY/);
      expect(bad.failed('net_dphpfix5')[0]).toBe(2);
      expect(bad.dut('net_dphpfix5').checks.find((c) => c.id === 2)!.reason).toMatch(
        /Address already in use/,
      );
      for (const name of ['net_dphpfix1', 'net_dphpfix2', 'net_dphpfix5'])
        expect(bad.dut(name).verdict).toBe('FAILED');
      expect(bad.results.filter((x) => x.outcome === 'NEW FAIL')).toEqual([]);
      expect(bad.results.filter((x) => x.outcome === 'KNOWN FAIL').length).toBeGreaterThanOrEqual(10);

      const good = certify(fixture.fixed, join(out, 'fixed'));
      expect(good.r.status, good.r.stdout + good.r.stderr).toBe(0);
      for (const d of DUTS) {
        const name = d.split(',')[0]!;
        expect(good.failed(name), name).toEqual([]);
        expect(good.dut(name).verdict).toMatch(/^CERTIFIED/);
      }
      const fixedOnes = good.results.filter((x) => x.outcome === 'FIXED').map((x) => `${x.dut}:${x.check}`);
      const knownBefore = bad.results
        .filter((x) => x.outcome === 'KNOWN FAIL')
        .map((x) => `${x.dut}:${x.check}`);
      expect(fixedOnes).toEqual(expect.arrayContaining(knownBefore));
      expect(good.results.filter((x) => x.outcome === 'KNOWN FAIL' || x.outcome === 'NEW FAIL')).toEqual([]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 1_200_000);

  it('a port that cannot start still gets its cycles, and check 7 judges them (nostart=1)', () => {
    const fixture = JSON.parse(
      execFileSync(process.execPath, [join(fixtures, 'build.mjs'), '--dpdk', build!.prefix, '--json'], {
        encoding: 'utf8',
      }),
    ) as { defective: string };
    const out = mkdtempSync(join(tmpdir(), 'dphp-oot-nostart-'));
    try {
      spawnSync(
        process.execPath,
        [
          cli,
          'certify',
          '--dpdk',
          build!.prefix,
          '--driver',
          fixture.defective,
          '--dut',
          'net_dphpfix7,defect=leak,nostart=1',
          '--dut',
          'net_dphpfix8,nostart=1',
          '--traffic',
          'loopback',
          '--cycles',
          '20',
          '--out',
          out,
        ],
        { encoding: 'utf8', timeout: 600_000 },
      );
      const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as RunSummary;
      const check = (dut: string, id: number) =>
        summary.duts.find((d) => d.name === dut)!.checks.find((c) => c.id === id)!;
      for (const dut of ['net_dphpfix7', 'net_dphpfix8']) {
        // Check 6 fails on the start and still runs its 20 cycles, as attach/close/detach.
        expect(check(dut, 6).status).toBe('FAIL');
        expect(check(dut, 6).reason).toMatch(
          /^cycle 0: DpdkError: Port \d+ \(net_dphpfix\d\): start failed with EIO; the cycles went on as attach\/close\/detach$/,
        );
        expect(check(dut, 6).notes.join('\n')).toMatch(
          /20 of 20 cycles .*, 20 of them attach\/close\/detach only/,
        );
      }
      // Check 7 judges them instead of skipping: the leak is seen, its absence too.
      expect(check('net_dphpfix7', 7).status).toBe('FAIL');
      const perCycle = Number(
        /dpdkHeapBytes grows (\d+) per cycle/.exec(check('net_dphpfix7', 7).reason ?? '')?.[1],
      );
      expect(perCycle).toBeGreaterThanOrEqual(64 * 1024);
      expect(check('net_dphpfix8', 7).status, check('net_dphpfix8', 7).reason).toBe('PASS');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 900_000);
});
