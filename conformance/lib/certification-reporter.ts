import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  FullConfig,
  FullResult,
  Reporter,
  Suite,
  TestCase,
  TestResult,
} from '@playwright/test/reporter';
import type { Dut } from './dut.js';
import { HANG_MARKER } from './fixtures-constants.js';
import { type CheckResult, type DutSummary, type RunSummary, toMarkdown, verdictOf } from './summary.js';
import { readHangMarker } from './watchdog.js';

/**
 * Writes summary.json and summary.md into `outputDir` after every finished check, so that a run
 * that crashes or is interrupted keeps every result it had.
 */
export default class CertificationReporter implements Reporter {
  readonly #out: string;
  #run!: RunSummary;
  readonly #duts = new Map<string, DutSummary>();
  readonly #outputDirs = new Map<string, string>();

  constructor(options: { outputDir: string }) {
    this.#out = options.outputDir;
  }

  printsToStdio(): boolean {
    return false;
  }

  onBegin(config: FullConfig, suite: Suite): void {
    mkdirSync(this.#out, { recursive: true });
    const dpdkVersion = dpdkVersionString();
    const planned = new Set<number>();
    for (const project of config.projects) {
      const dut = (project.use as { dut?: Dut }).dut;
      if (!dut) continue;
      this.#outputDirs.set(project.name, project.outputDir);
      this.#duts.set(project.name, {
        name: dut.name,
        pmd: dut.pmd,
        devargs: dut.devargs,
        pci: dut.pci,
        dpdkVersion,
        checks: [],
        verdict: 'INCOMPLETE',
      });
    }
    for (const test of suite.allTests()) planned.add(checkId(test.title));
    this.#run = {
      startedAt: new Date().toISOString(),
      status: 'running',
      checksPlanned: planned.size,
      duts: [...this.#duts.values()],
    };
    this.#write();
  }

  onTestBegin(test: TestCase): void {
    process.stdout.write(`[${test.parent.project()?.name}] ${test.title}\n`);
  }

  onTestEnd(test: TestCase, result: TestResult): void {
    const project = test.parent.project()?.name ?? '';
    const dut = this.#duts.get(project);
    // A check cut short by Ctrl-C neither passed nor failed: it stays missing (INCOMPLETE).
    if (!dut || result.status === 'interrupted') return;
    // Runtime annotations are on the result and, in some Playwright versions, on the test too.
    const seen = new Set<string>();
    const annotations = [...(result.annotations ?? []), ...test.annotations].filter((a) => {
      const key = `${a.type}\0${a.description}`;
      return !seen.has(key) && seen.add(key);
    });
    const check: CheckResult = {
      id: checkId(test.title),
      title: test.title,
      status: result.status === 'passed' ? 'PASS' : result.status === 'skipped' ? 'SKIP' : 'FAIL',
      notes: annotations
        .filter((a) => a.type !== 'skip' && a.description)
        .map((a) => `${a.type}: ${a.description}`),
      durationMs: result.duration,
    };
    if (check.status === 'SKIP')
      check.reason = annotations.find((a) => a.type === 'skip')?.description ?? 'skipped';
    if (check.status === 'FAIL') check.reason = this.#failure(project, result);
    for (const a of result.attachments) {
      if (!a.body) continue;
      if (a.name === 'leaks') dut.leaks = JSON.parse(a.body.toString());
      if (a.name === 'latency') dut.latency = JSON.parse(a.body.toString());
    }
    dut.checks = [...dut.checks.filter((c) => c.id !== check.id), check].sort((a, b) => a.id - b.id);
    dut.verdict = verdictOf(dut.checks, this.#run.checksPlanned);
    this.#write();
  }

  onEnd(result: FullResult): void {
    this.#run.status = result.status;
    this.#run.finishedAt = new Date().toISOString();
    this.#write();
  }

  /** The first line of the error, or the crash or hang that ended the worker. */
  #failure(project: string, result: TestResult): string {
    const message = result.errors.map((e) => e.message ?? '').join('\n');
    const dir = this.#outputDirs.get(project);
    const hang = dir ? readHangMarker(join(dir, HANG_MARKER)) : undefined;
    if (hang && dir) {
      rmSync(join(dir, HANG_MARKER), { force: true });
      return `hung: "${hang.hung}" did not finish within ${hang.timeoutMs} ms; the worker was killed`;
    }
    const crash = /Worker process exited unexpectedly \(([^)]*)\)/.exec(message);
    if (crash) return `crashed: the worker process died (${crash[1]})`;
    if (result.status === 'timedOut') return `timed out after ${result.duration} ms`;
    // biome-ignore lint/suspicious/noControlCharactersInRegex: strips terminal colours
    const plain = message.replace(/\u001b\[[0-9;]*m/g, '');
    const first =
      plain
        .split('\n')
        .find((l) => l.trim() !== '')
        ?.trim() ?? result.status;
    // The step that failed says where, in checks made of steps (14).
    const step = result.steps.find((s) => s.error)?.title;
    return step ? `${step}: ${first}` : first;
  }

  #write(): void {
    // Written whole and renamed, so a reader never sees half a file.
    for (const [name, body] of [
      ['summary.json', `${JSON.stringify(this.#run, null, 2)}\n`],
      ['summary.md', toMarkdown(this.#run)],
    ] as const) {
      writeFileSync(join(this.#out, `${name}.tmp`), body);
      renameSync(join(this.#out, `${name}.tmp`), join(this.#out, name));
    }
  }
}

function checkId(title: string): number {
  return Number(/^(\d+)\./.exec(title)?.[1] ?? 0);
}

function dpdkVersionString(): string {
  try {
    return `DPDK ${execFileSync('pkg-config', ['--modversion', 'libdpdk'], { encoding: 'utf8' }).trim()}`;
  } catch {
    return 'DPDK (version unknown)';
  }
}
