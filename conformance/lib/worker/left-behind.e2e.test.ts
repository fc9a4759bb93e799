/**
 * End to end: a failed re-attach names what the last detach left behind. Steps: certify
 * net_memif (22.11 keeps its listener after a detach). Verify: each check refused on the
 * re-attach carries the evidence of what the worker held after the detach and not before the
 * first attach: the listener's socket and memif's socket hash memzone.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import type { RunSummary } from '../model/summary.js';

it('net_memif: the refused re-attach names the socket and memzone the detach kept', () => {
  const out = mkdtempSync(join(tmpdir(), 'dphp-left-'));
  try {
    const cli = fileURLToPath(new URL('../../bin/certify.mjs', import.meta.url));
    spawnSync(process.execPath, [cli, 'certify', '--only', 'net_memif', '--cycles', '20', '--out', out], {
      encoding: 'utf8',
      timeout: 170_000,
    });
    const run = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as RunSummary;
    const check5 = run.duts[0]!.checks.find((c) => c.id === 5)!;
    // Kept on every release run here (22.11 to 25.11: conformance/README.md); said either way.
    expect(check5.status, check5.reason).toBe('FAIL');
    expect(check5.reason).toMatch(/could not attach/);
    const said = check5.evidence?.find((e) => e.startsWith("held after the DUT's detach"));
    expect(said, JSON.stringify(check5.evidence)).toMatch(
      /memzones \+1 \(RG_HT_memif-sh\); fds \+1 \(socket:\[\d+\]\)$/,
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
