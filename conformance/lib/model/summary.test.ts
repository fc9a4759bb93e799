import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import CertificationReporter from '../runner/certification-reporter.js';
import { type CheckResult, toMarkdown } from './summary.js';

const check = (id: number, status: CheckResult['status'], reason?: string): CheckResult => ({
  id,
  title: `${id}. check`,
  status,
  reason,
  notes: [],
  durationMs: 1,
});

/** Feeds the reporter the calls Playwright makes, with a crash, a hang and a skip. */
function fakeRun(out: string, hangDir: string, reportEveryMs?: number) {
  const reporter = new CertificationReporter({
    outputDir: out,
    ...(reportEveryMs === undefined ? {} : { reportEveryMs }),
  });
  const project = (name: string, outputDir: string) => ({
    name,
    outputDir,
    use: { dut: { name, pmd: 'net_null', devargs: 'net_null0', setup: 'none', traffic: 'source-sink' } },
  });
  const tests = ['1. attach', '2. traffic', '3. refused'].map((title) => ({ title }));
  const testCase = (p: string, title: string) =>
    ({ title, annotations: [], parent: { project: () => ({ name: p }) } }) as never;
  const projectSuite = (name: string) => ({ project: () => ({ name }), allTests: () => tests });
  reporter.onBegin(
    { projects: [project('a', join(out, 'a')), project('b', hangDir)] } as never,
    { allTests: () => tests, suites: [projectSuite('a'), projectSuite('b')] } as never,
  );
  const result = (status: string, message?: string, annotations: object[] = []) =>
    ({
      status,
      duration: 5,
      errors: message ? [{ message }] : [],
      attachments: [],
      annotations,
      steps: [],
    }) as never;
  return { reporter, testCase, result };
}

