/**
 * End to end: `dpdk-hotplug certify` on two DUTs, in its own processes, on real DPDK.
 * Steps: certify net_ring and net_null with 60 cycles. Verify: every report file; each verdict is
 * the one rule's (judge) and the exit code the verdicts'; and the findings are exactly the shipped
 * expectations of the DPDK in use (no NEW FAIL, no FIXED), which a suite tuned to pass would not
 * show (on 22.11: net_null leaks DPDK heap every cycle; net_ring returns packets queued before an
 * earlier detach). Nothing here is pinned to a DPDK bug staying unfixed: a DPDK that fixes one
 * ships expectations without it. With --repro, every PMD finding gets a C program that, built with
 * its README's command, shows it again.
 */
import { execSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runtimeDirFor } from '@dpdk-hotplug/ethdev';
import { chromium } from '@playwright/test';
import { expect, it } from 'vitest';
import { type CheckResult, exitCodeOf, type RunSummary, SUMMARY_FORMAT } from '../model/summary.js';
import { judge } from '../model/verdict.js';
import { compare, readExpectations, shippedExpectationsFor } from '../reports/expectations.js';
import { reproPrefix } from '../reports/repro.js';

const CHROMIUM = '/usr/bin/chromium';
/** Why the certificate was not checked in a browser: reported as a skipped test, not a silent pass. */
let browserSkipped: string | undefined;
/** Why the findings were not compared with shipped expectations (none for this DPDK). */
let findingsSkipped: string | undefined;

/** The certificate page of this real run, rendered by headless Chromium (Debian's), read from the DOM. */
async function certificateInBrowser(page: string, run: RunSummary): Promise<void> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const tab = await browser.newPage();
    await tab.goto(pathToFileURL(page).href);
    const rows = await tab.$$eval('#matrix tr[data-dut]', (trs) =>
      trs.map((tr) => ({
        dut: tr.getAttribute('data-dut'),
        verdict: tr.querySelector('.verdict')?.textContent,
        check7: tr.querySelector('td[data-check="7"]')?.getAttribute('data-status'),
      })),
    );
    // The page shows what the summary says, DUT by DUT.
    expect(rows).toEqual(
      run.duts.map((d) => ({
        dut: d.name,
        verdict: d.verdict,
        check7: d.checks.find((c) => c.id === 7)?.status,
      })),
    );
    // The charts of the cycles are drawn: one SVG per series per DUT.
    expect(await tab.locator('section#net_null figure svg').count()).toBeGreaterThanOrEqual(2);
  } finally {
    await browser.close();
  }
}

/**
 * How long the run may take: two DUTs of 60 cycles, whose time is the machine's (proportional to
 * its load on 2 cores: see docs/measurements.md, "certify's end-to-end run under load"); the rest
 * of the test's 180 s is for the reproducers' builds and the browser.
 */
const RUN_LIMIT_MS = 120_000;

