import { appendFileSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BLOCKED_STILL_MS,
  BLOCKED_TASKS_FILE,
  type BlockedTask,
  describeBlockedTask,
  firstBlockedTask,
  HEARTBEAT_FILE,
  kernelStallLine,
  runningDut,
  SILENT_MS,
  STILL_MS,
  StallWatch,
  stallReason,
} from './stall.js';

// Lines as the lab's guests printed them on 7 December 2026 (docs/measurements.md, 13th session).
const RCU = `[  812.301] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:
[  812.302] rcu_preempt kthread starved for 5251 jiffies! g2345 f0x0 RCU_GP_WAIT_FQS(5) ->state=0x0 ->cpu=1
[  812.303] rcu: 	Unless rcu_preempt kthread gets sufficient CPU time, OOM is now expected behavior.
[  812.304] rcu: Possible timer handling issue on cpu=1 timer-softirq=1234
`;
const HUNG = `[ 1020.1] DMAR: [DMA Read NO_PASID] Request device [01:00.0] fault addr 0x0
[ 1200.2] INFO: task node:180 blocked for more than 120 seconds.
[ 1200.3]       Not tainted 6.1.0-28-amd64 #1 Debian 6.1.119-1
`;

describe('a stalled guest', () => {
  it("names the kernel's last complaint about a stall", () => {
    expect(kernelStallLine(RCU)).toBe('rcu: Possible timer handling issue on cpu=1 timer-softirq=1234');
    expect(kernelStallLine(HUNG)).toBe('INFO: task node:180 blocked for more than 120 seconds.');
    expect(kernelStallLine('[ 1.0] e1000e 0000:01:00.0 eth1: NIC Link is Up\n')).toBeUndefined();
    expect(kernelStallLine(undefined)).toBeUndefined();
  });

  it('is not stalled while its heartbeat comes and something moves', () => {
    const now = 10_000_000;
    expect(
      stallReason({ now, heartbeatAt: now - 30_000, movedAt: now - 60_000, console: RCU }),
    ).toBeUndefined();
    expect(
      stallReason({ now, heartbeatAt: now - SILENT_MS + 1, movedAt: now - STILL_MS + 1 }),
    ).toBeUndefined();
  });

  it('is stalled when the heartbeat stops, with what its kernel said', () => {
    const now = 10_000_000;
    const why = stallReason({ now, heartbeatAt: now - SILENT_MS, movedAt: now, console: RCU });
    expect(why).toBe(
      `the guest stalled: no heartbeat from the guest's agent for ${SILENT_MS / 1000} s; its kernel said: "rcu: Possible timer handling issue on cpu=1 timer-softirq=1234"; stopped`,
    );
  });

  it('is stalled when nothing moves though the heartbeat comes (a task stuck in the kernel)', () => {
    const now = 10_000_000;
    const why = stallReason({ now, heartbeatAt: now - 5_000, movedAt: now - STILL_MS - 1000, console: HUNG });
    expect(why).toMatch(
      new RegExp(`^the guest stalled: nothing moved in the guest for ${STILL_MS / 1000 + 1} s`),
    );
    expect(why).toContain('blocked for more than 120 seconds');
    expect(stallReason({ now, heartbeatAt: now, movedAt: now - STILL_MS })).not.toContain('kernel said');
  });
});

