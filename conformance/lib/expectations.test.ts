import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { planFromArgs } from './cli.js';
import {
  compare,
  ExpectationsError,
  readExpectations,
  regressionExitCode,
  shippedExpectationsFor,
  validateExpectations,
} from './expectations.js';
import type { CheckResult, DutSummary, RunSummary } from './summary.js';
import { check, dutOf } from './test-support/results.js';

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
    const dir = fileURLToPath(new URL('../expectations/', import.meta.url));
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
    ] as const) {
      const path = shippedExpectationsFor(version);
      expect(basename(path)).toBe(file);
      for (const e of readExpectations(path)) expect(version.startsWith(`${e.dpdk}.`)).toBe(true);
    }
    // A release with no expectations is said as such, never read as clean.
    expect(() => shippedExpectationsFor('26.07.0')).toThrow(
      '--expect auto: no shipped expectations for DPDK 26.07.0 (shipped: 22.11, 23.11, 24.11, 25.11); give --expect FILE',
    );
    const installed = execFileSync('pkg-config', ['--modversion', 'libdpdk'], { encoding: 'utf8' }).trim();
    const plan = planFromArgs(['certify', '--expect', 'auto', '--only', 'net_null']);
    expect(plan?.dpdk.version).toBe(installed);
    expect(plan?.expect?.file).toBe(shippedExpectationsFor(installed));
    expect(plan?.expect?.list.length).toBeGreaterThan(0);
  });
});
