import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { outputFolder, readJsonFile, UsageError } from '@dpdk-hotplug/args';
import {
  certificateHtml,
  type DutSummary,
  type Expectation,
  type ExpectationResult,
  type ExpectedFindings,
  exitCodeOf,
  expectedFindings,
  judgeAgainst,
  notRunDut,
  type RunSummary,
  writeAtomic,
  writeJunit,
  writeSummary,
} from '@dpdk-hotplug/conformance/reports';
import { attemptsNote } from './attempts.js';
import { CERTIFY_FOLDER, RUNNER_RECORD, type RunnerRecord } from './record.js';

export interface MergedRunner extends RunnerRecord {
  folder: string;
  /** How the run ended: finished (with its exit code), or stopped before it finished. */
  ended: 'finished' | 'interrupted';
  notRun: string[];
  /** A runner of several attempts (a guest that stalled, then a fresh one): why, and what each ran. */
  note?: string;
}

export interface MergeResult {
  summary: Omit<RunSummary, 'runners'> & { runners: MergedRunner[] };
  /** Playwright's merge-reports: the blobs merged, and its exit code (undefined: no blob). */
  playwright?: { blobs: number; code: number };
  /** Against expectations (--expect, or DUTs' own files): each check's outcome, the exit code, what to print. */
  expected?: { results: ExpectationResult[]; code: number; lines: string[] };
}

/**
 * Without `lab merge --expect`: each runner's own `lab run --expect` findings, each narrowed to
 * that runner's DUTs (a runner's file says nothing of another's DUTs).
 */
function inheritedFindings(
  records: readonly RunnerRecord[],
  own: Record<string, Expectation[]>,
): ExpectedFindings | undefined {
  const given = records.filter((r) => r.expect);
  if (given.length === 0) return expectedFindings(undefined, [], own);
  return {
    files: given.map(
      (r) =>
        `${r.expect!.files.join(', ') || 'no file'} (lab run --expect ${r.expect!.given} of runner ${r.runner})`,
    ),
    list: given.flatMap((r) =>
      r.expect!.list.flatMap((e) =>
        e.dut !== undefined ? (r.duts.includes(e.dut) ? [e] : []) : r.duts.map((dut) => ({ ...e, dut })),
      ),
    ),
    own,
  };
}

/** A lab run folder's record; a folder that is not one is refused in one line. */
function readRecord(folder: string): RunnerRecord {
  const file = join(folder, RUNNER_RECORD);
  if (!existsSync(file))
    throw new UsageError(`${folder}: not a lab run folder (no ${RUNNER_RECORD}; lab run --out writes one)`);
  const record = readJsonFile('lab merge', file) as RunnerRecord;
  if (record?.tool !== 'dpdk-hotplug lab run' || !Array.isArray(record.duts))
    throw new UsageError(`${file}: not written by dpdk-hotplug lab run`);
  return record;
}

/**
 * `dpdk-hotplug lab merge`: one certification over every runner's folder. Each DUT keeps its
 * runner and that runner's machine facts; a DUT a runner was to certify but did not (it was
 * interrupted, or killed) is INCONCLUSIVE "not run", naming the runner. Playwright's
 * merge-reports makes one HTML report and one JUnit file of the runners' blob reports.
 */
