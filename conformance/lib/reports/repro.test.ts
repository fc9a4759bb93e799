/**
 * The reproducers of the default run's five PMD findings on the DPDK in use, compiled with the
 * build command their README gives and run as a maintainer would: each exits 1 (defect present)
 * with the numbers the certificate gives, and a template run on a PMD without that defect exits 0.
 * Real DPDK, real cc; each program in its own process. The kind of each finding is asserted from
 * the reasons a real certify run gives in certify.e2e.test.ts (net_null, net_ring); here the
 * reasons of the other DUTs, as the shipped expectations describe them.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { currentDpdk, runtimeDirFor } from '@dpdk-hotplug/ethdev';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_DUTS } from '../model/default-duts.js';
import type { Dut } from '../model/dut.js';
import {
  buildCommand,
  REPRO_IFACE,
  type ReproKind,
  reproKindOf,
  reproPrefix,
  reproProgram,
} from './repro.js';
import type { CheckResult } from '../model/summary.js';

const root = process.getuid?.() === 0;
const dpdk = currentDpdk();
const work = mkdtempSync(join(tmpdir(), 'dphp-repro-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The DPDK this test loads; the programs build against it (its pkg-config folder when not the system's). */
const target =
  dpdk.selectedBy === 'pkg-config'
    ? { version: dpdk.version }
    : { version: dpdk.version, pcDir: dpdk.pcDir, libdir: dpdk.libdir };

const dut = (name: string): Dut => DEFAULT_DUTS.find((d) => d.name === name)!;

/** Writes, builds (the README's command) and runs one program; its exit code and output. */
function runRepro(kind: ReproKind, of: Dut, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(work, `${of.name}-${kind}-`));
  writeFileSync(join(dir, 'repro.c'), reproProgram(kind, of, { dpdk: target, command: 'test' }));
  execFileSync('sh', ['-c', buildCommand(target)], { cwd: dir, stdio: 'pipe' });
  const r = spawnSync('./repro', {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, ...env },
  });
  // DPDK leaves the program's runtime folder behind (made by this run, so ours to remove).
  rmSync(runtimeDirFor(reproPrefix(`${of.name}-${kind}`)), { recursive: true, force: true });
  return { status: r.status, out: r.stdout, log: r.stderr };
}

