/**
 * End to end: a DUT whose environment cannot be made is INCONCLUSIVE, the machine's, never FAILED.
 * Seen on Debian 13 and sid in the release matrix's chroot: `ip -n NS …` remounts / as a slave,
 * which fails when the root is not a mount point, so net_pcap-veth and net_af_packet were FAILED
 * on every check, blamed on the PMD, before the PMD was touched.
 * Steps: certify net_af_packet with an `ip` first on PATH that fails as it did there.
 * Verify: exit 3; INCONCLUSIVE; the first check fails as the environment's, with ip's message as
 * evidence, and the others are skipped with it (one worker restart, not fifteen); none is the PMD's.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import type { RunSummary } from '../model/summary.js';

const work = mkdtempSync(join(tmpdir(), 'dphp-e2e-env-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

it('a set-up the machine cannot make is the environment’s fault, not the PMD’s', () => {
  const bin = join(work, 'bin');
  const ip = join(work, 'bin-ip');
  writeFileSync(ip, '#!/bin/sh\necho \'"mount --make-rslave /" failed: Invalid argument\' >&2\nexit 1\n');
  chmodSync(ip, 0o755);
  mkdirSync(bin);
  symlinkSync(ip, join(bin, 'ip'));
  const out = join(work, 'out');
  const cli = fileURLToPath(new URL('../../bin/certify.mjs', import.meta.url));
  const r = spawnSync(
    process.execPath,
    [cli, 'certify', '--only', 'net_af_packet', '--cycles', '5', '--workers', '1', '--out', out],
    { encoding: 'utf8', timeout: 120_000, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } },
  );
  expect(r.status, r.stdout + r.stderr).toBe(3);
  const [dut] = (JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as RunSummary).duts;
  expect(dut!.verdict).toBe('INCONCLUSIVE');
  // The first check fails as the environment's, with ip's message; the others are skipped with it.
  const failed = dut!.checks.filter((c) => c.status === 'FAIL');
  expect(failed.map((c) => [c.id, c.fault])).toEqual([[1, 'environment']]);
  expect(failed[0]!.evidence?.join(' ')).toContain('mount --make-rslave /');
  const skipped = dut!.checks.filter((c) => c.status === 'SKIP');
  expect(skipped.length).toBeGreaterThanOrEqual(13);
  for (const c of skipped) expect(c.reason, `check ${c.id}`).toContain('mount --make-rslave /');
  expect(dut!.checks.some((c) => c.status === 'PASS')).toBe(false);
});
