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
import { addVethPair, createHost, deleteLink, setLinkUp } from '@dpdk-hotplug/linux';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_DUTS } from '../model/default-duts.js';
import type { Dut } from '../model/dut.js';
import { hugepageLab } from '../common/hugepages.js';
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

/** Runs `fn` with a private hugetlbfs of 48 reserved pages (a primary and its secondary share them). */
async function onHugepages<T>(fn: (dir: string) => T): Promise<T> {
  const lab = await hugepageLab(48);
  if ('unavailable' in lab) throw new Error(`hugepages: ${lab.unavailable}`);
  try {
    return fn(lab.dir);
  } finally {
    await lab.undo();
  }
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

  it('net_af_xdp: the reattach program’s second rx queue setup fails with EINVAL (checks 3, 5, 6)', async () => {
    // The interface its README tells a maintainer to make, removed afterwards.
    const host = createHost();
    const iface = `${REPRO_IFACE.slice(0, 8)}t${process.pid % 1000}`;
    await addVethPair(host, iface, `${iface}p`);
    try {
      await setLinkUp(host, iface);
      await setLinkUp(host, `${iface}p`);
      const r = runRepro('reattach', dut('net_af_xdp'), { REPRO_IFACE: iface });
      expect(r.status, r.out + r.log).toBe(1);
      expect(r.out).toMatch(/attach 1 .*: all 0/);
      expect(r.out).toMatch(/attach 2 .*rte_eth_rx_queue_setup failed: -22/);
      expect(r.log).toMatch(/Failed to create xsk socket/);
      // What the first detach left behind: the xsk socket and its BPF program and map.
      expect(r.out).toMatch(/left behind: fd socket:\[\d+\]/);
      expect(r.out).toMatch(/left behind: fd anon_inode:bpf-prog/);
    } finally {
      await deleteLink(host, iface);
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

  it('net_af_xdp: another process cannot set the port up while this one holds what its detach kept (checks 13, 16)', () => {
    const iface = `${REPRO_IFACE.slice(0, 8)}o${process.pid % 1000}`;
    execFileSync('ip', ['link', 'add', iface, 'type', 'veth', 'peer', 'name', `${iface}p`]);
    try {
      execFileSync('ip', ['link', 'set', iface, 'up']);
      execFileSync('ip', ['link', 'set', `${iface}p`, 'up']);
      const r = runRepro('other-process', dut('net_af_xdp'), { REPRO_IFACE: iface });
      expect(r.status, r.out + r.log).toBe(1);
      // The control: a fresh process sets the port up before this one touched it.
      expect(r.out).toMatch(
        /before this process touched the device:\n {2}--vdev net_af_xdp0,iface=\S+: configure, start, stop, close, remove: all 0/,
      );
      expect(r.out).toMatch(/left behind: fd socket:\[\d+\]/);
      expect(r.out).toMatch(
        /after this process detached the device .*:\n {2}--vdev \S+: rte_eth_rx_queue_setup failed: -22/,
      );
      expect(r.log).toMatch(/Failed to create xsk socket/);
    } finally {
      execFileSync('ip', ['link', 'del', iface]);
    }
  });

  it('net_failsafe: the primary aborts removing the unclosed port while a secondary runs (check 14)', async () => {
    const r = await onHugepages((dir) => runRepro('mp-remove', dut('net_failsafe'), { REPRO_HUGE_DIR: dir }));
    expect(r.status, r.out + r.log).toBe(1);
    expect(r.out).toMatch(/the secondary, after the attach: ports: net_failsafe0/);
    expect(r.out).toMatch(/DEFECT PRESENT: the primary died of Aborted removing the unclosed port's device/);
    expect(r.log).toMatch(/free\(\): invalid pointer/);
  });

  it('passes where the defect is absent: net_null in another process and under a secondary', async () => {
    const other = runRepro('other-process', dut('net_null'));
    expect(other.status, other.out + other.log).toBe(0);
    expect(other.out).toMatch(
      /after this process detached the device .*:\n {2}--vdev net_null0: configure, start, stop, close, remove: all 0/,
    );
    const mp = await onHugepages((dir) => runRepro('mp-remove', dut('net_null'), { REPRO_HUGE_DIR: dir }));
    expect(mp.status, mp.out + mp.log).toBe(0);
    expect(mp.out).toMatch(/rte_dev_remove: 0 \(ok\)\n {2}the secondary, after the removal: ports:\n/);
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
    // The reasons of a certify run on 22.11.11 (--only net_af_xdp,net_failsafe, 6 December 2026).
    expect(
      reproKindOf(
        fail(
          13,
          'the EAL-start process failed: Port 0 (net_af_xdp0): rx queue 0 setup failed with EINVAL [LIFECYCLE_FAILED]',
        ),
      ),
    ).toBe('other-process');
    expect(
      reproKindOf(
        fail(
          16,
          'testpmd and the SDK differ: start: under testpmd: refused (xsk_configure(): Failed to create xsk socket. | eth_rx_queue_setup(): Failed to configure xdp socket | Fail to configure port 0 rx queues); through the SDK: ok; detach-started: …',
          { fault: 'pmd' },
        ),
      ),
    ).toBe('other-process');
    expect(
      reproKindOf(
        fail(
          14,
          'detach in the primary: the secondary sees it go: the primary process died (SIGABRT): free(): invalid pointer',
          { fault: 'pmd' },
        ),
      ),
    ).toBe('mp-remove');
    // check 6's finding of a port that cannot start, whose re-attach fails: the reattach program.
    expect(
      reproKindOf(
        fail(
          7,
          'left behind by a detach: cycle 1: the attach after a clean detach failed: DpdkError: DPDK could not attach "net_softnic0": RING: Cannot reserve memory; the first detach left behind memzones +256 (…)',
        ),
      ),
    ).toBe('reattach');
  });
  it('gives none to what is not the PMD’s, or has no template', () => {
    expect(reproKindOf(fail(7, 'leaks: dpdkHeapBytes grows', { fault: 'suite' }))).toBeUndefined();
    expect(reproKindOf({ ...fail(7, 'leaks: x'), status: 'PASS' })).toBeUndefined();
  });
});
