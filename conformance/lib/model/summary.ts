/** The certification summary of a run: per DUT, each check's result, and a verdict. */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CheckClass, classOf } from './catalogue.js';
import type { RunFacts } from './run-facts.js';

/**
 * The format of summary.json, raised when a field changes meaning or goes away (adding one does
 * not): 1 added it, with `facts`, `reports` and each DUT's `requiredNotRun`.
 */
export const SUMMARY_FORMAT = 1;

export type CheckStatus = 'PASS' | 'FAIL' | 'SKIP';
export type Verdict = 'CERTIFIED' | 'CERTIFIED WITH WARNINGS' | 'FAILED' | 'INCONCLUSIVE';
/** Whose a failure is: the PMD under test, DPDK's core (ethdev, EAL), the machine, or this suite. */
export type Fault = 'pmd' | 'dpdk' | 'environment' | 'suite';

export interface CheckResult {
  id: number;
  title: string;
  status: CheckStatus;
  /** From the catalogue; filled in by the reporter. */
  class?: CheckClass;
  /** Why it failed or was skipped; what it measured when it passed. */
  reason?: string;
  /** A failure's owner (unset: the PMD). */
  fault?: Fault;
  /** What supports the attribution: the step and cycle, a control's result, the machine's limit. */
  evidence?: string[];
  /** A check skipped or failed for the machine: what the machine needs to run it. */
  needs?: string;
  /** A failure's reproducer (certify --repro): its README, relative to the reports folder. */
  repro?: string;
  notes: string[];
  durationMs: number;
}

export interface DutSummary {
  name: string;
  pmd: string;
  devargs: string;
  pci?: Record<string, unknown>;
  /** The lab runner it was certified on (inventory DUTs), and that machine's facts (lab merge). */
  runner?: string;
  machine?: { hostname: string; kernel: string; dpdk: string };
  dpdkVersion: string;
  /** What traffic the suite could observe on the DUT, or why none. */
  traffic?: string;
  /** The checks planned for this DUT (ids). */
  planned?: number[];
  checks: CheckResult[];
  leaks?: { resource: string; slope: number; growth: number; leaks: boolean }[];
  latency?: { cycles: number; attachMs: Record<string, number>; detachMs: Record<string, number> };
  verdict: Verdict;
  /** Why the suite did not run this DUT at all, when it did not (verdict.ts's notRunDut). */
  notRun?: string;
  /** Why the verdict is not CERTIFIED. */
  verdictReasons?: string[];
  /** In summary.json (writeSummary): the required checks skipped or not run, and why. */
  requiredNotRun?: CoverageGap[];
  /** A lab runner that ran again what a stalled guest left: which attempt these results are from. */
  attempt?: DutAttempt;
}

/** Which of its runner's attempts a DUT's results come from (hil's runner/attempts.ts). */
export interface DutAttempt {
  /** 1: the runner's first guest; 2: the fresh guest that ran what the first left unfinished. */
  number: number;
  /** What an earlier attempt did with this DUT, when it did (the check a stalled guest was in). */
  earlier?: string;
}

/** "attempt 2: attempt 1's guest stalled in check 110 …": which attempt a verdict comes from. */
export const attemptLine = (a: DutAttempt) => `attempt ${a.number}${a.earlier ? `: ${a.earlier}` : ''}`;

/** A check that fails for every PMD: DPDK's, listed once. */
export interface CoreFinding {
  check: number;
  dpdkVersion: string;
  duts: string[];
  reason: string;
  evidence: string;
}

/** A report beside the summary, by its path relative to the report folder. */
export interface ReportLink {
  label: string;
  href: string;
  /** A trace: the DUT and check it belongs to, when its folder's name says. */
  dut?: string;
  check?: number;
}

/** A required check a DUT's verdict stands without: skipped or not run, and why. */
export interface CoverageGap {
  check: number;
  title: string;
  status: 'SKIP' | 'NOT RUN';
  why: string;
}

export interface RunSummary {
  /** {@link SUMMARY_FORMAT}, set by writeSummary. */
  formatVersion?: number;
  /** The suite, Node, DPDK, kernel, machine, command line and settings of the run. */
  facts?: RunFacts;
  /** The other reports of the run (Playwright's HTML report, JUnit, traces) that exist. */
  reports?: ReportLink[];
  startedAt: string;
  finishedAt?: string;
  status: 'running' | 'passed' | 'failed' | 'interrupted' | 'timedout';
  checksPlanned: number;
  duts: DutSummary[];
  coreFindings?: CoreFinding[];
  /** A lab merge: each runner, its machine, and the DUTs it did not reach. */
  runners?: {
    runner: string;
    shard?: string;
    machine: { hostname: string; kernel: string; dpdk: string };
    ended: 'finished' | 'interrupted';
    duts: string[];
    notRun: string[];
    /** What else happened to its run: a guest that stalled, and what a second guest ran. */
    note?: string;
  }[];
}

