/**
 * The certificate stands alone: what ran on what, every reason in the page's text (not only in
 * tooltips), what each verdict stands without, links to the reports that exist, and a page that
 * fits a 1400-px window with every check of the catalogue (17 columns, 13 DUTs).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { findDpdk } from '@dpdk-hotplug/ethdev';
import { chromium } from '@playwright/test';
import { afterAll, describe, expect, it } from 'vitest';
import { classOf, VDEV_CHECKS } from '../model/catalogue.js';
import { certificateHtml, reportLinks } from './certificate.js';
import { collectRunFacts, type RunFacts, readSuiteCommit } from '../model/run-facts.js';
import {
  type CheckResult,
  type DutSummary,
  type RunSummary,
  SUMMARY_FORMAT,
  writeSummary,
} from '../model/summary.js';

const work = mkdtempSync(join(tmpdir(), 'dphp-certificate-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const check = (id: number, status: CheckResult['status'], extra: Partial<CheckResult> = {}): CheckResult => ({
  id,
  title: `${id}. check ${id}`,
  class: classOf(id),
  status,
  notes: [],
  durationMs: 1,
  ...extra,
});
const ALL = Object.keys(VDEV_CHECKS).map(Number);

const facts: RunFacts = {
  suite: {
    name: '@dpdk-hotplug/conformance',
    version: '9.8.7',
    commit: '0123456789abcdef0123',
    modified: true,
  },
  node: 'v20.99.1',
  dpdk: { version: '22.11.11', prefix: '/opt/dpdk-x', from: '--dpdk' },
  kernel: 'Linux 6.1.0-test',
  machine: { hostname: 'lab-7', arch: 'x64', cpu: 'Test CPU @ 3 GHz', cores: 12, memoryGiB: 31.2 },
  command: "dpdk-hotplug certify --only net_virtio_user --expect 'my file.json'",
  settings: { cycles: 250, budgetS: 30, forceCycles: true, workers: 3, expectations: 'my file.json' },
};

/** net_virtio_user as the suite reads it: required 14 skipped (helper ports), advisory 11 failed. */
function virtioUser(): DutSummary {
  return {
    name: 'net_virtio_user',
    pmd: 'net_virtio_user',
    devargs: 'net_virtio_user0,path=/x',
    dpdkVersion: 'DPDK 22.11.11',
    planned: ALL,
    checks: ALL.map((id) =>
      id === 14
        ? check(id, 'SKIP', { reason: 'its helper ports live in the worker process' })
        : id === 11
          ? check(id, 'FAIL', { reason: 'a bare -1, read as EPERM', evidence: ['attach returned -1'] })
          : check(id, 'PASS', { reason: `measured ${id}` }),
    ),
    verdict: 'CERTIFIED WITH WARNINGS',
    verdictReasons: ['check 11: a bare -1, read as EPERM'],
  };
}

const run = (duts: DutSummary[]): RunSummary => ({
  startedAt: '2026-12-06T10:00:00.000Z',
  finishedAt: '2026-12-06T10:01:00.000Z',
  status: 'passed',
  checksPlanned: ALL.length,
  duts,
});

/** The page's text as a reader sees it: no tags and no attributes (tooltips do not count). */
const visibleText = (html: string) =>
  html
    .replace(/<style>[\s\S]*?<\/style>/, '')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');

