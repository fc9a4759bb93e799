import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DutSummary, RunSummary } from '@dpdk-hotplug/conformance';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../cli.js';
import { labMerge, mergedExitCode, mergeLines } from './merge.js';
import type { RunnerRecord } from './run.js';

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
function runFolder(name: string, planned: string[], done: DutSummary[], finished: boolean): string {
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
