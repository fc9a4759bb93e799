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
  SILENT_MS,
  STILL_MS,
  StallWatch,
  stallReason,
  TIMER_SILENT_MS,
  timerStallLine,
} from './stall.js';

// Lines as the lab's guests printed them on 7 December 2026 (docs/measurements.md, 13th session).
const RCU = `[  812.301] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:
[  812.302] rcu_preempt kthread starved for 5251 jiffies! g2345 f0x0 RCU_GP_WAIT_FQS(5) ->state=0x0 ->cpu=1
[  812.303] rcu: 	Unless rcu_preempt kthread gets sufficient CPU time, OOM is now expected behavior.
[  812.304] rcu: Possible timer handling issue on cpu=1 timer-softirq=1234
`;
// The IOMMU guest's console in the 14th session's full run (7 December 2026, /work/labrun14: its
// vCPU 1's timer stopped at about 282 s of uptime, the agent's last heartbeat): the kernel's first
// RCU stall report, as QEMU wrote it (CRLF), the hotplug lines before it.
const RCU_TIMER_STALL_LINES = [
  '[  310.673708] pcieport 0000:00:03.0: pciehp: Timeout on hotplug command 0x01f1 (issued 1024 msec ago)',
  '[  310.697351] pcieport 0000:00:03.0: pciehp: Timeout on hotplug command 0x01f1 (issued 1048 msec ago)',
  '[  312.043564] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:',
  '[  312.044309] rcu: \t1-...!: (0 ticks this GP) idle=34c0/0/0x0 softirq=19689/19689 fqs=0 (false positive?)',
  '[  312.044882] \t(detected by 0, t=5252 jiffies, g=43837, q=4638 ncpus=2)',
  '[  312.045377] Sending NMI from CPU 0 to CPUs 1:',
  '[  305.270599] NMI backtrace for cpu 1 skipped: idling at native_safe_halt+0xb/0x10',
  '[  305.270599] INFO: NMI handler (nmi_cpu_backtrace_handler) took too long to run: 5.611 msecs',
  "[  312.046630] rcu: rcu_preempt kthread timer wakeup didn't happen for 5251 jiffies! g43837 f0x0 RCU_GP_WAIT_FQS(5) ->state=0x402",
  '[  312.046630] rcu: \tPossible timer handling issue on cpu=1 timer-softirq=9409',
  '[  312.046630] rcu: rcu_preempt kthread starved for 5252 jiffies! g43837 f0x0 RCU_GP_WAIT_FQS(5) ->state=0x402 ->cpu=1',
  '[  312.046630] rcu: \tUnless rcu_preempt kthread gets sufficient CPU time, OOM is now expected behavior.',
  '[  312.046630] rcu: RCU grace-period kthread stack dump:',
  '[  312.046630] task:rcu_preempt     state:I stack:0     pid:15    ppid:2      flags:0x00004000',
  '[  312.046630] Call Trace:',
  '[  312.046630]  <TASK>',
  '[  312.046630]  __schedule+0x34d/0xa00',
  '[  312.046630]  ? rcu_gp_cleanup+0x460/0x460',
  '[  312.046630]  schedule+0x5a/0xd0',
  '[  312.046630]  schedule_timeout+0x94/0x150',
  '[  312.046630]  ? __bpf_trace_tick_stop+0x10/0x10',
  '[  312.046630]  rcu_gp_fqs_loop+0x141/0x560',
  '[  312.046630]  rcu_gp_kthread+0xd8/0x1b0',
  '[  312.046630]  kthread+0xda/0x100',
  '[  312.046630]  ? kthread_complete_and_exit+0x20/0x20',
  '[  312.046630]  ret_from_fork+0x22/0x30',
  '[  312.046630]  </TASK>',
  '[  312.046630] rcu: Stack dump where RCU GP kthread last ran:',
  '[  312.046630] Sending NMI from CPU 0 to CPUs 1:',
];
const REAL = `${RCU_TIMER_STALL_LINES.join('\r\n')}\r\n`;

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
    // Then silence, and a complaint on the console that is not a timer's (see the timer's below).
    writeFileSync(join(dir, 'console.log'), HUNG);
    expect(watch.look(last + SILENT_MS - 1)).toBeUndefined();
    expect(watch.look(last + SILENT_MS)).toMatch(
      /^the guest stalled: no heartbeat .* its kernel said: "INFO: task node:180 blocked for more than 120 seconds."/,
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
  dut: 'virtual-igb-vfio-pci-clean after check 106 (the last to end; 101 PASS, 106 PASS ended; not reached: 107)',
};

