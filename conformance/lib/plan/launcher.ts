/**
 * The one launcher of a certification: takes a `CertificationPlan` (from `certify`'s command line
 * or `lab run`), refuses DUTs that name no device here, claims the report folder, sets the run's
 * environment, leaves out the DUTs their runner is not prepared for, writes the plan file and runs
 * Playwright on it, then prints the verdicts and returns the exit code (against expectations when
 * the plan has them).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEVARGS_BUDGET_ENV, DEVARGS_PATHS_ENV, DPDK_ENV, findDpdk, SYSFS_ENV } from '@dpdk-hotplug/ethdev';
import { createHost } from '@dpdk-hotplug/linux';
import { ledgerOf } from '../common/ledger.js';
import { PROGRESS_MARKER } from '../common/markers.js';
import { outliveClosedOutput, PARENT_PIPE_ENV, stopRunNow, watchParent } from '../common/parent-watch.js';
import { describeProgress, readProgress } from '../common/progress.js';
import { DRIVERS_ENV } from '../common/run-drivers.js';
import { unpreparedDuts } from '../lab/runner-prepare.js';
import type { Dut } from '../model/dut.js';
import { exitCodeOf, type RunSummary, writeSummary } from '../model/summary.js';
import { dutNotRun } from '../model/verdict.js';
import { judgeAgainst } from '../reports/expectations.js';
import { writeJunit } from '../reports/junit.js';
import { type CertificationPlan, PLAN_ENV, writePlanFile } from './certification-plan.js';
import { refuseUnknownDuts } from './dut-exists.js';
import { claimReportFolder } from './report-folder.js';

const version = (): string =>
  (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/**
 * Runs the certification `plan`; resolves with the exit code. Throws UsageError (before anything
 * runs) for a DUT that names no device here or a report folder that is not ours.
 */