/** Exit codes of `certify` and the lab: 0 certified (warnings allowed), 1 failed, 3 inconclusive. */
export function exitCodeOf(duts: readonly DutSummary[]): number {
  if (duts.some((d) => d.verdict === 'FAILED')) return 1;
  if (duts.some((d) => d.verdict === 'INCONCLUSIVE')) return 3;
  return 0;
}

/**
 * The required checks planned for a DUT that did not run or were skipped, with the reason: what
 * its verdict stands without (a skip that "does not apply" still leaves that contract unproven).
 */
export function coverageOf(d: DutSummary): CoverageGap[] {
  const gaps: CoverageGap[] = [];
  const ids = [...new Set([...(d.planned ?? []), ...d.checks.map((c) => c.id)])].sort((a, b) => a - b);
  for (const id of ids) {
    if (classOf(id) !== 'required') continue;
    const c = d.checks.find((x) => x.id === id);
    if (!c)
      gaps.push({
        check: id,
        title: `check ${id}`,
        status: 'NOT RUN',
        why: 'did not run (the run ended first)',
      });
    else if (c.status === 'SKIP')
      gaps.push({
        check: id,
        title: c.title,
        status: 'SKIP',
        why: [c.reason ?? 'skipped', c.needs && `needs ${c.needs}`].filter(Boolean).join('; '),
      });
  }
  return gaps;
}

/** One line per DUT that has coverage gaps: "required check 14 skipped: why". */
export function coverageLine(gaps: readonly CoverageGap[]): string {
  return gaps
    .map((g) => `required check ${g.check} ${g.status === 'SKIP' ? 'skipped' : 'not run'}: ${g.why}`)
    .join('; ');
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const fmt = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(3));