describe('a task the agent found blocked', () => {
  it('is quoted by its top frames past the scheduler, without offsets', () => {
    expect(describeBlockedTask(BLOCKED, 4)).toBe(
      'task node:180 (thread node:182) blocked 64 s in wait_for_completion < __flush_work.isra.0 < vfio_pci_core_disable [vfio_pci_core] < vfio_pci_core_close_device [vfio_pci_core] during virtual-igb-vfio-pci-clean after check 106 (the last to end; 101 PASS, 106 PASS ended; not reached: 107)',
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
});

describe("the host's stall reason with the agent's record", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('quotes the blocked task', () => {
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

describe('a guest whose timer stalled', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("finds the kernel's report that a CPU's timer stopped, not other stalls", () => {
    expect(timerStallLine(REAL)).toBe(
      'rcu: rcu_preempt kthread starved for 5252 jiffies! g43837 f0x0 RCU_GP_WAIT_FQS(5) ->state=0x402 ->cpu=1',
    );
    expect(timerStallLine(RCU)).toBe('rcu: Possible timer handling issue on cpu=1 timer-softirq=1234');
    // An RCU stall without the timer's lines, a hung task, a lockup: not this sign.
    expect(timerStallLine(RCU_TIMER_STALL_LINES.slice(0, 8).join('\r\n'))).toBeUndefined();
    expect(timerStallLine(HUNG)).toBeUndefined();
    expect(timerStallLine('[ 9.1] watchdog: BUG: soft lockup - CPU#1 stuck for 22s!')).toBeUndefined();
  });

  /**
   * Steps: the heartbeat silent for just under and then for TIMER_SILENT_MS, the real report on
   * the console since the last beat; the same silence with the report only before the last beat,
   * and with no report.
   * Verify: stopped at TIMER_SILENT_MS, not before, quoting the report; not stopped without a
   * report since the last beat (the 5-minute rule stays for that).
   */
  it('is stopped a minute after its last heartbeat when its kernel reported it since', () => {
    const now = 10_000_000;
    const signs = { now, movedAt: now, console: `boot\n${REAL}`, consoleSinceBeat: REAL };
    expect(stallReason({ ...signs, heartbeatAt: now - TIMER_SILENT_MS + 1 })).toBeUndefined();
    expect(stallReason({ ...signs, heartbeatAt: now - TIMER_SILENT_MS })).toBe(
      `the guest stalled: no heartbeat from the guest's agent for ${TIMER_SILENT_MS / 1000} s, and since the last one its kernel reported a CPU's timer stalled; ` +
        'its kernel said: "rcu: rcu_preempt kthread starved for 5252 jiffies! g43837 f0x0 RCU_GP_WAIT_FQS(5) ->state=0x402 ->cpu=1"; stopped',
    );
    const heartbeatAt = now - SILENT_MS + 1;
    expect(
      stallReason({ ...signs, heartbeatAt, consoleSinceBeat: 'eth1: NIC Link is Up\r\n' }),
    ).toBeUndefined();
    expect(stallReason({ ...signs, heartbeatAt, consoleSinceBeat: '' })).toBeUndefined();
  });

  /**
   * Steps: in a run folder, the heartbeat beats; the kernel reports a timer stall and the heartbeat
   * moves again 50 s later (a guest that recovered); then silence with no new report; then a new
   * report and silence.
   * Verify: the recovered report never stops the guest (nor the later silence without a report,
   * before 5 minutes); the new one stops it TIMER_SILENT_MS after its last heartbeat; the window
   * runs from that heartbeat to the stop.
   */
  it('is not stopped for a report it recovered from; is, for one after its last heartbeat', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stall-'));
    dirs.push(dir);
    const t0 = 1_000_000;
    const console = join(dir, 'console.log');
    const beat = (uptime: number) => writeFileSync(join(dir, HEARTBEAT_FILE), `${uptime}.0 1.0\n`);
    const watch = new StallWatch(dir, join(dir, 'summary.json'), t0);
    writeFileSync(console, 'boot\r\n');
    beat(10);
    expect(watch.look(t0)).toBeUndefined();
    appendFileSync(console, REAL);
    expect(watch.look(t0 + 50_000)).toBeUndefined();
    beat(60); // it came back
    expect(watch.look(t0 + 50_000)).toBeUndefined();
    // Silent again, with the old report only: the 5-minute rule's, not the minute's.
    expect(watch.look(t0 + 50_000 + TIMER_SILENT_MS)).toBeUndefined();
    expect(watch.look(t0 + 50_000 + SILENT_MS - 1)).toBeUndefined();
    beat(400);
    const lastBeat = t0 + 400_000;
    expect(watch.look(lastBeat)).toBeUndefined();
    expect(watch.window()).toBeUndefined();
    appendFileSync(console, REAL.replaceAll('5252 jiffies', '5300 jiffies'));
    expect(watch.look(lastBeat + TIMER_SILENT_MS - 1)).toBeUndefined();
    expect(watch.look(lastBeat + TIMER_SILENT_MS)).toMatch(
      /^the guest stalled: no heartbeat from the guest's agent for 60 s, and since the last one its kernel reported a CPU's timer stalled; its kernel said: "rcu: rcu_preempt kthread starved for 5300 jiffies!/,
    );
    expect(watch.window()).toEqual({ from: lastBeat, to: lastBeat + TIMER_SILENT_MS, seen: {} });
  });

  /**
   * Steps: a summary whose checks end one by one, the heartbeat then stops; a check times out
   * after the last heartbeat (the guest's other CPU still runs); the watch stops the guest.
   * Verify: the window starts at the last heartbeat, and says when each result was first seen
   * (the timed-out one after it); a result rewritten (another status) counts from its rewrite;
   * the summary is read again only when it changed.
   */
  it('keeps when each check ended and the last heartbeat, for the retry', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stall-'));
    dirs.push(dir);
    const summary = join(dir, 'summary.json');
    const write = (checks: { id: number; status: string; durationMs: number; reason?: string }[]) =>
      writeFileSync(summary, JSON.stringify({ duts: [{ name: 'x', planned: [101, 102, 103], checks }] }));
    const t0 = 1_000_000;
    const watch = new StallWatch(dir, summary, t0);
    writeFileSync(join(dir, HEARTBEAT_FILE), '1\n');
    write([{ id: 101, status: 'PASS', durationMs: 5 }]);
    expect(watch.look(t0)).toBeUndefined();
    writeFileSync(join(dir, HEARTBEAT_FILE), '2\n');
    write([
      { id: 101, status: 'PASS', durationMs: 5 },
      { id: 102, status: 'SKIP', durationMs: 1 },
    ]);
    expect(watch.look(t0 + 10_000)).toBeUndefined();
    write([
      { id: 101, status: 'PASS', durationMs: 5 },
      { id: 102, status: 'FAIL', durationMs: 120_000, reason: 'timed out after 120000 ms' },
    ]);
    // mtime and size both move (the size alone might not).
    utimesSync(summary, (t0 + 100_000) / 1000, (t0 + 100_000) / 1000);
    expect(watch.look(t0 + 100_000)).toBeUndefined();
    // The summary as read once it changed (what the lab reports from); a move of the process
    // timeline alone does not read it again.
    const read = watch.summary;
    expect(read?.duts[0]?.checks.map((c) => c.status)).toEqual(['PASS', 'FAIL']);
    writeFileSync(join(dir, 'guest.log'), 'a process ended\n');
    expect(watch.look(t0 + 100_000)).toBeUndefined();
    expect(watch.summary).toBe(read);
    writeFileSync(join(dir, 'console.log'), REAL);
    expect(watch.look(t0 + 10_000 + TIMER_SILENT_MS)).toMatch(/^the guest stalled: no heartbeat/);
    expect(watch.window()).toEqual({
      from: t0 + 10_000,
      to: t0 + 10_000 + TIMER_SILENT_MS,
      seen: { 'x 101': t0, 'x 102': t0 + 100_000 },
    });
  });
});
