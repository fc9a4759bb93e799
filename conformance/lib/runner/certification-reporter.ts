import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { currentDpdk } from '@dpdk-hotplug/ethdev';
import type {
  FullConfig,
  FullResult,
  Reporter,
  Suite,
  TestCase,
  TestResult,
} from '@playwright/test/reporter';
import { FINDING_ANNOTATIONS, findingOf } from '../common/check-findings.js';
import { type CycleRecord, readCycles } from '../common/cycles.js';
import { HANG_MARKER, PROGRESS_MARKER } from '../common/markers.js';
import { describeProgress, readProgress } from '../common/progress.js';
import { readHangMarker } from '../common/watchdog.js';
import { classOf, idOfTitle } from '../model/catalogue.js';
import type { Dut } from '../model/dut.js';
import { collectRunFacts, type PlanFacts, readSuiteCommit } from '../model/run-facts.js';
import {
  type CheckResult,
  type DutSummary,
  type Fault,
  type RunSummary,
  writeAtomic,
  writeSummary,
} from '../model/summary.js';
import { attributeAcrossDuts, judgeDut, notRunDut } from '../model/verdict.js';
import { readPlanFile } from '../plan/certification-plan.js';
import { type CycleSeries, certificateHtml, reportLinks } from '../reports/certificate.js';
import { writeJunit } from '../reports/junit.js';
import { writeReproducers } from '../reports/repro.js';

const FAULTS: readonly Fault[] = ['pmd', 'dpdk', 'environment', 'suite'];
/** Why a DUT none of whose checks ended is INCONCLUSIVE (a run interrupted or crashed before it). */
const NOT_REACHED = 'the run ended before any of its checks';

/**
 * How often, at most, the reports are rewritten while checks pass or skip. Each write renders
 * the whole run (summary, JUnit, certificate), so a run's writes grow with the square of its
 * checks; in a lab's QEMU guest (120 checks, TCG, over 9p) this cadence took the runner's CPU
 * from 199 s to 166–169 s (docs/measurements.md, "Where a lab guest's time goes between checks
 * (16th session)").
 */
export const REPORT_EVERY_MS = 30_000;

/**
 * Writes summary.json|md, junit.xml and certificate.html into `outputDir` as checks end: a FAILED
 * check at once (a lab's host reads when a failure was first seen), the others at most every
 * REPORT_EVERY_MS, and all at the run's end. A run that is interrupted or whose worker crashes
 * keeps every result; one whose runner is killed outright keeps all but the passes and skips of
 * its last REPORT_EVERY_MS.
 */
export default class CertificationReporter implements Reporter {
  readonly #out: string;
  #run!: RunSummary;
  readonly #duts = new Map<string, DutSummary>();
  readonly #outputDirs = new Map<string, string>();
  /** Each project's DUTs, by name. */
  readonly #projectDuts = new Map<string, string[]>();
  #dpdkVersion = '';
  readonly #series: CycleSeries = {};
  readonly #repro: { dir: string; command: string } | undefined;
  readonly #dutSpecs: Dut[] = [];
  /** The suite's commit, read in the background from the run's start (see readSuiteCommit). */
  #suiteCommit: Promise<void> = Promise.resolve();

  readonly #reportEveryMs: number;
  /** When the reports were last written (Date.now()), and the write pending after it, if any. */
  #wroteAt = Number.NEGATIVE_INFINITY;
  #pending: NodeJS.Timeout | undefined;

  constructor(options: {
    outputDir: string;
    repro?: { dir: string; command: string };
    reportEveryMs?: number;
  }) {
    this.#out = options.outputDir;
    this.#repro = options.repro;
    this.#reportEveryMs = options.reportEveryMs ?? REPORT_EVERY_MS;
  }

  printsToStdio(): boolean {
    return false;
  }