export function toMarkdown(run: RunSummary): string {
  const lines = [
    '# dpdk-hotplug certification',
    '',
    `Run ${run.startedAt}${run.finishedAt ? ` → ${run.finishedAt}` : ''}: ${run.status}.`,
    '',
    ...factLines(run.facts).map((l) => `- ${l}`),
    ...(run.reports?.length
      ? [`- Reports: ${run.reports.map((r) => `[${r.label}](${r.href})`).join(', ')}`]
      : []),
    ...(run.facts || run.reports?.length ? [''] : []),
    '| DUT | PMD | verdict | pass | fail | skip |',
    '| --- | --- | --- | --- | --- | --- |',
    ...run.duts.map((d) => {
      const n = (s: CheckStatus) => d.checks.filter((c) => c.status === s).length;
      return `| ${d.name}${d.attempt ? ` (attempt ${d.attempt.number})` : ''} | ${d.pmd} | **${d.verdict}** | ${n('PASS')} | ${n('FAIL')} | ${n('SKIP')} |`;
    }),
  ];
  if (run.runners?.length) {
    lines.push(
      '',
      '## Runners',
      '',
      '| runner | machine | kernel | DPDK | run | DUTs | not run |',
      '| --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const r of run.runners)
      lines.push(
        `| ${r.runner}${r.shard ? ` (${r.shard})` : ''} | ${r.machine.hostname} | ${r.machine.kernel} | ${r.machine.dpdk} | ${r.ended} | ${r.duts.length} | ${r.notRun.join(', ') || '—'} |`,
      );
    const notes = run.runners.filter((r) => r.note);
    if (notes.length) lines.push('', ...notes.map((r) => `- Runner ${r.runner}: ${cell(r.note!)}`));
  }
  if (run.coreFindings?.length) {
    lines.push('', '## DPDK core findings', '', 'Failures of every PMD, not held against any of them:', '');
    for (const f of run.coreFindings)
      lines.push(`- ${f.dpdkVersion}, check ${f.check}: ${cell(f.reason)} (${f.evidence})`);
  }
  for (const d of run.duts) {
    lines.push(
      '',
      `## ${d.name}: ${d.verdict}`,
      '',
      `PMD ${d.pmd}, devargs \`${d.devargs}\`, ${d.dpdkVersion}${d.runner ? `, runner ${d.runner}${d.machine ? ` (${d.machine.hostname}, ${d.machine.kernel})` : ''}` : ''}.`,
      '',
    );
    if (d.traffic) lines.push(`Traffic: ${d.traffic}.`, '');
    if (d.attempt) lines.push(`Results of the runner's ${cell(attemptLine(d.attempt))}.`, '');
    if (d.verdictReasons?.length) lines.push(...d.verdictReasons.map((r) => `- ${cell(r)}`), '');
    const gaps = coverageOf(d);
    if (gaps.length) lines.push(`Coverage: ${cell(coverageLine(gaps))}.`, '');
    // A PCI DUT says what it was: NIC model, userspace and kernel drivers, and the lab's versions.
    const pci = Object.entries(d.pci ?? {}).filter(
      ([, v]) => v !== undefined && v !== null && typeof v !== 'object',
    );
    if (pci.length) lines.push(`PCI: ${pci.map(([k, v]) => `${k} ${v}`).join(', ')}.`, '');
    lines.push('| check | class | result | whose | details |', '| --- | --- | --- | --- | --- |');
    for (const c of d.checks) {
      const details = cell(
        [
          c.reason,
          c.needs && `needs ${c.needs}`,
          ...(c.evidence ?? []),
          ...c.notes,
          c.repro && `[reproducer](${c.repro})`,
        ]
          .filter(Boolean)
          .join('; '),
      );
      const whose = c.status === 'FAIL' ? (c.fault ?? 'pmd') : '';
      lines.push(`| ${c.title} | ${c.class ?? ''} | ${c.status} | ${whose} | ${details} |`);
    }
    if (d.leaks?.length) {
      lines.push('', '| resource | slope per cycle | fitted growth | leaks |', '| --- | --- | --- | --- |');
      for (const l of d.leaks)
        lines.push(`| ${l.resource} | ${fmt(l.slope)} | ${fmt(l.growth)} | ${l.leaks ? '**yes**' : 'no'} |`);
    }
    if (d.latency) {
      const { attachMs: a, detachMs: x } = d.latency;
      lines.push(
        '',
        `Latency over ${d.latency.cycles} cycles: attach p50 ${fmt(a.p50!)} ms, p99 ${fmt(a.p99!)} ms, max ${fmt(a.max!)} ms; detach p50 ${fmt(x.p50!)} ms, p99 ${fmt(x.p99!)} ms, max ${fmt(x.max!)} ms.`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The one writer of a certification summary: `summary.json` and `summary.md` in `dir`, each
 * written whole and renamed, so a reader (or a run killed half-way) never sees half a file.
 */
export function writeSummary(dir: string, run: RunSummary): void {
  const json = {
    ...run,
    formatVersion: SUMMARY_FORMAT,
    duts: run.duts.map(({ requiredNotRun: _old, ...d }) => {
      const gaps = coverageOf(d);
      return gaps.length ? { ...d, requiredNotRun: gaps } : d;
    }),
  };
  writeAtomic(dir, 'summary.json', `${JSON.stringify(json, null, 2)}\n`);
  writeAtomic(dir, 'summary.md', toMarkdown(run));
}

/** The run's facts as lines of text: suite, Node, DPDK, kernel, machine, command, settings. */
export function factLines(facts: RunFacts | undefined): string[] {
  if (!facts) return [];
  const { suite, dpdk, machine: m, settings: s } = facts;
  const commit = suite.commit
    ? `, commit ${suite.commit.slice(0, 12)}${suite.modified ? ' (with uncommitted changes)' : ''}`
    : '';
  const lines = [
    `Suite: ${suite.name} ${suite.version}${commit}`,
    `Node ${facts.node}; DPDK ${dpdk.version} at ${dpdk.prefix} (from ${dpdk.from}); ${facts.kernel}`,
    `Machine: ${m.hostname}, ${m.cpu}, ${m.cores} cores, ${m.arch}, ${m.memoryGiB} GiB`,
  ];
  if (facts.command) lines.push(`Command: \`${facts.command}\``);
  if (s)
    lines.push(
      `Settings: ${s.cycles} cycles${s.forceCycles ? ' (forced on every DUT)' : " (a DUT's own cap applies)"}, budget ${s.budgetS} s per DUT${s.workers ? `, ${s.workers} workers` : ''}, expectations ${s.expectations ?? 'none'}`,
    );
  return lines;
}

/** Writes a file whole and renames it into place. */
export function writeAtomic(dir: string, name: string, body: string): void {
  const tmp = join(dir, `.${name}.${process.pid}.tmp`);
  writeFileSync(tmp, body);
  renameSync(tmp, join(dir, name));
}
