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

it('net_softnic: cycles without a start, and the memzones its first detach kept fail the next attach', () => {
  const run = certify(['--dut', 'net_softnic0', '--traffic', 'none', '--cycles', '20']);
  const check = (id: number) => run.duts[0]!.checks.find((c) => c.id === id)!;
  const zones =
    /the first detach left behind memzones \+(\d+) \(RG_net_softnic0-TH0-REQ, RG_net_softnic0-TH0-RSP, /;
  // Check 6: the start fails, the cycle goes on as attach/close/detach, the next attach is refused.
  expect(check(6).status).toBe('FAIL');
  expect(check(6).reason).toMatch(
    /^cycle 0: DpdkError: Port 0 \(net_softnic0\): start failed with EIO; the cycles went on as attach\/close\/detach; /,
  );
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

it('net_memif: the refused re-attach names the socket and memzone the detach kept', () => {
  const run = certify(['--only', 'net_memif', '--cycles', '20']);
  const check5 = run.duts[0]!.checks.find((c) => c.id === 5)!;
  // Kept on every release run here (22.11 to 25.11: conformance/README.md); said either way.
  expect(check5.status, check5.reason).toBe('FAIL');
  expect(check5.reason).toMatch(/could not attach/);
  const said = check5.evidence?.find((e) => e.startsWith("held after the DUT's detach"));
  expect(said, JSON.stringify(check5.evidence)).toMatch(
    /memzones \+1 \(RG_HT_memif-sh\); fds \+1 \(socket:\[\d+\]\)$/,
  );
});