describe("the host's watch on a guest's run folder", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('sees the heartbeat and the timeline move, and a guest whose agent went silent', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stall-'));
    dirs.push(dir);
    const t0 = 1_000_000;
    const watch = new StallWatch(dir, join(dir, 'out', 'summary.json'), t0);
    // Booting: nothing yet, within the limits.
    expect(watch.look(t0 + SILENT_MS - 1)).toBeUndefined();
    // The agent's first heartbeat and a process start, just in time.
    writeFileSync(join(dir, HEARTBEAT_FILE), '40.1 38.0\n');
    writeFileSync(join(dir, 'guest.log'), '+ 181 node playwright\n');
    expect(watch.look(t0 + SILENT_MS - 1)).toBeUndefined();
    // The heartbeat goes on and the timeline grows: never stalled, however long.
    for (let i = 1; i <= 100; i++) {
      writeFileSync(join(dir, HEARTBEAT_FILE), `${40 + i * 10}.1 38.0\n`);
      appendFileSync(join(dir, 'guest.log'), `+ ${200 + i} dpdk-testpmd\n`);
      expect(watch.look(t0 + SILENT_MS - 1 + i * 60_000)).toBeUndefined();
    }
    const last = t0 + SILENT_MS - 1 + 100 * 60_000;
    // Then silence, and the kernel's complaint on the console.
    writeFileSync(join(dir, 'console.log'), RCU);
    expect(watch.look(last + SILENT_MS - 1)).toBeUndefined();
    expect(watch.look(last + SILENT_MS)).toMatch(
      /^the guest stalled: no heartbeat .* its kernel said: "rcu: Possible timer handling issue on cpu=1/,
    );
  });

  it('sees a guest whose heartbeat comes while nothing else moves', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stall-'));
    dirs.push(dir);
    const t0 = 1_000_000;
    const watch = new StallWatch(dir, join(dir, 'summary.json'), t0);
    writeFileSync(join(dir, 'summary.json'), '{"duts":[]}');
    expect(watch.look(t0)).toBeUndefined();
    let at = t0;
    for (let i = 1; at < t0 + STILL_MS; i++) {
      at = t0 + i * 60_000;
      writeFileSync(join(dir, HEARTBEAT_FILE), `${i}.0 1.0\n`);
      if (at < t0 + STILL_MS) expect(watch.look(at)).toBeUndefined();
    }
    expect(watch.look(at)).toMatch(
      new RegExp(`^the guest stalled: nothing moved in the guest for ${STILL_MS / 1000} s`),
    );
  });
});

// What the agent writes (guest/blocked-tasks.ts), one JSON line a task; made up: no blocked task
// has been recorded in a guest yet.
const BLOCKED: BlockedTask = {
  uptimeS: 1200.2,
  pid: 180,
  tid: 182,
  comm: 'node',
  process: 'node',
  blockedS: 64,
  wchan: '__flush_work.isra.0',
  stack: [
    '__schedule+0x34d/0x9e0',
    'schedule+0x5a/0xd0',
    'schedule_timeout+0x118/0x150',
    'wait_for_completion+0x86/0x160',
    '__flush_work.isra.0+0x17b/0x280',
    'vfio_pci_core_disable+0x2c/0x3e0 [vfio_pci_core]',
    'vfio_pci_core_close_device+0x5f/0xd0 [vfio_pci_core]',
  ],
  dut: 'virtual-igb-vfio-pci-clean (after check 106)',
};

describe('a task the agent found blocked', () => {
  it('is quoted by its top frames past the scheduler, without offsets', () => {
    expect(describeBlockedTask(BLOCKED, 4)).toBe(
      'task node:180 (thread node:182) blocked 64 s in wait_for_completion < __flush_work.isra.0 < vfio_pci_core_disable [vfio_pci_core] < vfio_pci_core_close_device [vfio_pci_core] during virtual-igb-vfio-pci-clean (after check 106)',
    );
    const { dut: _, ...noDut } = BLOCKED;
    expect(describeBlockedTask({ ...noDut, stack: [] })).toBe(
      'task node:180 (thread node:182) blocked 64 s in wchan __flush_work.isra.0',
    );
  });

  it('is the first of the file, the others counted; a cut last line is left out', () => {
    const two = `${JSON.stringify(BLOCKED)}\n${JSON.stringify({ ...BLOCKED, tid: 190 })}\n{"uptimeS":12`;
    expect(firstBlockedTask(two)).toEqual({ task: BLOCKED, more: 1 });
    expect(firstBlockedTask('')).toBeUndefined();
  });

  it('names the running DUT: the first whose planned checks have not all ended, and its last one', () => {
    const dut = (name: string, planned: number[], done: number[], notRun?: string) => ({
      name,
      planned,
      // The summary lists a DUT's checks by id, not in the order they ran.
      checks: done.map((id) => ({ id, title: '', status: 'PASS' })).sort((a, b) => a.id - b.id),
      ...(notRun ? { notRun } : {}),
    });
    const run = (duts: unknown[]) => ({ duts }) as unknown as Parameters<typeof runningDut>[0];
    const surprise = [101, 102, 103, 104, 110, 111, 106, 112, 108, 109];
    expect(
      runningDut(
        run([
          dut('a', [101, 102], [101, 102]),
          dut('b', surprise, [101, 102, 103, 104, 110, 111]),
          dut('c', [101], [], 'the run ended before any of its checks'),
        ]),
      ),
    ).toBe('b (after check 111)');
    // A DUT not begun is marked not run in a running summary: it is the one about to run.
    expect(
      runningDut(
        run([dut('a', [101], [101]), dut('b', [101], [], 'the run ended before any of its checks')]),
      ),
    ).toBe('b (no check ended yet)');
    expect(runningDut(run([dut('a', [101], [101])]))).toBeUndefined();
  });
});

