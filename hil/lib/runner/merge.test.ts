import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DutSummary, RunSummary } from '@dpdk-hotplug/conformance';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../cli.js';
import { labMerge, mergedExitCode, mergeLines } from './merge.js';
import type { RunnerRecord } from './record.js';

const work = mkdtempSync(join(tmpdir(), 'dphp-lab-merge-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const dut = (name: string, verdict: DutSummary['verdict']): DutSummary => ({
  name,
  pmd: 'net_null',
  devargs: 'net_null0',
  dpdkVersion: 'DPDK 22.11.11',
  checks: [],
  verdict,
});

/** A lab run folder as lab run leaves it: runner.json, and certify's summary (if it got that far). */
function runFolder(
  name: string,
  planned: string[],
  done: DutSummary[],
  finished: boolean,
  extra: Partial<RunnerRecord> = {},
): string {
  const folder = join(work, name);
  mkdirSync(join(folder, 'certify'), { recursive: true });
  const record: RunnerRecord = {
    tool: 'dpdk-hotplug lab run',
    inventory: 'lab.yaml',
    runner: name,
    machine: { hostname: `host-${name}`, kernel: 'Linux 6.1.0', dpdk: '22.11.11' },
    duts: planned,
    startedAt: '2026-11-30T10:00:00.000Z',
    ...(finished ? { finishedAt: '2026-11-30T10:05:00.000Z', exitCode: 0 } : {}),
    ...extra,
  };
  writeFileSync(join(folder, 'runner.json'), JSON.stringify(record));
  const run: RunSummary = {
    startedAt: record.startedAt,
    status: finished ? 'passed' : 'interrupted',
    checksPlanned: 15,
    duts: done,
  };
  writeFileSync(join(folder, 'certify', 'summary.json'), JSON.stringify(run));
  return folder;
}