describe('the certificate', () => {
  /**
   * Steps: render a run of net_virtio_user (required 14 skipped, advisory 11 failed with evidence)
   * with machine facts. Verify: the suite's version and commit, Node, DPDK and where it came from,
   * kernel, machine, command line and settings are in the page's text; so is every reason and
   * evidence of every check (a finding numbered in the matrix for each check that did not pass);
   * and a coverage line names required check 14 and why it was skipped.
   */
  it('says what ran on what, prints every reason, and what the verdict stands without', () => {
    const html = certificateHtml(run([virtioUser()]), facts);
    const text = visibleText(html);
    for (const fact of [
      '@dpdk-hotplug/conformance 9.8.7, commit 0123456789ab (with uncommitted changes)',
      'Node v20.99.1; DPDK 22.11.11 at /opt/dpdk-x (from --dpdk); Linux 6.1.0-test',
      'Machine: lab-7, Test CPU @ 3 GHz, 12 cores, x64, 31.2 GiB',
      "Command: dpdk-hotplug certify --only net_virtio_user --expect 'my file.json'",
      'Settings: 250 cycles (forced on every DUT), budget 30 s per DUT, 3 workers, expectations my file.json',
    ])
      expect(text).toContain(fact);
    for (const id of ALL.filter((i) => i !== 11 && i !== 14)) expect(text).toContain(`measured ${id}`);
    expect(text).toContain(
      "net_virtio_user , check 11 FAIL (advisory, pmd's): a bare -1, read as EPERM; attach returned -1",
    );
    expect(text).toContain(
      'net_virtio_user , check 14 SKIP (required): its helper ports live in the worker process',
    );
    expect(text).toContain(
      'net_virtio_user (CERTIFIED WITH WARNINGS): required check 14 skipped: its helper ports live in the worker process',
    );
    expect(text).toContain(
      'Coverage: required check 14 skipped: its helper ports live in the worker process',
    );
  });

  /**
   * Steps: a report folder with Playwright's HTML report, JUnit and one trace, without
   * results.json. Verify: exactly those are linked, by paths relative to the folder.
   */
  it('links the reports that exist in its folder, traces included', () => {
    const dir = join(work, 'links');
    mkdirSync(join(dir, 'html'), { recursive: true });
    mkdirSync(join(dir, 'results', 'net_null', 'hotplug-7-leaks'), { recursive: true });
    for (const f of ['html/index.html', 'junit.xml', 'results/net_null/hotplug-7-leaks/trace.zip'])
      writeFileSync(join(dir, f), 'x');
    const links = reportLinks(dir);
    expect(links).toEqual([
      { label: "Playwright's HTML report", href: 'html/index.html' },
      { label: 'JUnit', href: 'junit.xml' },
      {
        label: 'trace net_null check 7',
        href: 'results/net_null/hotplug-7-leaks/trace.zip',
        dut: 'net_null',
        check: 7,
      },
    ]);
    const html = certificateHtml(run([virtioUser()]), facts, { links });
    for (const l of links) expect(html).toContain(`<a href="${l.href}">`);
    expect(html).not.toContain('results.json');
    // A failed check's trace is linked from its finding.
    const nullDut = { ...virtioUser(), name: 'net_null', checks: [check(7, 'FAIL', { reason: 'leaks' })] };
    expect(certificateHtml(run([nullDut]), facts, { links })).toContain(
      'check 7 FAIL (required, pmd\'s): leaks (<a href="results/net_null/hotplug-7-leaks/trace.zip">trace</a>)',
    );
  });

  /**
   * Steps: write the summary of that run with its facts. Verify: summary.json carries the format
   * version, the facts and the DUT's required checks not run; summary.md the facts and the
   * coverage line.
   */
  it('goes with a summary that carries its format version, the facts and the coverage', () => {
    const dir = join(work, 'summary');
    mkdirSync(dir);
    writeSummary(dir, { ...run([virtioUser()]), facts });
    const json = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    expect(json.formatVersion).toBe(SUMMARY_FORMAT);
    expect(json.facts).toEqual(facts);
    expect(json.duts[0].requiredNotRun).toEqual([
      {
        check: 14,
        title: '14. check 14',
        status: 'SKIP',
        why: 'its helper ports live in the worker process',
      },
    ]);
    const md = readFileSync(join(dir, 'summary.md'), 'utf8');
    expect(md).toContain('- Machine: lab-7, Test CPU @ 3 GHz, 12 cores, x64, 31.2 GiB');
    expect(md).toContain('Coverage: required check 14 skipped: its helper ports live in the worker process.');
  });

  /**
   * Steps: collect this machine's facts as `certify` does, from a plan with a command line and
   * settings. Verify: each fact is this machine's (the package version, git's commit, Node, the
   * DPDK pkg-config names, the kernel, the core count), the command is quoted where a shell needs it.
   */
  it("collects this machine's facts", async () => {
    const got = collectRunFacts({
      command: ['dpdk-hotplug', 'certify', '--out', 'a b'],
      settings: { cycles: 10, budgetMs: 5000, forceCycles: false },
      workers: 2,
    });
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(got.suite.version).toBe(pkg.version);
    let head: string | undefined;
    try {
      head = execFileSync('git', ['rev-parse', 'HEAD'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
    } catch {}
    expect(got.suite.commit).toBeUndefined(); // read in the background, see below
    const commit = await readSuiteCommit();
    expect(commit.commit).toBe(head);
    if (head) expect(typeof commit.modified).toBe('boolean');
    expect(got.node).toBe(process.version);
    const dpdk = findDpdk(undefined, 'pkg-config');
    if (!process.env.DPDK_HOTPLUG_DPDK)
      expect(got.dpdk).toEqual({ version: dpdk.version, prefix: dpdk.prefix, from: 'pkg-config' });
    expect(got.kernel).toBe(`Linux ${execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim()}`);
    expect(got.machine.cores).toBe(cpus().length);
    expect(got.machine.cpu).not.toBe('');
    expect(got.command).toBe("dpdk-hotplug certify --out 'a b'");
    expect(got.settings).toEqual({ cycles: 10, budgetS: 5, forceCycles: false, workers: 2 });
  });
});

const CHROMIUM = '/usr/bin/chromium';

/**
 * Steps: render 13 DUTs × every vdev check, each cell a failure with its whose and a finding
 * number (the widest a cell gets), in Debian's headless Chromium at 1400 × 900.
 * Verify: the page is no wider than the window, and check 17's column ends inside it.
 */
it.skipIf(!existsSync(CHROMIUM))('fits a 1400-px window with every check', async () => {
  const duts = Array.from({ length: 13 }, (_, i) => ({
    ...virtioUser(),
    name: `net_virtio_user_${i}`,
    verdict: 'CERTIFIED WITH WARNINGS' as const,
    checks: ALL.map((id) => check(id, 'FAIL', { reason: 'x', fault: 'environment' })),
  }));
  const page = join(work, 'wide.html');
  writeFileSync(page, certificateHtml(run(duts), facts));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const tab = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await tab.goto(pathToFileURL(page).href);
    const scrollWidth = (await tab.evaluate('document.documentElement.scrollWidth')) as number;
    const last = (await tab.locator('#matrix tr th:last-child').boundingBox())!;
    const lastRight = last.x + last.width;
    expect(scrollWidth).toBeLessThanOrEqual(1400);
    expect(lastRight).toBeLessThanOrEqual(1400);
    expect(await tab.locator('#matrix tr th:last-child').textContent()).toContain('17');
  } finally {
    await browser.close();
  }
});
