import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CheckResult, DutSummary, RunSummary } from '@dpdk-hotplug/conformance';
import { afterAll, describe, expect, it } from 'vitest';
import {
  attemptsNote,
  combineAttempts,
  failsInsideStall,
  MAX_ATTEMPTS,
  retryDecision,
  type StallWindow,
  unfinished,
} from './attempts.js';
import { labMerge, mergeLines } from './merge.js';
import type { GuestEnd, RunnerAttempt, RunnerRecord } from './record.js';

const work = mkdtempSync(join(tmpdir(), 'dphp-lab-attempts-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const SURPRISE = [101, 102, 103, 104, 110, 111, 106, 112, 108, 109];
const check = (id: number, status: CheckResult['status'] = 'PASS', reason?: string): CheckResult => ({
  id,
  title: `${id}. check ${id}`,
  status,
  notes: [],
  durationMs: 5,
  ...(reason ? { reason } : {}),
});
/** A PCI DUT as the reporter leaves it: its planned checks (in run order), those that ended. */
const dut = (name: string, ended: CheckResult[], verdict: DutSummary['verdict']): DutSummary => ({
  name,
  pmd: 'net_e1000_em',
  devargs: '0000:01:00.0',
  dpdkVersion: 'DPDK 22.11.11',
  planned: SURPRISE,
  checks: ended,
  verdict,
  ...(ended.length ? {} : { notRun: 'not reached' }),
});
const all = (failing?: number) => SURPRISE.map((id) => check(id, id === failing ? 'FAIL' : 'PASS'));
const summary = (duts: DutSummary[], status: RunSummary['status'] = 'running'): RunSummary => ({
  startedAt: '2026-12-07T09:00:00.000Z',
  status,
  checksPlanned: 10,
  duts,
});

describe('retryDecision', () => {
  // What a stalled guest left: a, b complete (b with a FAIL), c half-way, d not reached, e not
  // run by the plan itself (nothing planned), f not in the summary at all.
  const left = summary([
    dut('a', all(), 'CERTIFIED'),
    dut('b', all(110), 'FAILED'),
    dut('c', [check(101), check(102), check(103), check(104)], 'INCONCLUSIVE'),
    dut('d', [], 'INCONCLUSIVE'),
    { ...dut('e', [], 'INCONCLUSIVE'), planned: [] },
  ]);
  const planned = ['a', 'b', 'c', 'd', 'e', 'f'];

  /**
   * Steps: decide after a first attempt whose guest stalled, then crashed, with the summary above.
   * Verify: d, f and c run again (plan order, but c, the DUT the guest stalled in, last), a and
   * b are kept (b's FAIL is never re-run), e too (the plan did not run it); the run stopped in
   * c after 104, the last of its checks to end, 110 on (run order, not ids) not reached.
   */
  it('runs again, once, exactly the DUTs without a complete result', () => {
    for (const end of ['stalled', 'crashed'] as const)
      expect(retryDecision({ attempt: 1, end, planned, summary: left })).toEqual({
        retry: true,
        duts: ['d', 'f', 'c'],
        inFlight: {
          dut: 'c',
          after: 104,
          ended: ['101 PASS', '102 PASS', '103 PASS', '104 PASS'],
          notReached: [110, 111, 106, 112, 108, 109],
        },
      });
  });

  /**
   * Steps: decide after each other end of a first attempt, after a second attempt that stalled,
   * with the retry off, and after a stall that left every DUT complete.
   * Verify: no retry, each with its reason (no third attempt: MAX_ATTEMPTS is 2).
   */
  it('does not retry what is not a stall or crash, a second attempt, or when turned off', () => {
    for (const end of ['finished', 'interrupted', 'timed out', 'failed'] as GuestEnd[])
      expect(retryDecision({ attempt: 1, end, planned, summary: left })).toEqual({
        retry: false,
        why: `the guest ${end}: not a stall or a crash`,
      });
    expect(MAX_ATTEMPTS).toBe(2);
    expect(retryDecision({ attempt: 2, end: 'stalled', planned: ['c', 'd'], summary: left })).toEqual({
      retry: false,
      why: 'the guest of attempt 2 stalled too: no attempt 3',
    });
    expect(retryDecision({ attempt: 1, end: 'stalled', planned, summary: left, enabled: false }).retry).toBe(
      false,
    );
    expect(retryDecision({ attempt: 1, end: 'stalled', planned: ['a', 'b', 'e'], summary: left })).toEqual({
      retry: false,
      why: 'every DUT had a complete result or a FAIL (never run again)',
    });
  });

  /**
   * Steps: a guest that stalled in c's check 110 after c had FAILED 104.
   * Verify: c is not run again (its FAIL stands, with its coverage gaps), d and f are; where the
   * run stopped still names c, 110 and the FAIL.
   */
  it('never runs a DUT with a FAIL again, even the one the guest stalled in', () => {
    const failed = summary([
      dut('a', all(), 'CERTIFIED'),
      dut('c', [check(101), check(102), check(103), check(104, 'FAIL')], 'FAILED'),
      dut('d', [], 'INCONCLUSIVE'),
    ]);
    expect(
      retryDecision({ attempt: 1, end: 'stalled', planned: ['a', 'c', 'd', 'f'], summary: failed }),
    ).toEqual({
      retry: true,
      duts: ['d', 'f'],
      inFlight: {
        dut: 'c',
        after: 104,
        ended: ['101 PASS', '102 PASS', '103 PASS', '104 FAIL'],
        notReached: [110, 111, 106, 112, 108, 109],
      },
    });
  });

  /**
   * Steps: a guest that stalled before lab run wrote its summary (no summary), and one whose
   * run had reached no check of its first unfinished DUT.
   * Verify: every planned DUT runs again; the DUT named as where it stopped is the first
   * unfinished one, no check of it ended, all its planned checks not reached.
   */
  it('runs everything again when the guest stalled before any result', () => {
    expect(retryDecision({ attempt: 1, end: 'stalled', planned: ['x', 'y'] })).toEqual({
      retry: true,
      duts: ['x', 'y'],
      inFlight: { dut: 'x', ended: [], notReached: [] },
    });
    expect(unfinished(['a', 'd'], left)).toEqual({
      duts: ['d'],
      inFlight: { dut: 'd', ended: [], notReached: SURPRISE },
    });
  });
});

describe('a FAIL inside a stall', () => {
  // The reasons as the certification reporter writes them; the first is the 14th session's full
  // run's (e1000's surprise DUT under vfio-pci, its check 112, while the IOMMU guest's timer stalled).
  const TIMED_OUT = 'timed out after 120186 ms at check 112, step "teardown"';
  const HUNG = 'hung at check 109, step "unplug": no progress within 120000 ms; the worker was killed';
  const ASSERTED = 'the port is still listed';
  const T = 1_000_000; // the guest's last heartbeat the host saw
  const through = (last: number, fail?: CheckResult) => [
    ...SURPRISE.slice(0, SURPRISE.indexOf(last)).map((id) => check(id)),
    ...(fail ? [fail] : [check(last)]),
  ];
  const s = summary([
    dut('a', all(), 'CERTIFIED'),
    // Timed out after T: the stall's.
    dut('stalled-in', through(112, check(112, 'FAIL', TIMED_OUT)), 'INCONCLUSIVE'),
    // Timed out before T: the PMD's, as any FAIL.
    dut('before', through(110, check(110, 'FAIL', 'timed out after 120000 ms at check 110')), 'FAILED'),
    // Failed an assertion after T: not a time limit, the PMD's.
    dut('asserted', through(104, check(104, 'FAIL', ASSERTED)), 'FAILED'),
    // Complete, its last check hung after T (the watchdog's): the stall's; run again though complete.
    dut('hung', [...all().filter((c) => c.id !== 109), check(109, 'FAIL', HUNG)], 'FAILED'),
    // A FAIL before T and a timeout after: the first stands, never run again.
    dut(
      'both',
      [
        ...through(104, check(104, 'FAIL', ASSERTED)),
        check(110),
        check(111),
        check(106),
        check(112, 'FAIL', TIMED_OUT),
      ],
      'FAILED',
    ),
  ]);
  const key = (d: string, c: number) => `${d} ${c}`;
  const stall: StallWindow = {
    from: T,
    to: T + 60_000,
    seen: {
      [key('stalled-in', 112)]: T + 30_000,
      [key('before', 110)]: T - 1,
      [key('asserted', 104)]: T + 5_000,
      [key('both', 104)]: T - 100_000,
      [key('both', 112)]: T + 20_000,
      // hung's 109: never seen by the host before it stopped the guest (ended after its last look).
    },
  };
  const planned = ['a', 'stalled-in', 'before', 'asserted', 'hung', 'both', 'next'];

  /**
   * Steps: the summary above, the window from the guest's last heartbeat T.
   * Verify: the FAILs inside are the timeout and the hang first seen after T (or never seen),
   * not the timeout seen before T, not the assertion after T.
   */
  it('is a check that ran out of time after the guest last showed life', () => {
    expect(failsInsideStall(s, stall)).toEqual([
      { dut: 'stalled-in', check: 112, reason: TIMED_OUT },
      { dut: 'hung', check: 109, reason: HUNG },
      { dut: 'both', check: 112, reason: TIMED_OUT },
    ]);
  });

  /**
   * Steps: decide after the guest stalled with that window; then with no window, and after a
   * guest that crashed (no stall).
   * Verify: stalled-in and hung run again (last: the DUTs it stopped in), with next (not begun);
   * before, asserted and both are kept (both's timeout is not listed: its other FAIL holds it);
   * where it stopped is stalled-in after 112; without a
   * window (or a crash) the timeouts are FAILs as before and only next runs.
   */
  it('does not keep its DUT from running again; other FAILs do', () => {
    expect(retryDecision({ attempt: 1, end: 'stalled', planned, summary: s, stall })).toEqual({
      retry: true,
      duts: ['next', 'stalled-in', 'hung'],
      inFlight: {
        dut: 'stalled-in',
        after: 112,
        ended: [...SURPRISE.slice(0, 7).map((id) => `${id} PASS`), '112 FAIL'],
        notReached: [108, 109],
      },
      insideStall: [
        { dut: 'stalled-in', check: 112, reason: TIMED_OUT },
        { dut: 'hung', check: 109, reason: HUNG },
      ],
    });
    expect(retryDecision({ attempt: 1, end: 'stalled', planned, summary: s })).toMatchObject({
      duts: ['next'],
    });
    expect(retryDecision({ attempt: 1, end: 'crashed', planned, summary: s, stall })).toMatchObject({
      duts: ['next'],
    });
    expect(unfinished(planned, s, stall).insideStall).toHaveLength(2);
  });

  /**
   * Steps: the runner's note of an attempt whose stall brought a FAIL, and combining its folder
   * with a second attempt that ran stalled-in again and certified it.
   * Verify: the note and the DUT's line name the check that timed out inside the stall, its
   * reason, and that it ran again; its verdict is the second attempt's.
   */
  it('is named in the reports, the DUT ran again', () => {
    const into = join(work, 'inside-stall');
    const first = summary([
      dut('a', all(), 'CERTIFIED'),
      dut('stalled-in', through(112, check(112, 'FAIL', TIMED_OUT)), 'INCONCLUSIVE'),
    ]);
    attemptFolder(into, 1, ['a', 'stalled-in'], first, false);
    const decision = retryDecision({
      attempt: 1,
      end: 'stalled',
      planned: ['a', 'stalled-in'],
      summary: first,
      stall,
    });
    if (!decision.retry) throw new Error('expected a retry');
    expect(decision.duts).toEqual(['stalled-in']);
    attemptFolder(into, 2, decision.duts, summary([dut('stalled-in', all(), 'CERTIFIED')], 'passed'), true);
    const attempts: RunnerAttempt[] = [
      {
        number: 1,
        folder: 'attempts/1',
        duts: ['a', 'stalled-in'],
        end: 'stalled',
        why: "the guest stalled: no heartbeat from the guest's agent for 60 s; stopped",
        inFlight: decision.inFlight!,
        insideStall: decision.insideStall!,
      },
      { number: 2, folder: 'attempts/2', duts: decision.duts, end: 'finished' },
    ];
    combineAttempts(into, attempts);
    const where =
      'stalled-in after check 112 (the last to end; 101 PASS, 102 PASS, 103 PASS, 104 PASS, 110 PASS, 111 PASS, 106 PASS, 112 FAIL ended; not reached: 108, 109)';
    const inside = `check 112 timed out inside the stall ("${TIMED_OUT}")`;
    expect(attemptsNote(attempts)).toBe(
      `attempt 1 (2 DUT(s), folder attempts/1): stopped in ${where}; stalled-in's ${inside}: run again; the guest stalled: no heartbeat from the guest's agent for 60 s; stopped. ` +
        'attempt 2 (a fresh guest, folder attempts/2) ran again the 1 DUT(s) attempt 1 had not finished (stalled-in): finished',
    );
    const run = JSON.parse(readFileSync(join(into, 'certify', 'summary.json'), 'utf8')) as RunSummary;
    expect(run.duts.map((d) => [d.name, d.verdict, d.attempt?.number])).toEqual([
      ['a', 'CERTIFIED', 1],
      ['stalled-in', 'CERTIFIED', 2],
    ]);
    expect(run.duts[1]!.attempt!.earlier).toBe(
      `attempt 1's guest stalled in ${where}; ${inside}: run again; those results are in attempts/1`,
    );
  });
});

/** An attempt's lab run folder: its runner.json, certify's summary, a blob report. */
function attemptFolder(
  into: string,
  n: number,
  duts: string[],
  run: RunSummary | undefined,
  finished: boolean,
  blob = false,
) {
  const folder = join(into, 'attempts', String(n));
  mkdirSync(join(folder, 'certify', 'blob'), { recursive: true });
  const record: RunnerRecord = {
    tool: 'dpdk-hotplug lab run',
    inventory: 'inventory.json',
    runner: 'virtual-uio',
    machine: { hostname: 'virtual-uio-guest', kernel: 'Linux 6.1.0', dpdk: '22.11.11' },
    duts,
    startedAt: `2026-12-07T0${n}:00:00.000Z`,
    ...(finished ? { finishedAt: `2026-12-07T0${n}:30:00.000Z`, exitCode: 1 } : {}),
  };
  writeFileSync(join(folder, 'runner.json'), JSON.stringify(record));
  if (run) writeFileSync(join(folder, 'certify', 'summary.json'), JSON.stringify(run));
  if (blob) writeFileSync(join(folder, 'certify', 'blob', 'report-1.zip'), `attempt ${n}`);
}

describe('combineAttempts', () => {
  const STALL = 'the guest stalled: nothing moved in the guest for 600 s; stopped';

  /**
   * Steps: attempt 1 of four DUTs stalls in c's check 110 (a CERTIFIED, b FAILED, d not
   * reached); attempt 2, a fresh guest, runs c and d and finishes; combine them, then lab merge
   * the combined folder.
   * Verify: one lab run folder with the four DUTs: a and b from attempt 1 (b's FAIL kept), c and
   * d from attempt 2, c saying attempt 1 stalled in its check 110 and where those results are;
   * the runner finished (attempt 2 did), no exit code; both blobs kept; the merge's runner note
   * and verdict table name the stall, its reason, c and 110, the second guest and each attempt.
   */
  it('makes one lab run folder of two attempts, which lab merge reads', async () => {
    const into = join(work, 'virtual-uio');
    const first = summary([
      dut('a', all(), 'CERTIFIED'),
      dut('b', all(104), 'FAILED'),
      dut('c', [check(101), check(102), check(103), check(104)], 'INCONCLUSIVE'),
      dut('d', [], 'INCONCLUSIVE'),
    ]);
    attemptFolder(into, 1, ['a', 'b', 'c', 'd'], first, false, true);
    const decision = retryDecision({
      attempt: 1,
      end: 'stalled',
      planned: ['a', 'b', 'c', 'd'],
      summary: first,
    });
    if (!decision.retry) throw new Error('expected a retry');
    attemptFolder(
      into,
      2,
      decision.duts,
      summary([dut('c', all(), 'CERTIFIED'), dut('d', all(), 'CERTIFIED')], 'passed'),
      true,
      true,
    );
    const attempts: RunnerAttempt[] = [
      {
        number: 1,
        folder: 'attempts/1',
        duts: ['a', 'b', 'c', 'd'],
        end: 'stalled',
        why: STALL,
        inFlight: decision.inFlight!,
      },
      { number: 2, folder: 'attempts/2', duts: decision.duts, end: 'finished' },
    ];
    const record = combineAttempts(into, attempts)!;
    expect(record.duts).toEqual(['a', 'b', 'c', 'd']);
    expect(record.finishedAt).toBe('2026-12-07T02:30:00.000Z');
    expect(record.exitCode).toBeUndefined();
    expect(JSON.parse(readFileSync(join(into, 'runner.json'), 'utf8')).attempts).toEqual(attempts);
    const run = JSON.parse(readFileSync(join(into, 'certify', 'summary.json'), 'utf8')) as RunSummary;
    expect(run.duts.map((d) => [d.name, d.verdict, d.attempt?.number])).toEqual([
      ['a', 'CERTIFIED', 1],
      ['b', 'FAILED', 1],
      ['c', 'CERTIFIED', 2],
      ['d', 'CERTIFIED', 2],
    ]);
    expect(run.duts[2]!.attempt!.earlier).toBe(
      "attempt 1's guest stalled in c after check 104 (the last to end; 101 PASS, 102 PASS, 103 PASS, 104 PASS ended; not reached: 110, 111, 106, 112, 108, 109); those results are in attempts/1",
    );
    expect(run.duts[3]!.attempt!.earlier).toBe("attempt 1's guest stalled before it");
    expect(readFileSync(join(into, 'certify', 'blob', 'attempt-1-report-1.zip'), 'utf8')).toBe('attempt 1');
    expect(readFileSync(join(into, 'certify', 'blob', 'attempt-2-report-1.zip'), 'utf8')).toBe('attempt 2');
    expect(readFileSync(join(into, 'certify', 'summary.md'), 'utf8')).toContain(
      "Results of the runner's attempt 2: attempt 1's guest stalled in c after check 104 (the last to end; 101 PASS, 102 PASS, 103 PASS, 104 PASS ended; not reached: 110, 111, 106, 112, 108, 109); those results are in attempts/1.",
    );
    // Not zips: Playwright's merge-reports is not what this test is about.
    rmSync(join(into, 'certify', 'blob'), { recursive: true });

    const out = join(work, 'merged');
    const merged = await labMerge([into], out);
    const [runner] = merged.summary.runners;
    expect(runner!.ended).toBe('finished');
    expect(runner!.notRun).toEqual([]);
    expect(runner!.note).toBe(
      `attempt 1 (4 DUT(s), folder attempts/1): stopped in c after check 104 (the last to end; 101 PASS, 102 PASS, 103 PASS, 104 PASS ended; not reached: 110, 111, 106, 112, 108, 109); ${STALL}. attempt 2 (a fresh guest, folder attempts/2) ran again the 2 DUT(s) attempt 1 had not finished (d, c): finished`,
    );
    const lines = mergeLines(merged, out);
    expect(lines[1]).toBe(`  ${runner!.note}`);
    expect(lines).toContain(`  ${'FAILED'.padEnd(23)} b (virtual-uio, attempt 1)`);
    expect(lines).toContain(`  ${'CERTIFIED'.padEnd(23)} c (virtual-uio, attempt 2)`);
    const md = readFileSync(join(out, 'summary.md'), 'utf8');
    expect(md).toContain('| c (attempt 2) |');
    expect(md).toContain(
      '- Runner virtual-uio: attempt 1 (4 DUT(s), folder attempts/1): stopped in c after check 104 (the last to end;',
    );
    expect(readFileSync(join(out, 'certificate.html'), 'utf8')).toContain('<ul id="runner-notes">');
  });

  /**
   * Steps: attempt 1 stalls in c (a complete); attempt 2 runs c and d, stalls too in d's check
   * 103 (c complete); combine and merge.
   * Verify: d's results are attempt 2's partial ones; the runner did not finish, so lab merge
   * says interrupted; its note says attempt 2 stalled too and that there is no attempt 3.
   */
  it('stops after a second stall: what it left stays unfinished', async () => {
    const into = join(work, 'twice');
    const first = summary([
      dut('a', all(), 'CERTIFIED'),
      dut('c', [check(101)], 'INCONCLUSIVE'),
      dut('d', [], 'INCONCLUSIVE'),
    ]);
    attemptFolder(into, 1, ['a', 'c', 'd'], first, false);
    const second = summary([
      dut('c', all(), 'CERTIFIED'),
      dut('d', [check(101), check(102)], 'INCONCLUSIVE'),
    ]);
    attemptFolder(into, 2, ['c', 'd'], second, false);
    const again = retryDecision({ attempt: 2, end: 'stalled', planned: ['c', 'd'], summary: second });
    expect(again.retry).toBe(false);
    combineAttempts(into, [
      {
        number: 1,
        folder: 'attempts/1',
        duts: ['a', 'c', 'd'],
        end: 'stalled',
        why: STALL,
        inFlight: unfinished(['a', 'c', 'd'], first).inFlight!,
      },
      {
        number: 2,
        folder: 'attempts/2',
        duts: ['c', 'd'],
        end: 'stalled',
        why: STALL,
        inFlight: unfinished(['c', 'd'], second).inFlight!,
      },
    ]);
    const merged = await labMerge([into], join(work, 'merged-twice'));
    expect(merged.summary.duts.map((d) => [d.name, d.attempt?.number, d.checks.length])).toEqual([
      ['a', 1, 10],
      ['c', 2, 10],
      ['d', 2, 2],
    ]);
    expect(merged.summary.runners[0]!.ended).toBe('interrupted');
    expect(merged.summary.runners[0]!.note).toContain(
      `attempt 2 (a fresh guest, folder attempts/2) ran again the 2 DUT(s) attempt 1 had not finished (c, d): stopped in d after check 102 (the last to end; 101 PASS, 102 PASS ended; not reached: 103, 104, 110, 111, 106, 112, 108, 109); ${STALL}; no attempt 3`,
    );
  });

  /**
   * Steps: neither attempt got to lab run (no runner.json in either).
   * Verify: nothing is combined (lab merge has no folder to read, as without the retry).
   */
  it('writes nothing when no attempt got to lab run', () => {
    const into = join(work, 'none');
    mkdirSync(join(into, 'attempts', '1'), { recursive: true });
    expect(
      combineAttempts(into, [{ number: 1, folder: 'attempts/1', duts: ['a'], end: 'crashed' }]),
    ).toBeUndefined();
    expect(existsSync(join(into, 'runner.json'))).toBe(false);
  });
});
