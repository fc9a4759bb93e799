import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runtimeDirFor } from '@dpdk-hotplug/ethdev';
import * as linux from '@dpdk-hotplug/linux';
import { labMachine } from '@dpdk-hotplug/linux/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { LEDGER_ENV, record, runtimeFolder, undoLeftovers } from './ledger.js';

const work = mkdtempSync(join(tmpdir(), 'dphp-ledger-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const root = process.getuid?.() === 0;

describe('the run ledger: the safety net undoes what the run made, and nothing else', () => {
  /**
   * Steps: a "worker" records a folder, a process it started, an interface (as root) and an
   * entry for a process it did not start (a pid running another program), then "dies" without
   * giving them back; the run's end undoes the ledger.
   * Verify: its folder, process and interface are gone; the other process lives; the ledger goes.
   */
  it('undoes leftovers by what was recorded, never by name', async () => {
    const ledger = join(work, 'ledger');
    const dir = join(work, 'made');
    mkdirSync(dir);
    writeFileSync(join(dir, 'f'), 'x');
    record({ kind: 'dir', path: dir }, ledger);
    const script = join(work, 'sleeper.js');
    writeFileSync(script, 'setTimeout(() => {}, 60_000);');
    const mine = spawn(process.execPath, [script], { stdio: 'ignore' });
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    await sleep(200);
    record({ kind: 'process', pid: mine.pid!, script }, ledger);
    // A pid the kernel gave to someone else: the same number, another program.
    record({ kind: 'process', pid: other.pid!, script }, ledger);
    const link = `dphpled${process.pid % 10000}`;
    if (root) {
      await linux.addVethPair(linux.createHost(), link, `${link}p`);
      record({ kind: 'link', name: link }, ledger);
    }
    const minesExit = new Promise((r) => mine.once('exit', r));
    const { undone, problems } = await undoLeftovers(ledger);
    expect(problems).toEqual([]);
    await minesExit;
    expect(existsSync(dir)).toBe(false);
    expect(other.exitCode).toBeNull();
    other.kill();
    if (root) expect(existsSync(`/sys/class/net/${link}`)).toBe(false);
    expect(undone).toEqual(expect.arrayContaining([`removed ${dir}`, expect.stringMatching(/^killed \d+/)]));
    expect(existsSync(ledger)).toBe(false);
  });

  it('records nothing without a ledger, and forgets what was given back', () => {
    expect(record({ kind: 'dir', path: '/nowhere' }, undefined)).toBeTypeOf('function');
    const ledger = join(work, 'ledger2');
    const forget = record({ kind: 'dir', path: join(work, 'x') }, ledger);
    expect(readdirSync(ledger)).toHaveLength(1);
    forget();
    expect(readdirSync(ledger)).toHaveLength(0);
  });

  /**
   * Steps: a runtime folder recorded under the run's ledger (the environment the workers inherit),
   * made as DPDK would, then given back.
   * Verify: DPDK's path for the prefix; in the ledger while it exists; removed and forgotten after.
   */
  it('keeps a DPDK runtime folder in the ledger until it is removed', () => {
    const ledger = join(work, 'ledger3');
    const before = process.env[LEDGER_ENV];
    process.env[LEDGER_ENV] = ledger;
    try {
      const prefix = `ledger-test-${process.pid}`;
      const folder = runtimeFolder(prefix);
      expect(folder.path).toBe(runtimeDirFor(prefix));
      mkdirSync(folder.path, { recursive: true });
      expect(readdirSync(ledger)).toHaveLength(1);
      folder.remove();
      expect(existsSync(folder.path)).toBe(false);
      expect(readdirSync(ledger)).toHaveLength(0);
    } finally {
      if (before === undefined) delete process.env[LEDGER_ENV];
      else process.env[LEDGER_ENV] = before;
    }
  });

  /**
   * Steps: on a fake machine, a worker's namespace, veth and hugetlbfs mount recorded, and a
   * folder recorded with a hugetlbfs mount under it that the ledger does not list; the run's end
   * undoes the ledger through that machine's host.
   * Verify: the namespace, the interface and the recorded mount are gone (ip and umount on the
   * fake); the folder with a mount under it is left in place, said as a problem naming the mount.
   */
  it('gives back interfaces, namespaces and mounts through the kernel helpers', async () => {
    const m = labMachine();
    try {
      const ledger = join(work, 'ledger4');
      await linux.addNetns(m.host, 'dphp-ns');
      record({ kind: 'netns', name: 'dphp-ns' }, ledger);
      await linux.addVethPair(m.host, 'dhv9', 'dhp9', { peerNetns: 'dphp-ns' });
      record({ kind: 'link', name: 'dhv9' }, ledger);
      const huge = join(m.root, 'huge');
      await linux.mountHugetlbfs(m.host, huge, { pageSizeKb: 2048 });
      record({ kind: 'mount', path: huge }, ledger);
      const keep = join(m.root, 'keep');
      await linux.mountHugetlbfs(m.host, join(keep, 'huge'), { pageSizeKb: 2048 });
      record({ kind: 'dir', path: keep }, ledger);

      const { undone, problems } = await undoLeftovers(ledger, m.host);
      expect(undone).toEqual([
        'deleted interface dhv9',
        'deleted network namespace dphp-ns',
        `unmounted ${huge}`,
      ]);
      expect(await linux.linkExists(m.host, 'dhv9')).toBe(false);
      expect(await linux.netnsExists(m.host, 'dphp-ns')).toBe(false);
      expect((await linux.mounts(m.host)).map((e) => e.target)).not.toContain(huge);
      expect(problems).toEqual([expect.stringContaining(`left in place: ${keep}/huge is mounted there`)]);
      expect(existsSync(keep)).toBe(true);
    } finally {
      m.cleanup();
    }
  });
});
