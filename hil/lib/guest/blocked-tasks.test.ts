import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BlockedTask } from '../virtual/stall.js';
import { BlockedTaskWatch, contextSwitches, kmsgLine, parseStat, stackFrames } from './blocked-tasks.js';

// A stack as /proc/PID/task/TID/stack shows one, made up in the shape of a task waiting for a PCI
// reset: no blocked task has been recorded in a guest yet.
const STACK = `[<0>] __schedule+0x34d/0x9e0
[<0>] schedule+0x5a/0xd0
[<0>] schedule_timeout+0x118/0x150
[<0>] wait_for_completion+0x86/0x160
[<0>] __flush_work.isra.0+0x17b/0x280
[<0>] vfio_pci_core_disable+0x2c/0x3e0 [vfio_pci_core]
`;

const folders: string[] = [];
afterEach(() => {
  for (const f of folders.splice(0)) rmSync(f, { recursive: true, force: true });
});

/** A fake /proc with one process and its threads, each `[tid, comm, state, switches]`. */
function fakeProc(pid: number, threads: [number, string, string, number][]): string {
  const proc = mkdtempSync(join(tmpdir(), 'fake-proc-'));
  folders.push(proc);
  writeFileSync(join(proc, 'uptime'), '812.30 700.00\n');
  setThreads(proc, pid, threads);
  return proc;
}

function setThreads(proc: string, pid: number, threads: [number, string, string, number][]): void {
  rmSync(join(proc, String(pid)), { recursive: true, force: true });
  for (const [tid, comm, state, switches] of threads) {
    const dir = join(proc, String(pid), 'task', String(tid));
    mkdirSync(dir, { recursive: true });
    const stat = `${tid} (${comm}) ${state} 1 1 1 0 -1 4194560 100 0 0 0 5 5 0 0 20 0 1 0 500 0 0\n`;
    writeFileSync(join(dir, 'stat'), stat);
    if (tid === pid) writeFileSync(join(proc, String(pid), 'stat'), stat);
    writeFileSync(
      join(dir, 'status'),
      `Name:\t${comm}\nState:\t${state}\nvoluntary_ctxt_switches:\t${switches}\nnonvoluntary_ctxt_switches:\t7\n`,
    );
    writeFileSync(join(dir, 'wchan'), '__flush_work.isra.0');
    writeFileSync(join(dir, 'stack'), STACK);
  }
}

describe("the guest agent's look at blocked tasks", () => {
  it('reads a stat whose command holds parentheses, the context switches and the stack', () => {
    expect(parseStat('182 (node (worker)) D 1 1 1 0')).toEqual({ comm: 'node (worker)', state: 'D' });
    expect(contextSwitches('voluntary_ctxt_switches:\t40\nnonvoluntary_ctxt_switches:\t2\n')).toBe(42);
    expect(stackFrames(STACK)).toEqual([
      '__schedule+0x34d/0x9e0',
      'schedule+0x5a/0xd0',
      'schedule_timeout+0x118/0x150',
      'wait_for_completion+0x86/0x160',
      '__flush_work.isra.0+0x17b/0x280',
      'vfio_pci_core_disable+0x2c/0x3e0 [vfio_pci_core]',
    ]);
    expect(kmsgLine('6,1234,812301234,-;DMAR: DRHD: handling fault status reg 2\n SUBSYSTEM=pci\n')).toBe(
      '[  812.301234] DMAR: DRHD: handling fault status reg 2',
    );
  });

  it('records a task in D whose switches stay still, once, after the limit; not one that runs', () => {
    const proc = fakeProc(180, [
      [180, 'node', 'S', 10],
      [182, 'node', 'D', 40],
      [183, 'libuv-worker', 'D', 5],
    ]);
    let now = 0;
    const seen: BlockedTask[] = [];
    const watch = new BlockedTaskWatch((t) => seen.push(t), {
      proc,
      afterMs: 60_000,
      now: () => now,
      dut: () => 'virtual-igb-vfio-pci-clean (after check 106)',
    });
    for (; now <= 50_000; now += 10_000) {
      // 183 sleeps in D over and over but runs in between (its switches move): never blocked.
      setThreads(proc, 180, [
        [180, 'node', 'S', 10],
        [182, 'node', 'D', 40],
        [183, 'libuv-worker', 'D', 5 + now / 1000],
      ]);
      watch.tick();
    }
    expect(seen).toEqual([]);
    watch.tick(); // 60 s
    watch.tick(); // and again: recorded once
    expect(seen).toEqual([
      {
        uptimeS: 812.3,
        pid: 180,
        tid: 182,
        comm: 'node',
        process: 'node',
        blockedS: 60,
        wchan: '__flush_work.isra.0',
        stack: stackFrames(STACK),
        dut: 'virtual-igb-vfio-pci-clean (after check 106)',
      },
    ]);
  });

  it('starts over for a task that woke up in between', () => {
    const proc = fakeProc(200, [[200, 'node', 'D', 1]]);
    let now = 0;
    const seen: BlockedTask[] = [];
    const watch = new BlockedTaskWatch((t) => seen.push(t), { proc, afterMs: 60_000, now: () => now });
    watch.tick();
    now = 30_000;
    setThreads(proc, 200, [[200, 'node', 'S', 1]]);
    watch.tick();
    now = 40_000;
    setThreads(proc, 200, [[200, 'node', 'D', 1]]);
    watch.tick();
    now = 90_000;
    watch.tick();
    expect(seen).toEqual([]);
    now = 100_000;
    watch.tick();
    expect(seen.map((t) => [t.tid, t.blockedS, t.dut])).toEqual([[200, 60, undefined]]);
  });
});
