import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { checkBeyondChecks, findingsPage, releaseOfFile } from './findings.mjs';
import { currentPage, PAGE } from './generate.mjs';

test('docs/findings.md is what the shipped expectations give (run generate.mjs after editing them)', () => {
  assert.equal(readFileSync(PAGE, 'utf8'), currentPage());
});

const checks = {
  6: { title: 'repeated cycles', class: 'required' },
  11: { title: 'only 0 or a negative errno', class: 'advisory' },
};
const duts = [
  { name: 'net_a', pmd: 'net_a' },
  { name: 'net_b-x', pmd: 'net_b' },
  { name: 'net_c', pmd: 'net_c' },
];
const release = (r, expectations) => ({ file: `x-dpdk-${r}.json`, release: r, platform: 'P', expectations });

test('a cell is the verdict the expected failures give, linked to each finding', () => {
  const page = findingsPage({
    releases: [
      release('22.11', [
        { pmd: 'net_a', dpdk: '22.11', check: 6, reason: 'leaks', link: 'https://example.org/a' },
        { pmd: 'net_b', dpdk: '22.11', check: 11, reason: 'bare -1', dut: 'net_b-x' },
        { pmd: 'net_b', dpdk: '22.11', check: 6, reason: 'another DUT of the PMD', dut: 'net_b-y' },
      ]),
      release('24.11', [{ pmd: 'net_a', dpdk: '24.11', check: 11, reason: 'bare -1' }]),
    ],
    duts,
    checkSpec: (id) => checks[id],
  });
  assert.match(
    page,
    /\| net_a \(net_a\) \| FAILED \(\[6\]\(#net_a-6\)\) \| CERTIFIED WITH WARNINGS \(\[11\]\(#net_a-11\)\) \|/,
  );
  assert.match(
    page,
    /\| net_b-x \(net_b\) \| CERTIFIED WITH WARNINGS \(\[11\]\(#net_b-x-11\)\) \| CERTIFIED \|/,
  );
  assert.match(page, /\| net_c \(net_c\) \| CERTIFIED \| CERTIFIED \|/);
  assert.match(page, /\| net_a \| 6 \| required \| \[FAIL\]\(#net_a-6\) \| {2}\|/);
  assert.match(page, /- \*\*22\.11\*\* \(P\): leaks \(\[source\]\(https:\/\/example\.org\/a\)\)/);
  assert.doesNotMatch(page, /another DUT of the PMD/);
});

test('runs are shown as they came out, each DUT with its verdict and failed checks', () => {
  const check = (id, status) => ({ id, title: '', status });
  const run = (label, duts) => ({ label, summary: { duts } });
  const page = findingsPage({
    releases: [release('22.11', [])],
    duts,
    checkSpec: (id) => checks[id],
    runs: [
      run('22.11 on host', [
        { name: 'net_a', verdict: 'FAILED', checks: [check(6, 'FAIL'), check(11, 'PASS')] },
      ]),
      run('lab e1000', [{ name: 'pci-e1000', verdict: 'CERTIFIED', checks: [check(101, 'PASS')] }]),
    ],
  });
  assert.match(page, /## Observed runs/);
  assert.match(page, /\| DUT \| 22\.11 on host \| lab e1000 \|/);
  assert.match(page, /\| net_a \| FAILED \(6\) \| {2}\|/);
  assert.match(page, /\| pci-e1000 \| {2}\| CERTIFIED \|/);
  assert.doesNotMatch(findingsPage({ releases: [], duts, checkSpec: (id) => checks[id] }), /Observed runs/);
});

test('release and platform come from the file name', () => {
  assert.deepEqual(releaseOfFile('debian-12-source-dpdk-23.11.json'), {
    release: '23.11',
    platform: 'Debian 12, built from source',
  });
  assert.throws(() => releaseOfFile('notes.json'), /named <platform>-dpdk-<year.month>\.json/);
});

const finding = (id, more = {}) => ({
  id,
  subject: 'EAL',
  releases: ['22.11', '24.11'],
  title: `title of ${id}`,
  detail: 'what | happens',
  sdk: 'refuses it',
  evidence: 'a.test.ts',
  ...more,
});
const beyond = {
  core: [finding('core-x')],
  pmds: [finding('pmd-y', { subject: 'net_y' })],
  nicModels: [
    {
      id: 'nic-z',
      nic: 'QEMU e1000e',
      pmd: 'net_e1000_em',
      kernelDrivers: 'vfio-pci',
      removal: 'surprise',
      lab: 'QEMU 10',
      verdict: 'FAILED (110)',
      finding: 'slow close',
    },
  ],
  releaseDifferences: [
    { subject: 'net_bonding', releases: '23.11 →', difference: 'member', home: 'versions.ts' },
  ],
};

test('findings no expectation records get a linkable row each, by kind; the matrix its table', () => {
  const page = findingsPage({
    releases: [release('22.11', [])],
    duts,
    checkSpec: (id) => checks[id],
    beyond,
    matrix: ['| release | DPDK |', '|---|---|', '| 13 | 24.11.8 |'],
  });
  assert.match(
    page,
    /## DPDK core\n[^#]*\| <a id="core-x"><\/a>title of core-x: what \\\| happens \| EAL \| 22\.11, 24\.11 \| refuses it \| a\.test\.ts \|/,
  );
  assert.match(
    page,
    /## PMDs, beyond the default checks\n[^#]*<a id="pmd-y"><\/a>title of pmd-y[^\n]*\| net_y \|/,
  );
  assert.match(
    page,
    /\| <a id="nic-z"><\/a>QEMU e1000e \| net_e1000_em \| vfio-pci \| surprise \| QEMU 10 \| FAILED \(110\) \| slow close \|/,
  );
  assert.match(page, /\| net_bonding \| 23\.11 → \| member \| versions\.ts \|/);
  assert.match(page, /## The release matrix, last runs\n[^#]*\| 13 \| 24\.11\.8 \|/);
  assert.ok(page.indexOf('## DPDK core') < page.indexOf('## The findings'));
  assert.match(page, /\| <a id="pmd-net_y"><\/a>net_y \| {2}\| \[title of pmd-y\]\(#pmd-y\) \| {2}\|/);
  assert.match(
    page,
    /\| <a id="pmd-net_e1000_em"><\/a>net_e1000_em \| {2}\| {2}\| \[QEMU e1000e\]\(#nic-z\) \|/,
  );
  assert.match(page, /\| <a id="pmd-net_a"><\/a>net_a \| net_a \(no finding\) \|/);
});

test('a finding without a field, or an id given twice, is refused by name', () => {
  assert.throws(
    () => checkBeyondChecks({ ...beyond, core: [finding('core-x', { sdk: undefined })] }),
    /core\[0\] \(core-x\) has no "sdk"/,
  );
  assert.throws(
    () => checkBeyondChecks({ ...beyond, pmds: [finding('core-x')] }),
    /id "core-x" is given twice/,
  );
  assert.throws(() => checkBeyondChecks({ ...beyond, nicModels: undefined }), /"nicModels" must be a list/);
});