describe("the host's stall reason with the agent's record", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('quotes the blocked task and the running DUT', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stall-'));
    dirs.push(dir);
    const summary = join(dir, 'summary.json');
    writeFileSync(
      summary,
      JSON.stringify({
        duts: [
          {
            name: 'virtual-igb-vfio-pci-clean',
            planned: [101, 106, 107],
            checks: [{ id: 101 }, { id: 106 }],
          },
        ],
      }),
    );
    const t0 = 1_000_000;
    const watch = new StallWatch(dir, summary, t0);
    expect(watch.look(t0)).toBeUndefined();
    writeFileSync(join(dir, 'console.log'), HUNG);
    writeFileSync(join(dir, BLOCKED_TASKS_FILE), `${JSON.stringify(BLOCKED)}\n`);
    // Recorded after the last move (the summary, at t0): 3 still minutes are enough, not 10.
    utimesSync(join(dir, BLOCKED_TASKS_FILE), (t0 + 60_000) / 1000, (t0 + 60_000) / 1000);
    for (let at = t0 + HEARTBEAT_MS_STEP; at < t0 + BLOCKED_STILL_MS; at += HEARTBEAT_MS_STEP) {
      writeFileSync(join(dir, HEARTBEAT_FILE), `${at}\n`);
      expect(watch.look(at)).toBeUndefined();
    }
    expect(watch.look(t0 + BLOCKED_STILL_MS)).toBe(
      `the guest stalled: nothing moved in the guest for ${BLOCKED_STILL_MS / 1000} s (no check ended, no process started or ended); ` +
        'while virtual-igb-vfio-pci-clean (after check 106) ran; ' +
        'its kernel said: "INFO: task node:180 blocked for more than 120 seconds."; ' +
        `its agent saw ${describeBlockedTask(BLOCKED)}; stopped`,
    );
  });
});

const HEARTBEAT_MS_STEP = 60_000;

describe('a blocked task in a guest that goes on', () => {
  it('is no stall while something moves, nor before BLOCKED_STILL_MS of stillness', () => {
    const now = 10_000_000;
    const movedAt = now - BLOCKED_STILL_MS;
    const blocked = `${JSON.stringify(BLOCKED)}\n`;
    expect(
      stallReason({ now, heartbeatAt: now, movedAt: now - 1000, blocked, blockedAt: now - 2000 }),
    ).toBeUndefined();
    expect(
      stallReason({ now, heartbeatAt: now, movedAt: movedAt + 1, blockedAt: movedAt + 60_000 }),
    ).toBeUndefined();
    expect(stallReason({ now, heartbeatAt: now, movedAt, blockedAt: movedAt + 60_000 })).toMatch(
      /^the guest stalled: nothing moved in the guest for 180 s/,
    );
    // Without a record, or with one older than the last move (the guest went on after it), the
    // same stillness is not yet a stall.
    expect(stallReason({ now, heartbeatAt: now, movedAt })).toBeUndefined();
    expect(stallReason({ now, heartbeatAt: now, movedAt, blockedAt: movedAt - 1 })).toBeUndefined();
    expect(stallReason({ now, heartbeatAt: now, movedAt: now - STILL_MS, blockedAt: movedAt - 1 })).toMatch(
      /^the guest stalled: nothing moved in the guest for 600 s/,
    );
  });
});
