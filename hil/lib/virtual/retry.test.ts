import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DutSummary, RunSummary } from '@dpdk-hotplug/conformance';
import { afterAll, describe, expect, it } from 'vitest';
import type { GuestEnd, RunnerRecord } from '../runner/record.js';
import { type GuestRunnerResult, runWithRetry } from './runners.js';

const work = mkdtempSync(join(tmpdir(), 'dphp-lab-retry-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const PLANNED = [101, 102, 103];
const dut = (name: string, ended: number): DutSummary => ({
  name,
  pmd: 'net_e1000_em',
  devargs: '0000:01:00.0',
  dpdkVersion: 'DPDK 22.11.11',
  planned: PLANNED,
  checks: PLANNED.slice(0, ended).map((id) => ({
    id,
    title: `${id}. c`,
    status: 'PASS',
    notes: [],
    durationMs: 1,
  })),
  verdict: ended === PLANNED.length ? 'CERTIFIED' : 'INCONCLUSIVE',
});

/**
 * A guest that stands in for QEMU: writes the lab run folder lab run would (its DUTs, `only` or
 * all, each with `checks[name]` checks ended) and ends as `ends` says, one end per boot.
 */
function fakeGuest(
  all: string[],
  checks: Record<string, number[]>,
  ends: GuestEnd[],
  /** In the first boot, which stalls: this check timed out, first seen at `seenAt`; the last heartbeat at `lastBeat`. */
  timedOut?: { dut: string; check: number; seenAt: number; lastBeat: number },
) {
  const boots: { folder: string; only?: readonly string[] }[] = [];
  const guest = async (folder: string, only?: readonly string[]): Promise<GuestRunnerResult> => {
    const n = boots.push({ folder, ...(only ? { only } : {}) });
    const duts = only ? [...only] : all;
    const end = ends[n - 1]!;
    mkdirSync(join(folder, 'certify'), { recursive: true });
    const record: RunnerRecord = {
      tool: 'dpdk-hotplug lab run',
      inventory: 'inventory.json',
      runner: 'r',
      machine: { hostname: 'r-guest', kernel: 'Linux 6.1.0', dpdk: '22.11.11' },
      duts,
      startedAt: '2026-12-07T09:00:00.000Z',
      ...(end === 'finished' ? { finishedAt: '2026-12-07T09:10:00.000Z', exitCode: 0 } : {}),
    };
    writeFileSync(join(folder, 'runner.json'), JSON.stringify(record));
    const run: RunSummary = {
      startedAt: record.startedAt,
      status: end === 'finished' ? 'passed' : 'running',
      checksPlanned: 3,
      duts: duts.map((d) => dut(d, checks[d]![n - 1]!)),
    };
    const late = n === 1 ? timedOut : undefined;
    if (late) {
      const d = run.duts.find((x) => x.name === late.dut)!;
      d.checks = d.checks.map((c) =>
        c.id === late.check
          ? { ...c, status: 'FAIL', reason: `timed out after 120000 ms at check ${c.id}` }
          : c,
      );
      d.verdict = 'FAILED';
    }
    writeFileSync(join(folder, 'certify', 'summary.json'), JSON.stringify(run));
    writeFileSync(join(folder, 'console.log'), `boot ${n}\n`);
    return {
      runner: 'r',
      folder,
      wallMs: 1000,
      end,
      ...(end === 'finished' ? { exitCode: 0 } : { error: `the guest ${end}: test` }),
      ...(late
        ? {
            stall: {
              from: late.lastBeat,
              to: late.lastBeat + 60_000,
              seen: { [`${late.dut} ${late.check}`]: late.seenAt },
            },
          }
        : {}),
    };
  };
  return { guest, boots };
}

describe('runWithRetry', () => {
  const options = { inventory: '/nonexistent.yaml', outDir: work };
  const quiet = () => {};

  /**
   * Steps: a runner of a, b, c whose first guest stalls with a done, b half-way (1 of 3), c not
   * reached; the fresh guest finishes b and c.
   * Verify: the second boot runs only c and b (b, the DUT it stalled in, last); the first attempt's folder moved whole to
   * attempts/1 (its console kept), the second's is attempts/2; the runner's folder is the
   * combined lab run folder (a from attempt 1, b and c from 2, b stopped after check 101); the result
   * has both attempts and the two guests' time.
   */
  it('boots a fresh guest for the unfinished DUTs and combines the two folders', async () => {
    const folder = join(work, 'r');
    const { guest, boots } = fakeGuest(['a', 'b', 'c'], { a: [3], b: [1, 3], c: [0, 3] }, [
      'stalled',
      'finished',
    ]);
    const r = await runWithRetry(options, 'r', folder, guest, quiet);
    expect(boots.map((b) => b.only)).toEqual([undefined, ['c', 'b']]);
    expect(readFileSync(join(folder, 'attempts', '1', 'console.log'), 'utf8')).toBe('boot 1\n');
    expect(readFileSync(join(folder, 'attempts', '2', 'console.log'), 'utf8')).toBe('boot 2\n');
    const record = JSON.parse(readFileSync(join(folder, 'runner.json'), 'utf8')) as RunnerRecord;
    expect(record.duts).toEqual(['a', 'b', 'c']);
    expect(
      record.attempts?.map((a) => [a.number, a.end, a.duts, a.inFlight?.dut, a.inFlight?.after]),
    ).toEqual([
      [1, 'stalled', ['a', 'b', 'c'], 'b', 101],
      [2, 'finished', ['c', 'b'], undefined, undefined],
    ]);
    const run = JSON.parse(readFileSync(join(folder, 'certify', 'summary.json'), 'utf8')) as RunSummary;
    expect(run.duts.map((d) => [d.name, d.verdict, d.attempt?.number])).toEqual([
      ['a', 'CERTIFIED', 1],
      ['b', 'CERTIFIED', 2],
      ['c', 'CERTIFIED', 2],
    ]);
    expect(r.end).toBe('finished');
    expect(r.folder).toBe(folder);
    expect(r.wallMs).toBe(2000);
    expect(r.attempts?.map((a) => a.folder)).toEqual([
      join(folder, 'attempts', '1'),
      join(folder, 'attempts', '2'),
    ]);
  });

  /**
   * Steps: the same runner whose second guest stalls too; then one with the retry turned off.
   * Verify: two boots, not three, the runner's result is the stalled second's; with the retry
   * off, one boot and the folder left as lab run wrote it (no attempts/).
   */
  it('boots no third guest, and none when the retry is off', async () => {
    const twice = fakeGuest(['a', 'b'], { a: [1, 2], b: [0, 0] }, ['stalled', 'stalled', 'finished']);
    const r = await runWithRetry(options, 'r', join(work, 'twice'), twice.guest, quiet);
    expect(twice.boots).toHaveLength(2);
    expect(r.end).toBe('stalled');
    const record = JSON.parse(readFileSync(join(work, 'twice', 'runner.json'), 'utf8')) as RunnerRecord;
    expect(record.finishedAt).toBeUndefined();
    expect(record.attempts?.[1]?.inFlight).toEqual({
      dut: 'a',
      after: 102,
      ended: ['101 PASS', '102 PASS'],
      notReached: [103],
    });

    const off = fakeGuest(['a'], { a: [1] }, ['stalled', 'finished']);
    const once = await runWithRetry(
      { ...options, retryStalled: false },
      'r',
      join(work, 'off'),
      off.guest,
      quiet,
    );
    expect(off.boots).toHaveLength(1);
    expect(once.attempts).toBeUndefined();
    expect(existsSync(join(work, 'off', 'attempts'))).toBe(false);
  });

  /**
   * Steps: a runner of a and b whose first guest stalls with both complete, b's check 103 timed
   * out after the guest's last heartbeat (the host saw it 30 s later); the fresh guest runs b
   * and it passes. Then the same with b's timeout seen before the last heartbeat.
   * Verify: b runs again (a complete DUT: its FAIL was the stall's) and its verdict is the second
   * attempt's, the first attempt's record names the FAIL; the progress line says it is not held
   * against b. A timeout before the stall is b's FAIL: no second guest (nothing left to run).
   */
  it('runs again a DUT whose check timed out inside the stall, not one that timed out before', async () => {
    const lines: string[] = [];
    const folder = join(work, 'inside');
    const lastBeat = 5_000_000;
    const { guest, boots } = fakeGuest(['a', 'b'], { a: [3], b: [3, 3] }, ['stalled', 'finished'], {
      dut: 'b',
      check: 103,
      seenAt: lastBeat + 30_000,
      lastBeat,
    });
    const r = await runWithRetry(options, 'r', folder, guest, (l) => lines.push(l));
    expect(boots.map((b) => b.only)).toEqual([undefined, ['b']]);
    const record = JSON.parse(readFileSync(join(folder, 'runner.json'), 'utf8')) as RunnerRecord;
    expect(record.attempts?.[0]?.insideStall).toEqual([
      { dut: 'b', check: 103, reason: 'timed out after 120000 ms at check 103' },
    ]);
    const run = JSON.parse(readFileSync(join(folder, 'certify', 'summary.json'), 'utf8')) as RunSummary;
    expect(run.duts.map((d) => [d.name, d.verdict, d.attempt?.number])).toEqual([
      ['a', 'CERTIFIED', 1],
      ['b', 'CERTIFIED', 2],
    ]);
    expect(r.end).toBe('finished');
    expect(lines.join('\n')).toContain(
      `b's check 103 timed out inside the stall ("timed out after 120000 ms at check 103"): not held against it`,
    );

    const before = fakeGuest(['a', 'b'], { a: [3], b: [3, 3] }, ['stalled', 'finished'], {
      dut: 'b',
      check: 103,
      seenAt: lastBeat - 1,
      lastBeat,
    });
    const kept = await runWithRetry(options, 'r', join(work, 'before'), before.guest, quiet);
    expect(before.boots).toHaveLength(1);
    expect(kept.attempts).toBeUndefined();
  });
});
