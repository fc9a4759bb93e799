import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { planFromArgs } from '../plan/cli.js';
import {
  compare,
  ExpectationsError,
  expectedFindings,
  expectFiles,
  judgeAgainst,
  ownExpectations,
  readExpectations,
  regressionExitCode,
  shippedExpectationsFor,
  validateExpectations,
} from './expectations.js';
import { junitXml } from './junit.js';
import type { CheckResult, DutSummary, RunSummary } from '../model/summary.js';
import { check, dutOf } from '../test-support/results.js';

const run = (...duts: DutSummary[]): RunSummary => ({
  startedAt: 't',
  status: 'failed',
  checksPlanned: 15,
  duts,
});
const dut = (name: string, pmd: string, checks: CheckResult[]) => dutOf(name, pmd, checks);

describe('expectations', () => {
  const list = validateExpectations({
    expectations: [
      {
        pmd: 'net_null',
        dpdk: '22.11',
        check: 7,
        reason: 'a dummy packet per queue',
        link: 'https://bugs.dpdk.org/x',
      },
      { pmd: 'net_null', dpdk: '22.11', check: 11, reason: 'bare -1' },
    ],
  });

  it('sorts each check into NEW FAIL, KNOWN FAIL, FIXED or PASS; the exit code is about regressions', () => {
    const results = compare(
      run(
        dut('net_null', 'net_null', [
          check(1, 'PASS'),
          check(7, 'FAIL'),
          check(11, 'PASS'),
          check(2, 'FAIL'),
        ]),
      ),
      list,
    );
    expect(results.map((r) => [r.check, r.outcome])).toEqual([
      [1, 'PASS'],
      [7, 'KNOWN FAIL'],
      [11, 'FIXED'],
      [2, 'NEW FAIL'],
    ]);
    expect(results[1]!.expected).toEqual({
      reason: 'a dummy packet per queue',
      link: 'https://bugs.dpdk.org/x',
    });
    expect(regressionExitCode(results)).toBe(1);
    expect(regressionExitCode(results.filter((r) => r.check !== 2))).toBe(0);
  });

  it('matches the DPDK version by prefix and the PMD, never another version or PMD', () => {
    const other = { ...dut('net_null', 'net_null', [check(7, 'FAIL')]), dpdkVersion: 'DPDK 24.11.3' };
    expect(compare(run(other), list)[0]!.outcome).toBe('NEW FAIL');
    expect(compare(run(dut('net_ring', 'net_ring', [check(7, 'FAIL')])), list)[0]!.outcome).toBe('NEW FAIL');
  });

  /**
   * Steps: a DUT with its own expectations file (an inventory DUT's), one without; the same
   * failure on both; an INCONCLUSIVE DUT beside known failures only.
   * Verify: the own entries apply to their DUT only; the exit code is 1 for a NEW FAIL, 3 when
   * none is new but a DUT could not be judged, 0 when every failure is known.
   */
  it("applies a DUT's own expectations to it alone; exit 1 on a NEW FAIL, 3 on INCONCLUSIVE, else 0", () => {
    const dir = mkdtempSync(join(tmpdir(), 'dphp-own-'));
    try {
      const file = join(dir, 'ring.json');
      writeFileSync(
        file,
        JSON.stringify({
          expectations: [{ pmd: 'net_ring', dpdk: '22.11', check: 5, reason: 'kept mbufs' }],
        }),
      );
      const own = ownExpectations([{ name: 'a-ring', expectations: file }, { name: 'b-ring' }]);
      expect(Object.keys(own)).toEqual(['a-ring']);
      const ring = (name: string) => dut(name, 'net_ring', [check(5, 'FAIL')]);
      const results = compare(run(ring('a-ring'), ring('b-ring')), [], own);
      expect(results.map((r) => [r.dut, r.outcome])).toEqual([
        ['a-ring', 'KNOWN FAIL'],
        ['b-ring', 'NEW FAIL'],
      ]);
      expect(regressionExitCode(results)).toBe(1);
      const unsure = { ...dut('c', 'net_tap', [check(1, 'PASS')]), verdict: 'INCONCLUSIVE' as const };
      expect(regressionExitCode(results.slice(0, 1), [ring('a-ring'), unsure])).toBe(3);
      expect(regressionExitCode(results.slice(0, 1), [ring('a-ring')])).toBe(0);
      // Nothing to compare with: no --expect, no DUT's own file.
      expect(expectedFindings(undefined, ['22.11.11'], {})).toBeUndefined();
      expect(expectedFindings(undefined, ['22.11.11'], own)).toEqual({ files: [], list: [], own });
      // auto over runners of two DPDKs: each one's shipped file, once.
      expect(expectFiles('auto', ['DPDK 22.11.11', '22.11.4', '24.11.8']).map((f) => basename(f))).toEqual([
        'debian-12-dpdk-22.11.json',
        'debian-13-dpdk-24.11.json',
      ]);
      // judgeAgainst writes the outcome and a JUnit whose only failure is the NEW FAIL.
      const judged = judgeAgainst(dir, run(ring('a-ring'), ring('b-ring')), { files: [], list: [], own });
      expect(judged.code).toBe(1);
      expect(judged.lines[0]).toBe('against the own expectations of a-ring:');
      const junit = readFileSync(join(dir, 'junit.xml'), 'utf8');
      expect(junit).toMatch(/<testsuites [^>]*tests="2" failures="1" errors="0" skipped="1"/);
      expect(readFileSync(join(dir, 'expectations.md'), 'utf8')).toContain('| b-ring | 5 | **NEW FAIL** |');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  /**
   * Steps: one DUT per kind of result: a required PMD failure, an advisory one, the environment's,
   * DPDK's core, a skip, a required check that did not run, a DUT never run.
   * Verify: one suite per DUT, each test case's class the DUT's name; <failure> only for the
   * required PMD failure; <error> for what could not be judged; advisory findings are passed
   * cases that say so; against expectations, a KNOWN FAIL is skipped and only NEW FAILs fail.
   */
  it('writes JUnit with a class per DUT, and failures only where the verdict or a regression is', () => {
    const duts = [
      {
        ...dut('null-a', 'net_null', [check(7, 'FAIL', { reason: 'heap grows' })]),
        verdict: 'FAILED' as const,
      },
      {
        ...dut('tap-b', 'net_tap', [
          check(1, 'PASS'),
          check(10, 'FAIL', { reason: 'bare -1', class: 'advisory' }),
          check(11, 'FAIL', { fault: 'dpdk', reason: 'core' }),
          check(12, 'SKIP', { reason: 'no peer' }),
        ]),
        verdict: 'CERTIFIED WITH WARNINGS' as const,
      },
      {
        ...dut('xdp-c', 'net_af_xdp', [check(2, 'FAIL', { fault: 'environment', reason: 'no BPF' })]),
        planned: [2, 3],
        verdict: 'INCONCLUSIVE' as const,
      },
      {
        ...dut('gone-d', 'net_ring', []),
        verdict: 'INCONCLUSIVE' as const,
        verdictReasons: ['not run: runner x'],
      },
    ];
    const xml = junitXml(run(...duts));
    expect(xml).toMatch(/<testsuites [^>]*tests="8" failures="1" errors="3" skipped="1"/);
    expect([...xml.matchAll(/<testsuite name="([^"]+)"/g)].map((m) => m[1])).toEqual([
      'null-a',
      'tap-b',
      'xdp-c',
      'gone-d',
    ]);
    for (const m of xml.matchAll(/<testcase classname="([^"]+)"/g))
      expect(duts.map((d) => d.name)).toContain(m[1]);
    expect(xml).toContain(
      '<testcase classname="null-a" name="7. check" time="0.001">\n      <failure type="required" message="heap grows"/>',
    );
    expect(xml).toContain('<system-out>advisory finding: bare -1</system-out>');
    expect(xml).toContain('<error type="environment" message="could not be judged (environment): no BPF"/>');
    expect(xml).toContain('<error type="not run" message="not run: runner x"/>');
    const against = junitXml(
      run(...duts),
      compare(run(...duts), [{ pmd: 'net_null', dpdk: '22.11', check: 7, reason: 'known leak' }]),
    );
    // The known leak is skipped; the advisory finding no file lists is now a NEW FAIL.
    expect(against).toMatch(/<testsuites [^>]*tests="8" failures="1" errors="3" skipped="2"/);
    expect(against).toContain('<skipped message="KNOWN FAIL: heap grows (expected: known leak)"/>');
    expect(against).toContain('<failure type="NEW FAIL" message="bare -1"/>');
  });

  it('a failure that is not the PMD’s is no regression', () => {
    const results = compare(run(dut('x', 'net_af_xdp', [check(2, 'FAIL', { fault: 'environment' })])), list);
    expect(results[0]!.outcome).toBe('PASS');
  });

  it('refuses a malformed file with the entry and field', () => {
    const bad = (e: unknown) => () => validateExpectations({ expectations: [e] }, 'f.json');
    expect(bad({ pmd: 'net_null', dpdk: '22.11', check: 99, reason: 'x' })).toThrow(
      'f.json: expectations[0].check: there is no check 99',
    );
    expect(bad({ pmd: 'net_null', dpdk: 'latest', check: 7, reason: 'x' })).toThrow(
      /dpdk: "latest" is not a version/,
    );
    expect(bad({ pmd: 'net_null', dpdk: '22.11', check: 7, reason: 'x', chekc: 1 })).toThrow(
      /unknown field "chekc"/,
    );
    expect(bad({ pmd: 'net_null', dpdk: '22.11', check: 7 })).toThrow(/reason: must be a non-empty string/);
    expect(() => validateExpectations([], 'f.json')).toThrow(ExpectationsError);
    expect(() => readExpectations('/nonexistent/x.json')).toThrow('/nonexistent/x.json: ENOENT');
  });

  it('the shipped expectation files are valid', () => {
    const dir = fileURLToPath(new URL('../../expectations/', import.meta.url));
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(readExpectations(`${dir}${f}`).length).toBeGreaterThan(0);
  });
});

describe('--expect auto', () => {
  /**
   * Steps: ask for the shipped file of each maintained DPDK, of one not shipped, and plan a
   * certify run with `--expect auto` on this machine's DPDK.
   * Verify: each release's file, each entry of it for that release; one line naming the version
   * and what is shipped otherwise; the plan reads the file of pkg-config's libdpdk version.
   */
  it('picks the file shipped for the DPDK in use', () => {
    for (const [version, file] of [
      ['22.11.11', 'debian-12-dpdk-22.11.json'],
      ['23.11.7', 'debian-12-source-dpdk-23.11.json'],
      ['24.11.8', 'debian-13-dpdk-24.11.json'],
      ['25.11.4', 'debian-sid-dpdk-25.11.json'],
      ['26.07.0', 'debian-12-source-dpdk-26.07.json'],
    ] as const) {
      const path = shippedExpectationsFor(version);
      expect(basename(path)).toBe(file);
      for (const e of readExpectations(path)) expect(version.startsWith(`${e.dpdk}.`)).toBe(true);
    }
    // A release with no expectations is said as such, never read as clean.
    expect(() => shippedExpectationsFor('26.11.0-rc0')).toThrow(
      '--expect auto: no shipped expectations for DPDK 26.11.0-rc0 (shipped: 22.11, 23.11, 24.11, 25.11, 26.07); give --expect FILE',
    );
    const installed = execFileSync('pkg-config', ['--modversion', 'libdpdk'], { encoding: 'utf8' }).trim();
    const plan = planFromArgs(['certify', '--expect', 'auto', '--only', 'net_null']);
    expect(plan?.dpdk.version).toBe(installed);
    expect(plan?.expect?.files).toEqual([shippedExpectationsFor(installed)]);
    expect(plan?.expect?.list.length).toBeGreaterThan(0);
  });
});
