/**
 * End to end: `dpdk-hotplug certify` on two DUTs, in its own processes, on real DPDK.
 * Steps: certify net_ring and net_null with 60 cycles. Verify: the exit code, every report file,
 * and the summary's verdicts and findings, which a suite tuned to pass would not show: net_null
 * leaks DPDK heap every cycle; net_ring accepts an unknown argument (advisory) and, at the full
 * traffic check of cycle 50, returns packets queued before an earlier detach. With --repro, each
 * of those findings gets a C program that, built with its README's command, shows it again.
 */
import { execSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from '@playwright/test';
import { expect, it } from 'vitest';
import { type CheckResult, type RunSummary, SUMMARY_FORMAT } from './summary.js';

const CHROMIUM = '/usr/bin/chromium';
/** Why the certificate was not checked in a browser: reported as a skipped test, not a silent pass. */
let browserSkipped: string | undefined;

/** The certificate page of this real run, rendered by headless Chromium (Debian's), read from the DOM. */
async function certificateInBrowser(page: string): Promise<void> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const tab = await browser.newPage();
    await tab.goto(pathToFileURL(page).href);
    const rows = await tab.$$eval('#matrix tr[data-dut]', (trs) =>
      trs.map((tr) => ({
        dut: tr.getAttribute('data-dut'),
        verdict: tr.querySelector('.verdict')?.textContent,
        check7: (() => {
          const td = tr.querySelector('td[data-check="7"]');
          return `${td?.getAttribute('data-status')} ${td?.querySelector('small')?.textContent ?? ''}`.trim();
        })(),
      })),
    );
    expect(rows).toEqual(
      expect.arrayContaining([
        { dut: 'net_null', verdict: 'FAILED', check7: 'FAIL pmd' },
        { dut: 'net_ring', verdict: 'FAILED', check7: 'PASS' },
      ]),
    );
    // The charts of the cycles are drawn: one SVG per series per DUT.
    expect(await tab.locator('section#net_null figure svg').count()).toBeGreaterThanOrEqual(2);
  } finally {
    await browser.close();
  }
}

