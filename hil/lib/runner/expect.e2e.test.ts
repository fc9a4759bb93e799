/**
 * A lab that is red only on regressions, end to end on real DPDK: two runners of one net_ring
 * DUT each, certified side by side with `lab run`, one of them under conformance's seeded
 * defect (seeds/seed.c, LD_PRELOAD: every attach leaks a file descriptor, a regression no
 * expectations file lists), then merged with `lab merge`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { readExpectations, shippedExpectationsFor } from '@dpdk-hotplug/conformance/reports';
import { findDpdk } from '@dpdk-hotplug/ethdev';
import { afterAll, describe, expect, it } from 'vitest';
import { labProcess } from '../test-support/cli.js';

const work = mkdtempSync(join(tmpdir(), 'dphp-lab-expect-'));
afterAll(() => rmSync(work, { recursive: true, force: true, maxRetries: 3 }));
const root = process.getuid?.() === 0;
let dpdk: string | undefined;
try {
  dpdk = findDpdk().version;
} catch {}

/** conformance's seed library, built against the DPDK in use (as seeded.e2e.test.ts builds it). */
function buildSeed(): string {
  const conformance = dirname(
    createRequire(import.meta.url).resolve('@dpdk-hotplug/conformance/package.json'),
  );
  const lib = join(work, 'libdphp_seed.so');
  const pc = (flag: string) =>
    execFileSync('pkg-config', [flag, 'libdpdk'], { encoding: 'utf8' }).trim().split(/\s+/).filter(Boolean);
  execFileSync('cc', [
    '-O1',
    '-shared',
    '-fPIC',
    '-o',
    lib,
    join(conformance, 'seeds', 'seed.c'),
    ...pc('--cflags'),
    ...pc('--libs'),
    '-ldl',
  ]);
  return lib;
}

/** A temp folder of the run's own, as the seeded test gives each run. */
function tmpOf(name: string): string {
  const dir = join(work, `tmp-${name}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

describe('lab run and lab merge against expectations', () => {
  /**
   * Steps: an inventory of runners ra and rb, one net_ring DUT each; ra's DUT names its own
   * expectations file (net_ring's known findings on this DPDK, copied from the shipped file).
   * `lab run` both side by side (40 cycles): ra plainly, rb with --expect auto under the
   * fd-leak seed. Then `lab merge` of ra alone (with and without --expect auto), and of both.
   * Verify: ra's run exits 0 (every failure known, by its own file), rb's 1 (the seed's check 7
   * is a NEW FAIL); merged, ra alone exits 0 both ways, ra and rb exit 1; the merged junit.xml
   * has one suite per DUT, test cases of the class named after the DUT, and its <failure>s are
   * exactly the NEW FAILs, all rb's; the certificate page lists both runners.
   */
  it.skipIf(!root || !dpdk)(
    'exits 0 on known findings and 1 on a seeded regression',
    async () => {
      const seed = buildSeed();
      const known = join(work, 'ring-known.json');
      writeFileSync(
        known,
        JSON.stringify({
          expectations: readExpectations(shippedExpectationsFor(dpdk!)).filter((e) => e.pmd === 'net_ring'),
        }),
      );
      const inventory = join(work, 'lab.yaml');
      writeFileSync(
        inventory,
        [
          'version: 1',
          'runners:',
          '  - name: ra',
          '    duts:',
          '      - vdev: net_ring0',
          `        expectations: ${known}`,
          '  - name: rb',
          '    duts:',
          '      - vdev: net_ring0',
          '',
        ].join('\n'),
      );
      const common = ['--inventory', inventory, '--cycles', '40', '--workers', '1'];
      const [a, b] = await Promise.all([
        labProcess(['run', ...common, '--runner', 'ra', '--out', join(work, 'a')], { TMPDIR: tmpOf('a') }),
        labProcess(['run', ...common, '--runner', 'rb', '--out', join(work, 'b'), '--expect', 'auto'], {
          TMPDIR: tmpOf('b'),
          LD_PRELOAD: seed,
          DPHP_SEED: 'fd-leak',
        }),
      ]);
      expect(a.code, a.out.slice(-3000)).toBe(0);
      expect(b.code, b.out.slice(-3000)).toBe(1);
      expect(b.out).toMatch(/NEW FAIL +rb-net_ring0 check 7/);
      const record = JSON.parse(readFileSync(join(work, 'a', 'runner.json'), 'utf8'));
      expect(Object.keys(record.expectations)).toEqual(['ra-net_ring0']);

      const merge = (folders: string[], out: string, ...extra: string[]) =>
        labProcess(['merge', ...folders.map((f) => join(work, f)), '--out', join(work, out), ...extra]);
      const alone = await merge(['a'], 'm-a', '--expect', 'auto');
      expect(alone.code, alone.out).toBe(0);
      expect(alone.out).toMatch(/[1-9]\d* known failure\(s\)/);
      expect((await merge(['a'], 'm-a-own')).code).toBe(0);
      const both = await merge(['a', 'b'], 'm-ab', '--expect', 'auto');
      expect(both.code, both.out).toBe(1);
      expect(both.out).toMatch(/NEW FAIL +rb-net_ring0 check 7/);
      // Without --expect, rb's own `lab run --expect auto` (recorded in its folder) applies to rb.
      const rb = JSON.parse(readFileSync(join(work, 'b', 'runner.json'), 'utf8'));
      expect(rb.expect).toMatchObject({
        given: 'auto',
        files: [expect.stringMatching(/debian-12-dpdk-22\.11\.json$/)],
      });
      const inherited = await merge(['a', 'b'], 'm-ab-inherited');
      expect(inherited.code, inherited.out).toBe(1);
      expect(inherited.out).toContain('(lab run --expect auto of runner rb)');
      expect(inherited.out).toMatch(/NEW FAIL +rb-net_ring0 check 7/);

      const out = join(work, 'm-ab');
      const outcomes = JSON.parse(readFileSync(join(out, 'expectations.json'), 'utf8')) as {
        dut: string;
        check: number;
        outcome: string;
      }[];
      const fresh = outcomes.filter((o) => o.outcome === 'NEW FAIL');
      expect(fresh.map((o) => o.dut)).toEqual(fresh.map(() => 'rb-net_ring0'));
      expect(fresh.map((o) => o.check)).toContain(7);
      const junit = readFileSync(join(out, 'junit.xml'), 'utf8');
      expect([...junit.matchAll(/<testsuite name="([^"]+)"/g)].map((m) => m[1])).toEqual([
        'ra-net_ring0',
        'rb-net_ring0',
      ]);
      expect(new Set([...junit.matchAll(/<testcase classname="([^"]+)"/g)].map((m) => m[1]))).toEqual(
        new Set(['ra-net_ring0', 'rb-net_ring0']),
      );
      const failures = [
        ...junit.matchAll(/<testcase classname="([^"]+)" name="(\d+)\.[^>]*>\n\s*<failure /g),
      ];
      expect(failures.map((m) => `${m[1]} ${m[2]}`).sort()).toEqual(
        fresh.map((o) => `${o.dut} ${o.check}`).sort(),
      );
      expect(junit).toMatch(new RegExp(`<testsuites [^>]*failures="${fresh.length}"`));
      const page = readFileSync(join(out, 'certificate.html'), 'utf8');
      expect(page).toContain('<tr data-runner="ra">');
      expect(page).toContain('<tr data-runner="rb">');
    },
    600_000,
  );
});
