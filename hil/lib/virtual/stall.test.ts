import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HEARTBEAT_FILE, kernelStallLine, SILENT_MS, STILL_MS, StallWatch, stallReason } from './stall.js';

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