it('certifies two DUTs and writes every report', async () => {
  const out = mkdtempSync(join(tmpdir(), 'dphp-e2e-'));
  try {
    const cli = fileURLToPath(new URL('../bin/certify.mjs', import.meta.url));
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
        timeout: 120_000,
      },
    );
    expect(r.status, r.stdout + r.stderr).toBe(1); // both PMDs have findings
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
    expect(run.status).toBe('failed');
    // It stands alone: the format, how it was run, and links to reports that exist (a failed
    // check's trace among them).
    expect(run.formatVersion).toBe(SUMMARY_FORMAT);
    expect(run.facts?.command).toBe(`dpdk-hotplug certify --only net_ring,net_null --cycles 60 --out ${out}`);
    expect(run.facts?.settings).toMatchObject({ cycles: 60, forceCycles: true });
    const hrefs = run.reports?.map((l) => l.href) ?? [];
    expect(hrefs).toEqual(expect.arrayContaining(['html/index.html', 'junit.xml', 'results.json']));
    for (const h of hrefs) expect(existsSync(join(out, h)), h).toBe(true);
    expect(hrefs.filter((h) => /^results\/net_null\/.*\/trace\.zip$/.test(h)).length).toBeGreaterThan(0);
    const byName = Object.fromEntries(run.duts.map((d) => [d.name, d]));
    const check = (dut: string, id: number) => byName[dut]!.checks.find((c: CheckResult) => c.id === id);
    const status = (dut: string, id: number) => check(dut, id)?.status;
    for (const dut of ['net_ring', 'net_null']) {
      expect(byName[dut]!.checks).toHaveLength(17);
      // 16: dpdk-testpmd gives the SDK's answers for both.
      for (const id of [1, 3, 4, 5, 8, 9, 12, 13, 15, 16]) {
        expect(status(dut, id), `${dut} check ${id}: ${check(dut, id)?.reason}`).toBe('PASS');
      }
      // Multi-process needs hugepages. The SDK leaves close to the device's removal in a primary,
      // so the secondary sees the port go (it kept a stale port, and crashed, before).
      const mp = byName[dut]!.checks.find((c) => c.id === 14)!;
      if (mp.status === 'SKIP') expect(mp.reason).toMatch(/hugepage/);
      else expect(mp.status, mp.reason).toBe('PASS');
      // 17: two dpdk-testpmd end the same scenario as check 14 did (skipped with it).
      const tp = check(dut, 17)!;
      if (mp.status === 'SKIP') expect(tp.status).toBe('SKIP');
      else expect(tp.status, `${tp.reason} ${tp.evidence?.join('; ')}`).toBe('PASS');
      if (tp.status === 'PASS')
        expect(tp.notes).toContain('testpmd: agrees with check 14: both pass every step');
      expect(check(dut, 10)?.class).toBe('advisory');
      expect(byName[dut]!.verdict).toBe('FAILED');
    }
    expect(byName.net_null!.latency?.cycles).toBe(60);
    expect(status('net_null', 6)).toBe('PASS');
    expect(byName.net_ring!.latency?.cycles).toBe(50);
    expect(byName.net_ring!.checks.find((c) => c.id === 6)?.reason).toMatch(
      /sent 4, received 32: .*queued before/,
    );
    expect(byName.net_null!.checks.find((c) => c.id === 7)?.reason).toMatch(
      /dpdkHeapBytes grows 384 per cycle/,
    );
    expect(byName.net_ring!.checks.find((c) => c.id === 10)?.reason).toMatch(/accepted it/);
    // Each verdict says why: the required check the PMD failed, not the advisory one.
    expect(byName.net_ring!.verdictReasons).toEqual([expect.stringMatching(/^check 6: traffic failed/)]);
    expect(byName.net_null!.verdictReasons).toEqual([
      expect.stringMatching(/^check 7: leaks: dpdkHeapBytes/),
    ]);
    expect(r.stdout).toMatch(/FAILED +net_ring/);
    reproducersAgree(out, byName.net_null!.checks, byName.net_ring!.checks);
    if (existsSync(CHROMIUM)) await certificateInBrowser(join(out, 'certificate.html'));
    else browserSkipped = `${CHROMIUM} is missing (apt-get install chromium)`;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

/** Each finding links its reproducer; built with its README's command and run, it fails as the check did. */
function reproducersAgree(out: string, nullChecks: CheckResult[], ringChecks: CheckResult[]): void {
  const link = (checks: CheckResult[], id: number) => checks.find((c) => c.id === id)?.repro;
  expect(link(nullChecks, 7)).toBe('repro/net_null-leak/README.md');
  expect(link(nullChecks, 11)).toBe('repro/net_null-unknown-arg/README.md');
  expect(link(ringChecks, 6)).toBe('repro/net_ring-stale-rx/README.md');
  expect(link(ringChecks, 10)).toBe('repro/net_ring-unknown-arg/README.md');
  expect(link(nullChecks, 6)).toBeUndefined(); // passed: no program
  expect(readFileSync(join(out, 'summary.md'), 'utf8')).toContain(
    '[reproducer](repro/net_null-leak/README.md)',
  );
  expect(readFileSync(join(out, 'certificate.html'), 'utf8')).toContain(
    'href="repro/net_ring-stale-rx/README.md"',
  );
  const expected: Record<string, RegExp> = {
    'net_null-leak': /\(\+384\.0 B per cycle\)/,
    'net_ring-stale-rx': /\([1-9]\d* of them sent by an earlier attach\)/,
    'net_null-unknown-arg': /= -1 .*\n.*bare -1/,
    'net_ring-unknown-arg': /= 0 .*\n.*was accepted/,
  };
  for (const [name, says] of Object.entries(expected)) {
    const dir = join(out, 'repro', name);
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    const build = readme.split('\n').find((l) => /^(PKG_CONFIG_PATH=\S+ )?cc /.test(l))!;
    execSync(build, { cwd: dir, stdio: 'pipe' });
    const run = spawnSync('./repro', { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    expect(run.status, `${name}: ${run.stdout}${run.stderr}`).toBe(1);
    expect(run.stdout, name).toMatch(says);
  }
}

it('renders the certificate of that run in a real browser', (ctx) => {
  // The browser check runs inside the run above (its reports go with it); this test makes a
  // missing Chromium show as a skip with the reason.
  if (browserSkipped) ctx.skip(browserSkipped);
  expect(existsSync(CHROMIUM)).toBe(true);
});