export async function labMerge(folders: string[], outDir: string, expect?: string): Promise<MergeResult> {
  if (folders.length === 0) throw new UsageError('lab merge needs the folders of lab run (--out of each)');
  const runs = folders.map((f) => ({ folder: resolve(f), record: readRecord(f) }));
  // Known findings: --expect's (auto: the shipped file of each runner's DPDK, read here from the
  // records, never from a DPDK on this machine), else each runner's own `lab run --expect` as it
  // recorded it; and each DUT's own, as its runner recorded them.
  const own = Object.assign({}, ...runs.map((r) => r.record.expectations ?? {}));
  const findings =
    expect !== undefined
      ? expectedFindings(
          expect,
          runs.map((r) => r.record.machine.dpdk),
          own,
        )
      : inheritedFindings(
          runs.map((r) => r.record),
          own,
        );
  const out = outputFolder('--out', outDir);
  if (runs.some((r) => r.folder === out)) throw new UsageError(`--out ${out} is one of the folders to merge`);
  const duts: DutSummary[] = [];
  const runners: MergedRunner[] = [];
  const coreFindings: NonNullable<RunSummary['coreFindings']> = [];
  let checksPlanned = 0;
  const times: string[] = [];
  for (const { folder, record } of runs) {
    const file = join(folder, CERTIFY_FOLDER, 'summary.json');
    const run = existsSync(file) ? (readJsonFile('lab merge', file) as RunSummary) : undefined;
    const done = new Set((run?.duts ?? []).map((d) => d.name));
    const finished = record.finishedAt !== undefined && run !== undefined && run.status !== 'interrupted';
    for (const d of run?.duts ?? [])
      duts.push({ ...d, runner: d.runner ?? record.runner, machine: record.machine });
    const notRun = record.duts.filter((name) => !done.has(name));
    for (const name of notRun)
      duts.push(
        notRunDut(
          {
            name,
            pmd: '',
            devargs: '',
            runner: record.runner,
            dpdkVersion: `DPDK ${record.machine.dpdk}`,
            planned: [],
          },
          `runner ${record.runner}${record.shard ? ` (shard ${record.shard})` : ''} on ${record.machine.hostname} ${finished ? 'did not certify it' : 'stopped before it'} (${folder})`,
        ),
      );
    for (const f of run?.coreFindings ?? [])
      if (!coreFindings.some((c) => c.check === f.check && c.dpdkVersion === f.dpdkVersion))
        coreFindings.push(f);
    checksPlanned = Math.max(checksPlanned, run?.checksPlanned ?? 0);
    times.push(record.startedAt, ...(record.finishedAt ? [record.finishedAt] : []));
    runners.push({
      ...record,
      folder,
      ended: finished ? 'finished' : 'interrupted',
      notRun,
      ...(record.attempts?.length ? { note: attemptsNote(record.attempts) } : {}),
    });
  }
  const seen = new Map<string, string>();
  for (const d of duts) {
    const other = seen.get(d.name);
    if (other !== undefined && other !== d.runner)
      throw new UsageError(
        `DUT ${d.name} comes from runners ${other} and ${d.runner}: merge one run of each`,
      );
    seen.set(d.name, d.runner ?? '');
  }
  times.sort();
  const summary: MergeResult['summary'] = {
    startedAt: times[0]!,
    finishedAt: times.at(-1)!,
    status: runners.every((r) => r.ended === 'finished') ? 'passed' : 'interrupted',
    checksPlanned,
    duts,
    ...(coreFindings.length ? { coreFindings } : {}),
    runners,
  };
  writeSummary(out, summary);
  writeAtomic(out, 'certificate.html', certificateHtml(summary));
  const expected = findings ? judgeAgainst(out, summary, findings) : undefined;
  if (!expected) writeJunit(out, summary);
  const playwright = await mergeBlobs(
    runs.map((r) => join(r.folder, CERTIFY_FOLDER, 'blob')),
    out,
  );
  return { summary, ...(playwright ? { playwright } : {}), ...(expected ? { expected } : {}) };
}

/** Playwright's merge-reports over every runner's blob: OUT/html (junit.xml is the summary's, above). */
async function mergeBlobs(
  blobDirs: string[],
  out: string,
): Promise<{ blobs: number; code: number } | undefined> {
  const inputs = join(out, 'blob-inputs');
  rmSync(inputs, { recursive: true, force: true });
  mkdirSync(inputs, { recursive: true });
  let blobs = 0;
  for (const dir of blobDirs.filter((d) => existsSync(d)))
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.zip'))) {
      copyFileSync(join(dir, f), join(inputs, f));
      blobs++;
    }
  if (blobs === 0) return undefined;
  const fromConformance = createRequire(
    createRequire(import.meta.url).resolve('@dpdk-hotplug/conformance/package.json'),
  );
  const cli = fromConformance.resolve('@playwright/test/cli');
  const code = await new Promise<number>((done) => {
    const child = spawn(process.execPath, [cli, 'merge-reports', '--reporter', 'html', inputs], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env,
        PLAYWRIGHT_HTML_OUTPUT_DIR: join(out, 'html'),
        PLAYWRIGHT_HTML_OPEN: 'never',
      },
    });
    child.on('exit', (c) => done(c ?? 1));
  });
  return { blobs, code };
}

/** The merged certification's lines for the terminal: runners, then each DUT's verdict. */
export function mergeLines(result: MergeResult, out: string): string[] {
  const lines = result.summary.runners.flatMap((r) => [
    `runner ${r.runner}${r.shard ? ` ${r.shard}` : ''} on ${r.machine.hostname} (${r.machine.kernel}, DPDK ${r.machine.dpdk}): ${r.ended}${r.exitCode !== undefined ? `, exit ${r.exitCode}` : ''}; ${r.duts.length - r.notRun.length} of ${r.duts.length} DUT(s) certified${r.notRun.length ? `, not run: ${r.notRun.join(', ')}` : ''}`,
    ...(r.note ? [`  ${r.note}`] : []),
  ]);
  for (const d of result.summary.duts)
    lines.push(
      `  ${d.verdict.padEnd(23)} ${d.name} (${d.runner}${d.attempt ? `, attempt ${d.attempt.number}` : ''})`,
    );
  lines.push(...(result.expected?.lines ?? []));
  lines.push(
    `${result.summary.duts.length} DUT(s) from ${result.summary.runners.length} runner(s); ${join(out, 'summary.md')}, certificate.html, junit.xml${
      result.playwright
        ? `, html/ from ${result.playwright.blobs} blob report(s)`
        : ', no blob report to merge'
    }`,
  );
  return lines;
}

/** certify's: about regressions only when there were expectations, else the verdicts'. */
export const mergedExitCode = (result: MergeResult) =>
  result.expected?.code ?? exitCodeOf(result.summary.duts);