  onBegin(config: FullConfig, suite: Suite): void {
    mkdirSync(this.#out, { recursive: true });
    const dpdkVersion = dpdkVersionString();
    this.#dpdkVersion = dpdkVersion;
    const planned = new Set<number>();
    // A project checks one vdev DUT (`dut`) or a group of lab DUTs (`pciDuts`), each of those
    // a describe named after it (lib/worker/pci-lab.ts): results are the DUT's, not the project's.
    const specs = new Map<string, Dut>();
    for (const project of config.projects) {
      const use = project.use as { dut?: Dut; pciDuts?: Dut[] };
      const duts = use.pciDuts ?? (use.dut ? [use.dut] : []);
      this.#projectDuts.set(
        project.name,
        duts.map((d) => d.name),
      );
      this.#outputDirs.set(project.name, project.outputDir);
      for (const dut of duts) {
        this.#dutSpecs.push(dut);
        specs.set(dut.name, dut);
      }
    }
    const plannedOf = new Map<string, number[]>();
    for (const projectSuite of suite.suites) {
      const names = this.#projectDuts.get(projectSuite.project()?.name ?? '') ?? [];
      for (const name of names)
        plannedOf.set(
          name,
          projectSuite
            .allTests()
            .filter((t) => names.length === 1 || t.parent.title === name)
            .map((t) => idOfTitle(t.title)),
        );
    }
    for (const test of suite.allTests()) planned.add(idOfTitle(test.title));
    // Not run until one of its checks ends: a run that ends first leaves it saying so.
    for (const [name, dut] of specs)
      this.#duts.set(
        name,
        notRunDut(
          {
            name: dut.name,
            pmd: dut.pmd,
            devargs: dut.devargs,
            pci: dut.pci,
            ...(dut.runner ? { runner: dut.runner } : {}),
            traffic: describeTraffic(dut),
            dpdkVersion,
            planned: plannedOf.get(name) ?? [...planned],
          },
          NOT_REACHED,
        ),
      );
    this.#run = {
      facts: collectRunFacts(planFacts()),
      startedAt: new Date().toISOString(),
      status: 'running',
      checksPlanned: planned.size,
      duts: [...this.#duts.values()],
    };
    this.#write();
    const facts = this.#run.facts;
    if (facts)
      this.#suiteCommit = readSuiteCommit().then((commit) => void Object.assign(facts.suite, commit));
  }

  /** The DUT a test checks: its project's one, or the one its describe names among the project's. */
  #dutOf(test: TestCase): string | undefined {
    const duts = this.#projectDuts.get(test.parent.project()?.name ?? '') ?? [];
    if (duts.length === 1) return duts[0];
    return duts.find((d) => d === test.parent.title);
  }

  onTestBegin(test: TestCase): void {
    process.stdout.write(`[${this.#dutOf(test) ?? test.parent.project()?.name}] ${test.title}\n`);
  }

  onTestEnd(test: TestCase, result: TestResult): void {
    const project = test.parent.project()?.name ?? '';
    const dut = this.#duts.get(this.#dutOf(test) ?? '');
    // A check cut short by Ctrl-C neither passed nor failed: it stays missing (INCONCLUSIVE).
    if (!dut || result.status === 'interrupted') return;
    // Runtime annotations are on the result and, in some Playwright versions, on the test too.
    const seen = new Set<string>();
    const annotations = [...(result.annotations ?? []), ...test.annotations].filter((a) => {
      const key = `${a.type}\0${a.description}`;
      return !seen.has(key) && seen.add(key);
    });
    const id = idOfTitle(test.title);
    const said = (type: string) => annotations.find((a) => a.type === type)?.description;
    const check: CheckResult = {
      id,
      title: test.title,
      class: classOf(id),
      status: result.status === 'passed' ? 'PASS' : result.status === 'skipped' ? 'SKIP' : 'FAIL',
      notes: annotations
        .filter((a) => a.type !== 'skip' && !FINDING_ANNOTATIONS.has(a.type) && a.description)
        .map((a) => `${a.type}: ${a.description}`),
      durationMs: result.duration,
    };
    // Whose a failure is, what the machine lacks, the evidence: typed, from the worker's findings.
    const finding = findingOf(result.attachments);
    if (finding.needs) check.needs = finding.needs;
    if (finding.evidence) check.evidence = finding.evidence;
    if (check.status === 'SKIP') check.reason = said('skip') ?? 'skipped';
    if (check.status === 'FAIL') {
      const { reason, where } = this.#failure(project, result);
      check.reason = reason;
      if (where) check.evidence = [...(check.evidence ?? []), `died at ${where}`];
      // A check that knows whose a failure is says so (its finding's `fault`); else the PMD's.
      if (finding.fault && FAULTS.includes(finding.fault)) check.fault = finding.fault;
    }
    for (const a of result.attachments) {
      if (!a.body) continue;
      if (a.name === 'leaks') dut.leaks = JSON.parse(a.body.toString());
      if (a.name === 'latency') dut.latency = JSON.parse(a.body.toString());
    }
    dut.checks = [...dut.checks.filter((c) => c.id !== check.id), check].sort((a, b) => a.id - b.id);
    delete dut.notRun; // it ran
    judgeDut(dut);
    this.#writeSoon(check.status === 'FAIL');
  }

  async onEnd(result: FullResult): Promise<void> {
    await this.#suiteCommit;
    this.#run.status = result.status;
    this.#run.finishedAt = new Date().toISOString();
    const core = attributeAcrossDuts(this.#run.duts, this.#dpdkVersion);
    if (core.length) this.#run.coreFindings = core;
    // The charts of the cycles each DUT ran (check 6's records, kept through crashes).
    for (const [project, dir] of this.#outputDirs) {
      const cycles = readCycles(dir);
      const duts = this.#projectDuts.get(project) ?? [];
      // Check 6's records: a vdev DUT's, the one of its project.
      const name = duts.length === 1 ? this.#duts.get(duts[0]!)?.name : undefined;
      if (!cycles?.records.length || !name) continue;
      const { records } = cycles;
      const pick = (f: (r: CycleRecord) => number | undefined) =>
        records.map(f).filter((v): v is number => typeof v === 'number');
      this.#series[name] = {
        'DPDK heap bytes': pick((r) => r.resources.dpdkHeapBytes),
        'open fds': pick((r) => r.resources.fds),
        'attach ms': pick((r) => r.attachMs),
      };
    }
    if (this.#repro) {
      // certify --repro: a C program per PMD finding, linked from its check.
      const dpdk = currentDpdk();
      const custom = dpdk.selectedBy !== 'pkg-config' ? { pcDir: dpdk.pcDir, libdir: dpdk.libdir } : {};
      writeReproducers(this.#run, this.#dutSpecs, this.#repro.dir, this.#out, {
        dpdk: { version: dpdk.version, ...custom },
        command: this.#repro.command,
      });
    }
    this.#write();
  }

  /** The first line of the error, or the crash or hang that ended the worker, and where it was. */
  #failure(project: string, result: TestResult): { reason: string; where?: string } {
    const message = result.errors.map((e) => e.message ?? '').join('\n');
    const dir = this.#outputDirs.get(project);
    const where = dir ? describeProgress(readProgress(join(dir, PROGRESS_MARKER))) : undefined;
    const hang = dir ? readHangMarker(join(dir, HANG_MARKER)) : undefined;
    if (hang && dir) {
      rmSync(join(dir, HANG_MARKER), { force: true });
      return {
        reason: `hung at ${where ?? `"${hang.hung}"`}: no progress within ${hang.timeoutMs} ms; the worker was killed`,
        ...(where ? { where } : {}),
      };
    }
    // Playwright: "Error: worker process exited unexpectedly (code=null, signal=SIGSEGV)".
    const crash = /worker process exited unexpectedly \(([^)]*)\)/i.exec(message);
    if (crash) {
      const signal = /signal=(\w+)/.exec(crash[1]!)?.[1];
      const how = signal && signal !== 'null' ? `${signal}` : crash[1];
      return {
        reason: `crashed (${how})${where ? ` at ${where}` : ''}: the worker process died`,
        ...(where ? { where } : {}),
      };
    }
    if (result.status === 'timedOut')
      return { reason: `timed out after ${result.duration} ms${where ? ` at ${where}` : ''}` };
    // biome-ignore lint/suspicious/noControlCharactersInRegex: strips terminal colours
    const plain = message.replace(/\u001b\[[0-9;]*m/g, '');
    const first =
      plain
        .split('\n')
        .find((l) => l.trim() !== '')
        ?.trim()
        .replace(/^Error: /, '') ?? result.status;
    // The step that failed says where, in checks made of steps (14).
    // Only the suite's own steps name a place; expect() calls are steps too, titled by their message.
    const step = result.steps.find((s) => s.error && s.category === 'test.step')?.title;
    return { reason: step ? `${step}: ${first}` : first };
  }

  /** Writes the reports now if `now` or REPORT_EVERY_MS passed since the last write; else once it has. */
  #writeSoon(now: boolean): void {
    const wait = this.#wroteAt + this.#reportEveryMs - Date.now();
    if (now || wait <= 0) this.#write();
    // Unref'd: onEnd writes whatever is pending.
    else this.#pending ??= setTimeout(() => this.#write(), wait).unref();
  }

  #write(): void {
    clearTimeout(this.#pending);
    this.#pending = undefined;
    this.#wroteAt = Date.now();
    // Playwright's own reports exist once their reporters ended (they end before this one).
    this.#run.reports = reportLinks(this.#out);
    writeSummary(this.#out, this.#run);
    writeJunit(this.#out, this.#run);
    writeAtomic(
      this.#out,
      'certificate.html',
      certificateHtml(this.#run, this.#run.facts, { series: this.#series }),
    );
  }
}

/**
 * How the run was started, from the plan its launcher wrote (plan/certification-plan.ts); run by
 * Playwright directly: its command line and the default settings.
 */
function planFacts(): PlanFacts {
  return { command: process.argv.slice(1), ...readPlanFile() };
}

/** The DPDK the suite's workers load (DPDK_HOTPLUG_DPDK, else pkg-config's), not always pkg-config's. */
function dpdkVersionString(): string {
  try {
    return `DPDK ${currentDpdk().version}`;
  } catch {
    return 'DPDK (version unknown)';
  }
}

/** What the report says of a DUT's traffic: the mode, or that it was not observable and why. */
function describeTraffic(dut: Dut): string {
  const note = dut.trafficNote ? ` (${dut.trafficNote})` : '';
  if (dut.traffic === 'none') return `not observable: judged on hotplug alone${note}`;
  const peer = dut.peerInterface ? ` on ${dut.peerInterface}` : '';
  return `${dut.traffic}${peer}${note}`;
}