it('certifies two DUTs and writes every report', async () => {
  const out = mkdtempSync(join(tmpdir(), 'dphp-e2e-'));
  try {
    const cli = fileURLToPath(new URL('../../bin/certify.mjs', import.meta.url));
    const r = spawnSync(
      process.execPath,
      [
        cli,
        'certify',
        '--only',
        'net_ring,net_null',
        '--cycles',
        '60',
        '--out',
        out,
        '--repro',
        join(out, 'repro'),
      ],
      {
        encoding: 'utf8',
        timeout: RUN_LIMIT_MS,
      },
    );
    // Cut by this test's limit, the run stops half-way (SIGTERM, its output pipes closed): say so,
    // with the load, rather than fail on a report it had no time to finish.
    expect(
      r.error,
      `certify did not end within ${RUN_LIMIT_MS / 1000} s (load ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}): ${r.stdout}${r.stderr}`,
    ).toBeUndefined();
    for (const f of [
      'summary.json',
      'summary.md',
      'certificate.html',
      'junit.xml',
      'results.json',
      'html/index.html',
    ]) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    const run = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as RunSummary;
    // One rule: each verdict is judge()'s of its checks, and the exit code is the verdicts'.
    for (const d of run.duts) expect(d.verdict, d.name).toBe(judge(d.checks, d.planned ?? []).verdict);
    expect(r.status, r.stdout + r.stderr).toBe(exitCodeOf(run.duts));
    // It stands alone: the format, how it was run, and links to reports that exist (a failed
    // check's trace among them).
    expect(run.formatVersion).toBe(SUMMARY_FORMAT);
    expect(run.facts?.command).toBe(
      `dpdk-hotplug certify --only net_ring,net_null --cycles 60 --out ${out} --repro ${join(out, 'repro')}`,
    );
    expect(run.facts?.settings).toMatchObject({ cycles: 60, forceCycles: true });
    // The suite's commit, read in the background while the checks ran, is in the final summary.
    let head: string | undefined;
    try {
      head = execSync('git rev-parse HEAD', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {}
    expect(run.facts?.suite.commit).toBe(head);
    const hrefs = run.reports?.map((l) => l.href) ?? [];
    expect(hrefs).toEqual(expect.arrayContaining(['html/index.html', 'junit.xml', 'results.json']));
    for (const h of hrefs) expect(existsSync(join(out, h)), h).toBe(true);
    expect(hrefs.filter((h) => /^results\/net_null\/.*\/trace\.zip$/.test(h)).length).toBeGreaterThan(0);
    const byName = Object.fromEntries(run.duts.map((d) => [d.name, d]));
    const check = (dut: string, id: number) => byName[dut]!.checks.find((c: CheckResult) => c.id === id);
    for (const dut of ['net_ring', 'net_null']) {
      expect(byName[dut]!.checks).toHaveLength(17);
      // Multi-process needs hugepages; 17 (two dpdk-testpmd) runs check 14's scenario, or skips with it.
      const mp = check(dut, 14)!;
      if (mp.status === 'SKIP') expect(mp.reason).toMatch(/hugepage/);
      if (mp.status === 'SKIP') expect(check(dut, 17)!.status).toBe('SKIP');
      expect(check(dut, 10)?.class).toBe('advisory');
      // Each FAILED verdict says why: a required check the PMD failed, never an advisory one.
      for (const why of byName[dut]!.verdictReasons ?? []) {
        const id = Number(/^check (\d+):/.exec(why)?.[1]);
        if (byName[dut]!.verdict === 'FAILED') expect(check(dut, id)?.class, why).toBe('required');
      }
    }
    expect(byName.net_null!.latency?.cycles).toBe(60);
    // The findings are this DPDK's known ones, no more and no fewer.
    let shipped: string | undefined;
    try {
      shipped = shippedExpectationsFor(run.duts[0]!.dpdkVersion.replace(/^DPDK /, ''));
    } catch (e) {
      findingsSkipped = (e as Error).message;
    }
    if (shipped) {
      const outcomes = compare(run, readExpectations(shipped));
      const off = outcomes.filter((o) => o.outcome === 'NEW FAIL' || o.outcome === 'FIXED');
      expect(off, `against ${shipped}`).toEqual([]);
      // How two of 22.11's findings read, when this DPDK has them.
      const known = (dut: string, id: number) =>
        outcomes.some((o) => o.dut === dut && o.check === id && o.outcome === 'KNOWN FAIL');
      if (known('net_null', 7))
        expect(check('net_null', 7)?.reason).toMatch(/dpdkHeapBytes grows \d+ per cycle/);
      if (known('net_ring', 6)) expect(check('net_ring', 6)?.reason).toMatch(/received \d+: .*queued before/);
    }
    reproducersAgree(out, run);
    if (existsSync(CHROMIUM)) await certificateInBrowser(join(out, 'certificate.html'), run);
    else browserSkipped = `${CHROMIUM} is missing (apt-get install chromium)`;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

/**
 * Each PMD finding links its reproducer; built with its README's command and run, it fails (exit
 * 1) as the check did. A check that passed has no program.
 */
function reproducersAgree(out: string, run: RunSummary): void {
  const md = readFileSync(join(out, 'summary.md'), 'utf8');
  const html = readFileSync(join(out, 'certificate.html'), 'utf8');
  let programs = 0;
  for (const d of run.duts)
    for (const c of d.checks) {
      if (c.status === 'PASS') expect(c.repro, `${d.name} check ${c.id}`).toBeUndefined();
      if (!c.repro) continue;
      expect(md).toContain(`[reproducer](${c.repro})`);
      expect(html).toContain(`href="${c.repro}"`);
      const dir = join(out, c.repro.replace(/\/README\.md$/, ''));
      const readme = readFileSync(join(dir, 'README.md'), 'utf8');
      const build = readme.split('\n').find((l) => /^(PKG_CONFIG_PATH=\S+ )?cc /.test(l))!;
      execSync(build, { cwd: dir, stdio: 'pipe' });
      const ran = spawnSync('./repro', { cwd: dir, encoding: 'utf8', timeout: 60_000 });
      // DPDK leaves the program's runtime folder behind (made by this run, so ours to remove).
      rmSync(runtimeDirFor(reproPrefix(basename(dir))), { recursive: true, force: true });
      expect(ran.status, `${c.repro}: ${ran.stdout}${ran.stderr}`).toBe(1);
      programs++;
    }
  // The PMD findings of this run (if any) all got a program; a run with none writes none.
  const pmdFindings = run.duts
    .flatMap((d) => d.checks)
    .filter((c) => c.status === 'FAIL' && (c.fault ?? 'pmd') === 'pmd');
  if (pmdFindings.length > 0) expect(programs).toBeGreaterThan(0);
}

it("compares that run's findings with the shipped expectations of its DPDK", (ctx) => {
  // The comparison runs inside the run above; this test makes a DPDK with no shipped
  // expectations show as a skip with the reason.
  if (findingsSkipped) ctx.skip(findingsSkipped);
  expect(findingsSkipped).toBeUndefined();
});

it('renders the certificate of that run in a real browser', (ctx) => {
  // The browser check runs inside the run above (its reports go with it); this test makes a
  // missing Chromium show as a skip with the reason.
  if (browserSkipped) ctx.skip(browserSkipped);
  expect(existsSync(CHROMIUM)).toBe(true);
});