export async function launch(plan: CertificationPlan): Promise<number> {
  await refuseUnknownDuts(plan.dutDevices, { dpdk: plan.dpdk, extraNames: plan.driverNames });
  const folder = claimReportFolder(plan.out, version());
  process.once('exit', folder.release);
  // A reader of our output that goes away (a closed pipe) must not end the run before its reports.
  outliveClosedOutput();
  // The suite's processes (runner, workers, their children) load the DPDK --dpdk gave.
  if (plan.dpdk.given) {
    process.env[DPDK_ENV] = plan.dpdk.prefix;
    // That DPDK's testpmd (checks 16 and 17), not the one of the system's DPDK on PATH. An
    // installed one finds its libraries by soname: that DPDK's libdir first, for the whole run
    // (the SDK's own processes load the same libraries by path already).
    const own = ['bin', 'app']
      .map((d) => join(plan.dpdk.prefix, d))
      .find((d) => existsSync(join(d, 'dpdk-testpmd')));
    if (own) process.env.PATH = `${own}:${process.env.PATH ?? ''}`;
    if (own?.endsWith('/bin'))
      process.env.LD_LIBRARY_PATH = [plan.dpdk.libdir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  }
  if (plan.drivers.length) process.env[DRIVERS_ENV] = plan.drivers.join(':');
  // And the folders their devargs may use (the SDK reads it where Eal.init is given none).
  if (plan.devargsPaths) process.env[DEVARGS_PATHS_ENV] = plan.devargsPaths.join(':');
  if (plan.devargsBudgetMb !== undefined) process.env[DEVARGS_BUDGET_ENV] = String(plan.devargsBudgetMb);
  if (plan.sysfs !== undefined) process.env[SYSFS_ENV] = plan.sysfs;
  // Inventory DUTs their runner is not prepared for are not run: INCONCLUSIVE, saying why.
  const unprepared = plan.inventory
    ? (
        await unpreparedDuts(createHost(), plan.inventory.runners, () => findDpdk(), plan.inventory.file)
      ).filter((u) => plan.duts.some((d) => d.name === u.name))
    : [];
  // The PCI checks need a lab that can take the NIC away: lab run names its runner's.
  if (!plan.pciLab)
    for (const d of plan.duts)
      if (d.pci?.unplug && !unprepared.some((u) => u.name === d.name))
        unprepared.push(
          dutNotRun(
            d,
            `DPDK ${plan.dpdk.version}`,
            `its PCI checks (removal ${d.pci.removal ?? 'by the lab'}) need the runner's lab: certify it with dpdk-hotplug lab run --inventory ${plan.inventory?.file ?? 'FILE'} --runner ${d.runner ?? 'NAME'}`,
          ),
        );
  const toRun = plan.duts.filter((d) => !unprepared.some((u) => u.name === d.name));
  const planFile = join(plan.out, 'plan.json');
  // The launcher's own fields stay here; the suite's plan goes to the file.
  const {
    inventory: _inventory,
    dutDevices: _dutDevices,
    driverNames: _driverNames,
    stopGraceMs,
    ...suite
  } = plan;
  writePlanFile(planFile, { ...suite, duts: toRun });
  for (const u of unprepared)
    console.log(`not run: ${u.name}: ${u.verdictReasons![0]!.replace(/^not run: /, '')}`);
  const here = dirname(fileURLToPath(import.meta.url));
  // The compiled config (see playwright.config.ts): Playwright compiles no TypeScript in node_modules.
  const config = join(here, '..', '..', 'playwright.config.js');
  const playwright = createRequire(import.meta.url).resolve('@playwright/test/cli');
  const code =
    toRun.length === 0
      ? 0
      : await runSuite(planFile, config, playwright, toRun, plan.dpdk, plan.out, stopGraceMs);
  folder.release();
  const summaryFile = join(plan.out, 'summary.json');
  if (unprepared.length) {
    const now = new Date().toISOString();
    const run: RunSummary = existsSync(summaryFile)
      ? (JSON.parse(readFileSync(summaryFile, 'utf8')) as RunSummary)
      : { startedAt: now, finishedAt: now, status: 'passed', checksPlanned: 0, duts: [] };
    writeSummary(plan.out, { ...run, duts: [...run.duts, ...unprepared] });
  }
  if (!existsSync(summaryFile)) {
    console.error('dpdk-hotplug: the suite wrote no summary; see the output above');
    return code || 1;
  }
  const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as RunSummary;
  console.log('\nverdicts:');
  for (const d of summary.duts) {
    console.log(`  ${d.verdict.padEnd(23)} ${d.name}`);
    for (const why of d.verdictReasons ?? []) console.log(`      ${why.split('\n')[0]!.slice(0, 160)}`);
  }
  for (const f of summary.coreFindings ?? [])
    console.log(`  DPDK core finding (${f.dpdkVersion}), check ${f.check}: ${f.reason} — ${f.evidence}`);
  console.log(closingLines(plan.out));
  if (plan.repro) console.log(`reproducers: ${join(plan.repro.dir, 'README.md')}`);
  if (!plan.expect) {
    writeJunit(plan.out, summary);
    return exitCodeOf(summary.duts);
  }
  const judged = judgeAgainst(plan.out, summary, plan.expect);
  console.log(`\n${judged.lines.join('\n')}`);
  return judged.code;
}

/** What certify prints when a signalled run did not stop within its --stop-grace. */
export const GRACE_OVER = 'the run did not stop gracefully in time';

/** Runs Playwright on the plan file; resolves with its exit code. */
function runSuite(
  planFile: string,
  config: string,
  playwright: string,
  duts: readonly Dut[],
  dpdk: { version: string; prefix: string },
  out: string,
  stopGraceMs: number,
): Promise<number> {
  console.log(
    `certifying ${duts.length} DUT(s) with DPDK ${dpdk.version} (${dpdk.prefix}): ${duts.map((d) => d.name).join(', ')}`,
  );
  return new Promise<number>((done) => {
    // Playwright runs in a process group of its own, so that a stop reaches all of it (runner,
    // workers, their children) through this process: SIGINT, SIGTERM and SIGHUP are forwarded to
    // the runner alone as SIGINT, the one signal it stops on gracefully (it stops its workers,
    // finishes the reports, and its global teardown gives back hugepages and mounts). Not to the
    // group: a worker still booting has not yet set Playwright's handler that ignores SIGINT, dies
    // of it, and its check would read as a crash (FAILED). A second signal, or the grace's end,
    // kills the group. Its stdin is a pipe from here: if this process dies, even by SIGKILL, the
    // pipe closes and the runner stops its group (lib/common/parent-watch.ts).
    // Started by a launcher that passes a pipe (npm run certify): its death stops the run too.
    watchParent(() => {
      console.error('the command that started dpdk-hotplug certify is gone: stopping the run');
      process.exit(1);
    });
    const child = spawn(process.execPath, [playwright, 'test', '-c', config], {
      stdio: ['pipe', 'inherit', 'inherit'],
      detached: true,
      env: { ...process.env, [PLAN_ENV]: planFile, [PARENT_PIPE_ENV]: '1' },
    });
    // The first signal asks Playwright to stop (reports, teardown); a second one, or a run still
    // going stopGraceMs later (a slow teardown, a worker that missed the SIGINT), stops its group
    // at once.
    let force: NodeJS.Timeout | undefined;
    const stopNow = () => {
      if (child.pid !== undefined && child.exitCode === null) stopRunNow(child.pid, ledgerOf(out));
    };
    const graceOver = () => {
      // Where each DUT's worker was (its progress file): what a slow stop was waiting for.
      const where = duts
        .map((d) => {
          const at = describeProgress(readProgress(join(out, 'results', d.name, PROGRESS_MARKER)));
          return `${d.name}: ${at ?? 'no check begun'}`;
        })
        .join('; ');
      console.error(
        `dpdk-hotplug certify: ${GRACE_OVER} (${stopGraceMs / 1000} s, --stop-grace; ${where}): stopping its processes now; the reports keep what was written`,
      );
      stopNow();
    };
    const forward = () => {
      if (force) return stopNow();
      force = setTimeout(graceOver, stopGraceMs);
      try {
        if (child.pid !== undefined) process.kill(child.pid, 'SIGINT');
      } catch {}
    };
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    for (const s of signals) process.on(s, forward);
    child.on('exit', (c, signal) => {
      clearTimeout(force);
      for (const s of signals) process.off(s, forward);
      child.stdin?.destroy();
      done(c ?? (signal ? 1 : 0));
    });
  });
}

/**
 * The certificate's path and the reports the run left: a run stopped before Playwright's own
 * reporters finished has no results.json or html/, and says so rather than naming them.
 * junit.xml is written after these lines, from the summary.
 */
function closingLines(out: string): string {
  const reports = ['summary.md', 'summary.json', 'junit.xml', 'results.json', 'html/index.html'];
  const there = (f: string) => f === 'junit.xml' || existsSync(join(out, f));
  const missing = reports.filter((f) => !there(f));
  const certificate = existsSync(join(out, 'certificate.html'))
    ? join(out, 'certificate.html')
    : 'not written (the run was stopped before its reporter ended)';
  return [
    `\ncertificate: ${certificate}`,
    `reports: ${reports.filter(there).join(', ')}`,
    ...(missing.length ? [`not written (the run was stopped first): ${missing.join(', ')}`] : []),
  ].join('\n');
}