describe.skipIf(!root)('reproducers of the default run’s findings', () => {
  it('net_null: the leak program measures 384 B of DPDK heap per cycle (check 7)', () => {
    const r = runRepro('leak', dut('net_null'));
    expect(r.status, r.out + r.log).toBe(1);
    expect(r.out).toMatch(/DPDK heap \+\d+ B \(\+384\.0 B per cycle\)/);
  });

  it('net_failsafe: the leak program measures about 27.5 KB per cycle (check 7)', () => {
    const r = runRepro('leak', dut('net_failsafe'));
    expect(r.status, r.out + r.log).toBe(1);
    const perCycle = Number(/\(\+([\d.]+) B per cycle\)/.exec(r.out)?.[1]);
    expect(perCycle).toBeGreaterThan(20_000);
  });

  it('net_ring: the stale-rx program gets an earlier attach’s packets back (check 6)', () => {
    const r = runRepro('stale-rx', dut('net_ring'));
    expect(r.status, r.out + r.log).toBe(1);
    expect(r.out).toMatch(
      /attach \d \(net_ring0\), port \d+: [1-9]\d* packets waiting .*\([1-9]\d* of them sent by an earlier attach\)/,
    );
  });

  it('net_memif: the reattach program cannot attach again, and the failed attach leaves the port (checks 3, 5, 6, …)', () => {
    const r = runRepro('reattach', dut('net_memif'));
    expect(r.status, r.out + r.log).toBe(1);
    expect(r.out).toMatch(/attach 1 .*: all 0/);
    expect(r.out).toMatch(/attach 2 .*rte_dev_probe failed/);
    expect(r.log).toMatch(/Address already in use/);
    // What the first detach left behind: the listener's socket.
    expect(r.out).toMatch(/left behind: fd socket:\[\d+\]/);
    // A fresh socket path: what the failed attach left (the ethdev) refuses it.
    expect(r.out).toMatch(/attach 3 .*rte_dev_probe failed/);
    expect(r.log).toMatch(/net_memif0 already allocated/);
  });

  it('net_af_xdp: the reattach program’s second rx queue setup fails with EINVAL (checks 3, 5, 6)', () => {
    // The interface its README tells a maintainer to make, removed afterwards.
    const iface = `${REPRO_IFACE.slice(0, 8)}t${process.pid % 1000}`;
    execFileSync('ip', ['link', 'add', iface, 'type', 'veth', 'peer', 'name', `${iface}p`]);
    try {
      execFileSync('ip', ['link', 'set', iface, 'up']);
      execFileSync('ip', ['link', 'set', `${iface}p`, 'up']);
      const r = runRepro('reattach', dut('net_af_xdp'), { REPRO_IFACE: iface });
      expect(r.status, r.out + r.log).toBe(1);
      expect(r.out).toMatch(/attach 1 .*: all 0/);
      expect(r.out).toMatch(/attach 2 .*rte_eth_rx_queue_setup failed: -22/);
      expect(r.log).toMatch(/Failed to create xsk socket/);
      // What the first detach left behind: the xsk socket and its BPF program and map.
      expect(r.out).toMatch(/left behind: fd socket:\[\d+\]/);
      expect(r.out).toMatch(/left behind: fd anon_inode:bpf-prog/);
    } finally {
      execFileSync('ip', ['link', 'del', iface]);
    }
  });

  it('net_softnic: cannot start here, and its attach/close/remove leaves memzones that fail the next attach', () => {
    const softnic: Dut = {
      name: 'net_softnic',
      pmd: 'net_softnic',
      devargs: 'net_softnic0',
      setup: 'none',
      traffic: 'none',
    };
    const r = runRepro('reattach', softnic);
    expect(r.status, r.out + r.log).toBe(1);
    expect(r.out).toMatch(/attach 1 \(net_softnic0\): rte_eth_dev_start failed/);
    expect(r.out).toMatch(/left behind: memzone RG_net_softnic0-/);
    const zones = Number(/in all: \+(\d+) memzone/.exec(r.out)?.[1]);
    expect(zones).toBeGreaterThan(100);
    expect(r.out).toMatch(/attach 2 \(net_softnic0\): rte_dev_probe failed: -12/);
    expect(r.log).toMatch(/RING: Cannot reserve memory/);
  });

  it('passes where the defect is absent: net_ring does not leak, net_null attaches again', () => {
    const leak = runRepro('leak', dut('net_ring'));
    expect(leak.status, leak.out + leak.log).toBe(0);
    expect(leak.out).toMatch(/DPDK heap \+0 B \(\+0\.0 B per cycle\), memzones \+0, fds \+0/);
    const again = runRepro('reattach', dut('net_null'));
    expect(again.status, again.out + again.log).toBe(0);
    expect(again.out).toMatch(/attach 2 .*: all 0/);
    expect(again.out).toMatch(/held that was not before it:\n {2}nothing\n/);
  });
});

describe('the kind of reproducer of a finding', () => {
  const fail = (id: number, reason: string, more: Partial<CheckResult> = {}): CheckResult => ({
    id,
    title: `${id}.`,
    status: 'FAIL',
    reason,
    notes: [],
    durationMs: 0,
    ...more,
  });
  it('follows the check and what it said', () => {
    expect(reproKindOf(fail(7, 'leaks: dpdkHeapBytes grows 384 per cycle'))).toBe('leak');
    expect(
      reproKindOf(
        fail(
          6,
          'traffic failed: sent 4, received 32: looped back, more than were sent: packets queued before (an earlier attach?) came back',
        ),
      ),
    ).toBe('stale-rx');
    expect(
      reproKindOf(fail(3, 'DpdkError: DPDK could not attach "net_memif0,…": Address already in use')),
    ).toBe('reattach');
    expect(
      reproKindOf(
        fail(5, 'KeptFromEarlierAttach: rx queue setup is refused on an attach right after a detach'),
      ),
    ).toBe('reattach');
    expect(reproKindOf(fail(10, 'the PMD must refuse an unknown argument (x=1); it accepted it'))).toBe(
      'unknown-arg',
    );
    expect(
      reproKindOf(fail(11, 'not a meaningful negative errno: … returned -1 (a bare -1, read as EPERM)')),
    ).toBe('unknown-arg');
  });
  it('gives none to what is not the PMD’s, or has no template', () => {
    expect(reproKindOf(fail(7, 'leaks: dpdkHeapBytes grows', { fault: 'suite' }))).toBeUndefined();
    expect(
      reproKindOf(fail(14, 'the primary process died (SIGABRT): free(): invalid pointer')),
    ).toBeUndefined();
    expect(reproKindOf({ ...fail(7, 'leaks: x'), status: 'PASS' })).toBeUndefined();
  });
});
