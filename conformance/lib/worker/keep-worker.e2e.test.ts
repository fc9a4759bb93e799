/**
 * `keepWorkerAfterFailure` on Playwright and real DPDK (a net_null port stands in for the PCI
 * DUT's): a small suite run by Playwright's own runner, its EAL a worker fixture as the PCI
 * checks' is. Steps: a check that fails holding a port; the next check; a check that times out
 * holding a port; the next check. Verify: the failure stays a failure for a reporter (status
 * `failed`, its error, the note that the worker was kept) and the next check runs in the same
 * worker with no port in its EAL and the DUT forgotten; after the timeout Playwright starts a new
 * worker as before. This pins what the speed-up relies on in Playwright (a failure marked
 * expected keeps the worker): a Playwright that changes it fails here.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, expect, it } from 'vitest';

const work = mkdtempSync(join(tmpdir(), 'dphp-keep-worker-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const require = createRequire(import.meta.url);
const url = (p: string) => JSON.stringify(pathToFileURL(p).href);
const fixtures = fileURLToPath(new URL('../../dist/worker/pci-fixtures.js', import.meta.url));

const SPEC = `
import { test as base, expect } from ${url(join(dirname(require.resolve('@playwright/test')), 'index.mjs'))};
import { Eal } from ${url(require.resolve('@dpdk-hotplug/ethdev'))};
import { keepWorkerAfterFailure } from ${url(fixtures)};

let forgotten = 0;
const pid = (testInfo) => testInfo.annotations.push({ type: 'pid', description: String(process.pid) });
const test = base.extend({
  eal: [
    async ({}, use) => {
      const eal = Eal.init({ noHuge: true, noPci: true, memoryMb: 64, noSharedConfig: true,
        filePrefix: 'keep-worker-' + process.pid, logLevel: 'error', logEcho: false });
      await use(eal);
      eal.cleanup();
    },
    { scope: 'worker' },
  ],
  keep: [
    async ({ eal }, use, testInfo) => {
      await use();
      keepWorkerAfterFailure(testInfo, eal, () => forgotten++);
    },
    { auto: true },
  ],
});

test('fails holding a port', async ({ eal }, testInfo) => {
  pid(testInfo);
  await eal.attach('net_null0');
  expect(eal.ports().length, 'the check under test').toBe(0);
});
test('runs next, in the same worker', async ({ eal }, testInfo) => {
  pid(testInfo);
  testInfo.annotations.push({ type: 'ports', description: JSON.stringify(eal.ports()) });
  testInfo.annotations.push({ type: 'forgotten', description: String(forgotten) });
});
test('times out holding a port', async ({ eal }, testInfo) => {
  pid(testInfo);
  testInfo.setTimeout(3000);
  await eal.attach('net_null1');
  await new Promise((r) => setTimeout(r, 30000));
});
test('runs next, in a new worker', async ({ eal }, testInfo) => {
  pid(testInfo);
  testInfo.annotations.push({ type: 'ports', description: JSON.stringify(eal.ports()) });
});
`;

interface JsonResult {
  status: string;
  workerIndex: number;
  errors: Array<{ message?: string }>;
  annotations?: Array<{ type: string; description?: string }>;
}

it('keeps the worker after a failed check, its ports detached; a timed-out check gets a new worker', () => {
  writeFileSync(join(work, 'keep.spec.mjs'), SPEC);
  const report = join(work, 'results.json');
  writeFileSync(
    join(work, 'playwright.config.mjs'),
    `export default { testDir: '.', workers: 1, retries: 0, reporter: [['json', { outputFile: ${JSON.stringify(report)} }]] };\n`,
  );
  const cli = createRequire(require.resolve('@playwright/test')).resolve('@playwright/test/cli');
  const run = spawnSync(process.execPath, [cli, 'test', '-c', join(work, 'playwright.config.mjs')], {
    cwd: work,
    encoding: 'utf8',
    timeout: 150_000,
  });
  const json = JSON.parse(readFileSync(report, 'utf8'));
  const tests: Array<{ title: string; expectedStatus: string; result: JsonResult }> = json.suites
    .flatMap(
      (s: {
        specs: Array<{ title: string; tests: Array<{ expectedStatus: string; results: JsonResult[] }> }>;
      }) => s.specs,
    )
    .map((s: { title: string; tests: Array<{ expectedStatus: string; results: JsonResult[] }> }) => ({
      title: s.title,
      expectedStatus: s.tests[0]!.expectedStatus,
      result: s.tests[0]!.results[0]!,
    }));
  expect(
    tests.map((t) => t.title),
    run.stdout + run.stderr,
  ).toEqual([
    'fails holding a port',
    'runs next, in the same worker',
    'times out holding a port',
    'runs next, in a new worker',
  ]);
  const said = (t: (typeof tests)[number], type: string) =>
    t.result.annotations?.find((a) => a.type === type)?.description;
  const [failed, next, timedOut, after] = tests as [
    (typeof tests)[number],
    (typeof tests)[number],
    (typeof tests)[number],
    (typeof tests)[number],
  ];
  // The failure, as a reporter reads it: failed, with its error, and the worker kept.
  expect(failed.result.status).toBe('failed');
  expect(failed.result.errors.map((e) => e.message).join('\n')).toContain('the check under test');
  expect(said(failed, 'worker')).toMatch(/^kept after this failure/);
  expect(failed.expectedStatus).toBe('failed');
  // The next check: the same process, no port left in its EAL, the DUT's in-worker state dropped.
  expect(next.result.status).toBe('passed');
  expect(said(next, 'pid')).toBe(said(failed, 'pid'));
  expect(next.result.workerIndex).toBe(failed.result.workerIndex);
  expect(said(next, 'ports')).toBe('[]');
  expect(said(next, 'forgotten')).toBe('1');
  // A timeout is not made expected: Playwright starts a new worker, as before.
  expect(timedOut.result.status).toBe('timedOut');
  expect(said(timedOut, 'worker')).toBeUndefined();
  expect(timedOut.expectedStatus).toBe('passed');
  expect(after.result.status).toBe('passed');
  expect(said(after, 'pid')).not.toBe(said(timedOut, 'pid'));
  expect(after.result.workerIndex).not.toBe(timedOut.result.workerIndex);
  expect(said(after, 'ports')).toBe('[]');
});