describe('certification reporter', () => {
  it('writes the summary after every check, names crashes and hangs, and keeps the results of the others', async () => {
    const out = mkdtempSync(join(tmpdir(), 'dphp-report-'));
    try {
      const hangDir = join(out, 'b');
      const { mkdirSync, writeFileSync } = await import('node:fs');
      mkdirSync(hangDir, { recursive: true });
      // Every check's end written at once (the default writes passes at most every 30 s: below).
      const { reporter, testCase, result } = fakeRun(out, hangDir, 0);
      reporter.onTestEnd(testCase('a', '1. attach'), result('passed'));
      // Written already: an interrupted run keeps this.
      expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).duts[0].checks).toHaveLength(1);
      // Where the worker was when it died, as the progress fixture writes it.
      mkdirSync(join(out, 'a'), { recursive: true });
      writeFileSync(
        join(out, 'a', 'progress.txt'),
        `${JSON.stringify({ check: '2. traffic', step: 'detach', cycle: 34 })}    `,
      );
      // Playwright's own words (runner/index.js): lower-case "worker".
      reporter.onTestEnd(
        testCase('a', '2. traffic'),
        result('failed', 'Error: worker process exited unexpectedly (code=null, signal=SIGSEGV)'),
      );
      reporter.onTestEnd(
        testCase('a', '3. refused'),
        result('skipped', undefined, [{ type: 'skip', description: 'needs root' }]),
      );
      writeFileSync(
        join(hangDir, 'hang.json'),
        JSON.stringify({ hung: '1. attach', timeoutMs: 75000, at: 'now' }),
      );
      reporter.onTestEnd(
        testCase('b', '1. attach'),
        result('failed', 'Error: worker process exited unexpectedly (code=null, signal=SIGKILL)'),
      );
      // Ctrl-C during b's check 2: not a failure; that check stays missing.
      reporter.onTestEnd(testCase('b', '2. traffic'), result('interrupted'));
      await reporter.onEnd({ status: 'interrupted' } as never);

      const run = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
      expect(run.status).toBe('interrupted');
      const [a, b] = run.duts;
      expect(b.checks.map((c: CheckResult) => c.id)).toEqual([1]);
      // Missing from the checks, not from the results: the required checks b planned and did not
      // finish are listed with a status and why (CI's seeded run cut during check 14 read as 14 gone).
      expect(b.requiredNotRun).toContainEqual(
        expect.objectContaining({ check: 2, status: 'NOT RUN', why: 'did not run (the run ended first)' }),
      );
      expect(a.checks.map((c: CheckResult) => [c.id, c.status, c.reason])).toEqual([
        [1, 'PASS', undefined],
        [2, 'FAIL', 'crashed (SIGSEGV) at check 2, cycle 34, step "detach": the worker process died'],
        [3, 'SKIP', 'needs root'],
      ]);
      expect(a.verdict).toBe('FAILED');
      expect(b.checks[0].reason).toBe(
        'hung at "1. attach": no progress within 75000 ms; the worker was killed',
      );
      // b hung in a required check: that is a finding against the PMD.
      expect(b.verdict).toBe('FAILED');
      expect(a.checks[1].evidence).toEqual(['died at check 2, cycle 34, step "detach"']);
      const md = readFileSync(join(out, 'summary.md'), 'utf8');
      expect(md).toContain('| a | net_null | **FAILED** | 1 | 1 | 1 |');
      expect(md).toContain('crashed (SIGSEGV) at check 2, cycle 34');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  /**
   * Steps: a reporter writing at most every 60 s; a pass, a failure, a pass, the run's end; then,
   * with a 50 ms cadence, a pass and a wait.
   * Verify: the first pass waits (written with the failure, at once); the second waits for the
   * end; with the short cadence the pass is written by its timer, no end needed.
   */
  it('writes a failure at once and passes at most every reportEveryMs, all at the end', async () => {
    const out = mkdtempSync(join(tmpdir(), 'dphp-report-'));
    const checksIn = () =>
      JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).duts[0].checks.map(
        (c: CheckResult) => c.id,
      );
    try {
      const { reporter, testCase, result } = fakeRun(out, join(out, 'b'), 60_000);
      expect(checksIn()).toEqual([]);
      reporter.onTestEnd(testCase('a', '1. attach'), result('passed'));
      expect(checksIn()).toEqual([]);
      reporter.onTestEnd(testCase('a', '2. traffic'), result('failed', 'Error: no frames'));
      expect(checksIn()).toEqual([1, 2]);
      reporter.onTestEnd(testCase('a', '3. refused'), result('passed'));
      expect(checksIn()).toEqual([1, 2]);
      await reporter.onEnd({ status: 'failed' } as never);
      expect(checksIn()).toEqual([1, 2, 3]);
      expect(readFileSync(join(out, 'junit.xml'), 'utf8')).toContain('3. refused');

      rmSync(join(out, 'summary.json'));
      const quick = fakeRun(out, join(out, 'b'), 50);
      quick.reporter.onTestEnd(quick.testCase('a', '1. attach'), quick.result('passed'));
      expect(checksIn()).toEqual([]);
      await new Promise((r) => setTimeout(r, 150));
      expect(checksIn()).toEqual([1]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  /**
   * Steps: a project of two lab DUTs (`pciDuts`), each one's checks in a describe named after it
   * (pci.spec.ts), x planning 101 and 102, y 101 and 110; x's 101 passes, y's 101 fails.
   * Verify: the summary has each DUT with its own planned checks and its own results, as two
   * projects of one DUT each would give.
   */
  it("reports a project's lab DUTs each on its own, by the describe naming it", async () => {
    const out = mkdtempSync(join(tmpdir(), 'dphp-report-'));
    try {
      const reporter = new CertificationReporter({ outputDir: out });
      const lab = (name: string) => ({
        name,
        pmd: 'net_e1000_em',
        devargs: '0000:01:00.0',
        pci: { model: 'e1000e' },
      });
      const inGroup = (dut: string, title: string) =>
        ({
          title,
          annotations: [],
          parent: { title: dut, project: () => ({ name: 'pci-iova-pa' }) },
        }) as never;
      const tests = [
        inGroup('x', '101. plug'),
        inGroup('x', '102. bind'),
        inGroup('y', '101. plug'),
        inGroup('y', '110. pull'),
      ];
      reporter.onBegin(
        {
          projects: [
            { name: 'pci-iova-pa', outputDir: join(out, 'g'), use: { pciDuts: [lab('x'), lab('y')] } },
          ],
        } as never,
        {
          allTests: () => tests,
          suites: [{ project: () => ({ name: 'pci-iova-pa' }), allTests: () => tests }],
        } as never,
      );
      const result = (status: string, message?: string) =>
        ({
          status,
          duration: 5,
          errors: message ? [{ message }] : [],
          attachments: [],
          annotations: [],
          steps: [],
        }) as never;
      reporter.onTestEnd(tests[0]!, result('passed'));
      reporter.onTestEnd(tests[2]!, result('failed', 'Error: no NIC'));
      await reporter.onEnd({ status: 'passed' } as never);
      const run = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
      expect(run.duts.map((d: { name: string; planned: number[] }) => [d.name, d.planned])).toEqual([
        ['x', [101, 102]],
        ['y', [101, 110]],
      ]);
      const [x, y] = run.duts;
      expect(x.checks.map((c: CheckResult) => [c.id, c.status])).toEqual([[101, 'PASS']]);
      expect(y.checks.map((c: CheckResult) => [c.id, c.status, c.reason])).toEqual([[101, 'FAIL', 'no NIC']]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('renders leak slopes and latency in Markdown', () => {
    const md = toMarkdown({
      startedAt: 't0',
      status: 'passed',
      checksPlanned: 1,
      duts: [
        {
          name: 'x',
          pmd: 'net_x',
          devargs: 'net_x0',
          dpdkVersion: 'DPDK 22.11.11',
          checks: [check(7, 'FAIL', 'leaks: dpdkHeapBytes grows 384 per cycle')],
          leaks: [{ resource: 'dpdkHeapBytes', slope: 384, growth: 345600, leaks: true }],
          latency: {
            cycles: 900,
            attachMs: { p50: 0.01, p99: 0.02, max: 0.5 },
            detachMs: { p50: 0.01, p99: 0.03, max: 0.4 },
          },
          verdict: 'FAILED',
        },
      ],
    });
    expect(md).toContain('| dpdkHeapBytes | 384 | 345600 | **yes** |');
    expect(md).toContain('Latency over 900 cycles: attach p50 0.010 ms');
  });

  it('says what a PCI DUT was: model, drivers, lab versions', () => {
    const md = toMarkdown({
      startedAt: 't0',
      status: 'passed',
      checksPlanned: 1,
      duts: [
        {
          name: 'virtual-e1000e-vfio-pci-clean',
          pmd: 'net_e1000_em',
          devargs: '0000:02:00.0',
          pci: { model: 'e1000e', driver: 'vfio-pci', qemu: '7.2.22', nested: { ignored: true } },
          dpdkVersion: 'DPDK 22.11.11',
          checks: [check(101, 'PASS')],
          verdict: 'CERTIFIED',
        },
      ],
    });
    expect(md).toContain('PCI: model e1000e, driver vfio-pci, qemu 7.2.22.');
  });
});
