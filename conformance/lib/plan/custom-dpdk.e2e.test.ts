/**
 * End to end: `dpdk-hotplug certify --dpdk PREFIX` with a DPDK installation copied to another
 * prefix (laid out as `meson install` lays it out), as a user of a custom build would run it.
 * Steps: copy the installed DPDK; certify net_null with it, 60 cycles, `--expect auto`.
 * Verify: exit 0 (net_null's findings are the known ones of this DPDK, nothing new); the run
 * says it used that prefix; a shim was built for that prefix (the workers loaded it from there);
 * the summary names the copy's DPDK version; net_null's findings are exactly the shipped ones.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findDpdk } from '@dpdk-hotplug/ethdev';
import { type CopiedDpdk, copyInstalledDpdk } from '@dpdk-hotplug/ethdev/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunSummary } from '../model/summary.js';

let copy: CopiedDpdk;
const out = mkdtempSync(join(tmpdir(), 'dphp-e2e-dpdk-'));
beforeAll(() => {
  copy = copyInstalledDpdk();
}, 60_000);
afterAll(() => {
  const shim = copy && findDpdk(copy.prefix).shimPath;
  copy?.remove();
  if (shim) rmSync(dirname(shim), { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
});

it('certifies net_null with a DPDK moved to another prefix', () => {
  const cli = fileURLToPath(new URL('../../bin/certify.mjs', import.meta.url));
  const args = ['certify', '--dpdk', copy.prefix, '--only', 'net_null', '--cycles', '60', '--expect', 'auto'];
  const r = spawnSync(process.execPath, [cli, ...args, '--out', out], { encoding: 'utf8', timeout: 120_000 });
  const installed = findDpdk(undefined, 'pkg-config');
  expect(r.status, r.stdout + r.stderr).toBe(0);
  expect(r.stdout).toContain(`with DPDK ${installed.version} (${copy.prefix})`);
  expect(existsSync(findDpdk(copy.prefix).shimPath)).toBe(true);
  const run = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as RunSummary;
  expect(run.duts.map((d) => [d.name, d.dpdkVersion])).toEqual([['net_null', `DPDK ${installed.version}`]]);
  // Exactly the shipped findings of this DPDK: each known one failed again, nothing new, none fixed.
  const outcomes = JSON.parse(readFileSync(join(out, 'expectations.json'), 'utf8')) as { outcome: string }[];
  expect(outcomes.filter((o) => o.outcome === 'KNOWN FAIL').length).toBeGreaterThan(0);
  expect(outcomes.filter((o) => o.outcome === 'NEW FAIL' || o.outcome === 'FIXED')).toEqual([]);
});
