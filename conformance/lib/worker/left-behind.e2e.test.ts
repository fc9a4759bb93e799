/**
 * End to end: a failed re-attach names what the last detach left behind. Steps: certify
 * net_memif (22.11 keeps its listener after a detach). Verify: each check refused on the
 * re-attach carries the evidence of what the worker held after the detach and not before the
 * first attach: the listener's socket and memif's socket hash memzone.
 * Then net_softnic, which cannot start here (no pipeline spec) and whose attach/close/remove
 * keeps the rings of its threads: check 6 still runs its cycles as attach/close/detach, and
 * checks 6 and 7 name the memzones the first detach left as the cause of the refused re-attach.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import type { RunSummary } from '../model/summary.js';
import { compare, readExpectations, shippedExpectationsFor } from '../reports/expectations.js';

function certify(args: string[]): RunSummary {
  const out = mkdtempSync(join(tmpdir(), 'dphp-left-'));
  try {
    const cli = fileURLToPath(new URL('../../bin/certify.mjs', import.meta.url));
    spawnSync(process.execPath, [cli, 'certify', ...args, '--out', out], {
      encoding: 'utf8',
      timeout: 170_000,
    });
    return JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as RunSummary;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

it('net_softnic: cycles without a start, and the memzones its first detach kept fail the next attach', (ctx) => {
  const run = certify(['--dut', 'net_softnic0', '--traffic', 'none', '--cycles', '20']);
  const check = (id: number) => run.duts[0]!.checks.find((c) => c.id === id)!;
  const zones =
    /the first detach left behind memzones \+(\d+) \(RG_net_softnic0-TH0-REQ, RG_net_softnic0-TH0-RSP, /;
  // Check 6: the start fails (no pipeline spec here: the machine's, for every release), the cycle
  // goes on as attach/close/detach.
  expect(check(6).reason).toMatch(
    /^cycle 0: DpdkError: Port 0 \(net_softnic0\): start failed with EIO; the cycles went on as attach\/close\/detach; /,
  );
  // The kept rings are 22.11's softnic (seen on it): a release whose detach keeps none has no
  // evidence to show, and this test nothing more to check.
  if (!/cycle 1: the attach after a clean detach failed/.test(check(6).reason ?? ''))
    ctx.skip(`this DPDK's softnic keeps nothing its next attach needs: ${run.duts[0]!.dpdkVersion}`);
  expect(check(6).status).toBe('FAIL');
  expect(check(6).reason).toMatch(
    /cycle 1: the attach after a clean detach failed: DpdkError: DPDK could not attach "net_softnic0": RING: Cannot reserve memory/,
  );
  expect(Number(zones.exec(check(6).reason ?? '')?.[1])).toBeGreaterThan(100);
  // Only what the PMD kept: not the check's own log file.
  expect(check(6).reason).not.toMatch(/fds \+/);
  // Check 7 judges that cycle instead of skipping: the detach kept what the next attach needed.
  expect(check(7).status, check(7).reason).toBe('FAIL');
  expect(check(7).reason).toMatch(/^left behind by a detach: cycle 1: .*RING: Cannot reserve memory/);
  expect(check(7).reason).toMatch(zones);
});

it('net_memif: the refused re-attach names the socket and memzone the detach kept', (ctx) => {
  const run = certify(['--only', 'net_memif', '--cycles', '20']);
  const check5 = run.duts[0]!.checks.find((c) => c.id === 5)!;
  // Kept on every release run here (22.11 to 25.11): the shipped expectations of this DPDK say
  // so, not this test. The day a release keeps no listener, its expectations lose the finding and
  // check 5 must pass; a DPDK with no shipped expectations has nothing to say here.
  let shipped: string;
  try {
    shipped = shippedExpectationsFor(run.duts[0]!.dpdkVersion.replace(/^DPDK /, ''));
  } catch (e) {
    ctx.skip(`no shipped expectations for this DPDK: ${(e as Error).message}`);
    return;
  }
  const outcome = compare(run, readExpectations(shipped)).find((o) => o.dut === 'net_memif' && o.check === 5);
  // Expected to fail (known, or FIXED: then the expectations are stale and this fails saying so).
  if (outcome?.outcome !== 'KNOWN FAIL' && outcome?.outcome !== 'FIXED') {
    expect(check5.status, `${shipped} knows no finding of check 5: ${check5.reason}`).toBe('PASS');
    return;
  }
  expect(check5.status, check5.reason).toBe('FAIL');
  expect(check5.reason).toMatch(/could not attach/);
  const said = check5.evidence?.find((e) => e.startsWith("held after the DUT's detach"));
  expect(said, JSON.stringify(check5.evidence)).toMatch(
    /memzones \+1 \(RG_HT_memif-sh\); fds \+1 \(socket:\[\d+\]\)$/,
  );
});