describe('lab merge', () => {
  /**
   * Steps: merge a finished runner (2 DUTs) and one interrupted after 1 of its 3 DUTs.
   * Verify: 5 DUTs, each with its runner and machine; the 2 not reached INCONCLUSIVE "not run",
   * naming the runner and its machine; exit 3; the runners' table in summary.md.
   */
  it('keeps what an interrupted runner finished and reports the rest as not run, naming the runner', async () => {
    const a = runFolder(
      'lab1',
      ['lab1-a', 'lab1-b'],
      [dut('lab1-a', 'CERTIFIED'), dut('lab1-b', 'CERTIFIED')],
      true,
    );
    const b = runFolder('lab2', ['lab2-a', 'lab2-b', 'lab2-c'], [dut('lab2-a', 'CERTIFIED')], false);
    const out = join(work, 'merged');
    const result = await labMerge([a, b], out);
    expect(result.summary.duts.map((d) => [d.name, d.runner, d.verdict])).toEqual([
      ['lab1-a', 'lab1', 'CERTIFIED'],
      ['lab1-b', 'lab1', 'CERTIFIED'],
      ['lab2-a', 'lab2', 'CERTIFIED'],
      ['lab2-b', 'lab2', 'INCONCLUSIVE'],
      ['lab2-c', 'lab2', 'INCONCLUSIVE'],
    ]);
    expect(result.summary.duts[0]!.machine).toEqual({
      hostname: 'host-lab1',
      kernel: 'Linux 6.1.0',
      dpdk: '22.11.11',
    });
    expect(result.summary.duts[3]!.verdictReasons).toEqual([
      `not run: runner lab2 on host-lab2 stopped before it (${b})`,
    ]);
    expect(result.summary.status).toBe('interrupted');
    expect(result.summary.runners.map((r) => [r.runner, r.ended, r.notRun])).toEqual([
      ['lab1', 'finished', []],
      ['lab2', 'interrupted', ['lab2-b', 'lab2-c']],
    ]);
    expect(mergedExitCode(result)).toBe(3);
    expect(result.playwright).toBeUndefined();
    expect(mergeLines(result, out)[1]).toContain(
      'runner lab2 on host-lab2 (Linux 6.1.0, DPDK 22.11.11): interrupted; 1 of 3 DUT(s) certified, not run: lab2-b, lab2-c',
    );
    const saved = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as RunSummary;
    expect(saved.duts).toHaveLength(5);
    expect(existsSync(join(out, 'summary.md'))).toBe(true);
  });

  /**
   * Steps: runners on DPDK 22.11 and 24.11 whose DUTs fail only known checks; then one more whose
   * DUT fails a check no file lists; a runner whose DUT has its own expectations (recorded by lab
   * run); merges with --expect auto, without, and with a file that is not there.
   * Verify: auto reads each runner's DPDK's shipped file (no DPDK on this side); exit 0 when
   * every failure is known, 1 on the NEW FAIL; the DUT's own expectations apply with no --expect;
   * junit.xml has a suite per DUT (class = its name) and one <failure>, the NEW FAIL; the
   * certificate page lists every runner with its machine; a missing file is one line, exit 2.
   */
  it('is red only on regressions against expectations: auto per runner DPDK, and DUTs own files', async () => {
    const check = (id: number, status: 'PASS' | 'FAIL', cls = 'required' as const) => ({
      id,
      title: `${id}. check ${id}`,
      status,
      class: cls,
      notes: [],
      durationMs: 5,
    });
    const failed = (name: string, pmd: string, checks: ReturnType<typeof check>[], dpdk: string) => ({
      ...dut(name, 'FAILED'),
      pmd,
      dpdkVersion: `DPDK ${dpdk}`,
      planned: checks.map((c) => c.id),
      checks,
    });
    const at = (dpdk: string) => ({
      machine: { hostname: `host-${dpdk}`, kernel: 'Linux 6.1.0', dpdk },
    });
    const ring = runFolder(
      'e22',
      ['e22-ring'],
      [failed('e22-ring', 'net_ring', [check(6, 'FAIL'), check(7, 'PASS'), check(10, 'FAIL')], '22.11.11')],
      true,
      at('22.11.11'),
    );
    const nul = runFolder(
      'e24',
      ['e24-null'],
      [failed('e24-null', 'net_null', [check(7, 'FAIL'), check(11, 'FAIL')], '24.11.8')],
      true,
      at('24.11.8'),
    );
    const known = await labMerge([ring, nul], join(work, 'e-known'), 'auto');
    expect(known.expected?.results.map((r) => r.outcome)).toEqual([
      'KNOWN FAIL',
      'PASS',
      'KNOWN FAIL',
      'KNOWN FAIL',
      'KNOWN FAIL',
    ]);
    expect(mergedExitCode(known)).toBe(0);
    // Without expectations the same merge is red: the DUTs FAILED.
    expect(mergedExitCode(await labMerge([ring, nul], join(work, 'e-plain')))).toBe(1);
    const regressed = runFolder(
      'e22b',
      ['e22b-ring'],
      [failed('e22b-ring', 'net_ring', [check(3, 'FAIL'), check(6, 'FAIL')], '22.11.11')],
      true,
      at('22.11.11'),
    );
    const out = join(work, 'e-new');
    const red = await labMerge([ring, nul, regressed], out, 'auto');
    expect(mergedExitCode(red)).toBe(1);
    expect(mergeLines(red, out).join('\n')).toMatch(/NEW FAIL +e22b-ring check 3/);
    const junit = readFileSync(join(out, 'junit.xml'), 'utf8');
    expect(junit).toMatch(/<testsuites [^>]*tests="7" failures="1" errors="0" skipped="5"/);
    expect([...junit.matchAll(/<testsuite name="([^"]+)"/g)].map((m) => m[1])).toEqual([
      'e22-ring',
      'e24-null',
      'e22b-ring',
    ]);
    expect(junit).toContain(
      '<testcase classname="e22b-ring" name="3. check 3" time="0.005">\n      <failure type="NEW FAIL"',
    );
    const page = readFileSync(join(out, 'certificate.html'), 'utf8');
    for (const host of ['host-22.11.11', 'host-24.11.8']) expect(page).toContain(`<td>${host}</td>`);
    expect(page).toContain('<tr data-runner="e22b">');
    expect(page).toContain('Runner e24 on host-24.11.8 (Linux 6.1.0, DPDK 24.11.8)');
    // A DUT's own expectations (lab run recorded them from the inventory) apply without --expect.
    const own = runFolder(
      'e-own',
      ['e-own-tap'],
      [failed('e-own-tap', 'net_tap', [check(3, 'FAIL')], '22.11.11')],
      true,
      {
        ...at('22.11.11'),
        expectations: { 'e-own-tap': [{ pmd: 'net_tap', dpdk: '22.11', check: 3, reason: 'lab-known' }] },
      },
    );
    const mine = await labMerge([own], join(work, 'e-own-out'));
    expect(mine.expected?.results.map((r) => r.outcome)).toEqual(['KNOWN FAIL']);
    expect(mergedExitCode(mine)).toBe(0);
    const err: string[] = [];
    const code = await main(['merge', own, '--out', join(work, 'e-bad'), '--expect', '/nonexistent/x.json'], {
      out: () => {},
      err: (l) => err.push(l),
    });
    expect(code).toBe(2);
    expect(err.join('\n').split('\n')[0]).toBe('dpdk-hotplug lab: /nonexistent/x.json: ENOENT');
  });

  /**
   * Steps: two runners whose DUTs (both net_ring, both failing check 6) ran one with `lab run
   * --expect FILE` (recorded in its runner.json, the file itself gone since), one without;
   * merge without --expect, then with --expect naming a file that knows nothing.
   * Verify: without --expect the first runner's findings apply to its own DUT only (KNOWN FAIL),
   * not to the other runner's (NEW FAIL, exit 1), and the lines name whose --expect it was;
   * --expect given again replaces them (both NEW FAIL).
   */
  it("inherits each runner's own lab run --expect unless given again", async () => {
    const failing = (name: string) => ({
      ...dut(name, 'FAILED'),
      pmd: 'net_ring',
      planned: [6],
      checks: [
        {
          id: 6,
          title: '6. check 6',
          status: 'FAIL' as const,
          class: 'required' as const,
          notes: [],
          durationMs: 5,
        },
      ],
    });
    const file = join(work, 'gone.json');
    const a = runFolder('xa', ['xa-ring'], [failing('xa-ring')], true, {
      expect: {
        given: file,
        files: [file],
        list: [{ pmd: 'net_ring', dpdk: '22.11', check: 6, reason: 'known on xa' }],
      },
    });
    const b = runFolder('xb', ['xb-ring'], [failing('xb-ring')], true);
    const out = join(work, 'x-merged');
    const inherited = await labMerge([a, b], out);
    expect(inherited.expected?.results.map((r) => [r.dut, r.outcome])).toEqual([
      ['xa-ring', 'KNOWN FAIL'],
      ['xb-ring', 'NEW FAIL'],
    ]);
    expect(mergedExitCode(inherited)).toBe(1);
    expect(mergeLines(inherited, out)).toContain(`against ${file} (lab run --expect ${file} of runner xa):`);
    const empty = join(work, 'empty-expect.json');
    writeFileSync(empty, '{"expectations": []}');
    const again = await labMerge([a, b], join(work, 'x-again'), empty);
    expect(again.expected?.results.map((r) => r.outcome)).toEqual(['NEW FAIL', 'NEW FAIL']);
  });

  it('refuses folders that are not lab runs, the same DUT from two runners, and no folder at all', async () => {
    const stray = join(work, 'stray');
    mkdirSync(stray, { recursive: true });
    const r = async (args: string[]) => {
      const err: string[] = [];
      const code = await main(args, { out: () => {}, err: (l) => err.push(l) });
      return { code, err: err.join('\n') };
    };
    expect(await r(['merge', stray, '--out', join(work, 'm1')])).toMatchObject({
      code: 2,
      err: expect.stringContaining(`${stray}: not a lab run folder (no runner.json`),
    });
    expect((await r(['merge', '--out', join(work, 'm2')])).err).toContain(
      'lab merge needs the folders of lab run',
    );
    expect((await r(['merge', stray])).err).toContain('lab merge needs --out DIR');
    const x = runFolder('x1', ['same'], [dut('same', 'CERTIFIED')], true);
    const y = runFolder('x2', ['same'], [dut('same', 'CERTIFIED')], true);
    expect((await r(['merge', x, y, '--out', join(work, 'm3')])).err).toContain(
      'DUT same comes from runners x1 and x2',
    );
  });
});
