/**
 * The control queue without DPDK: calls that return when the test says so stand for DPDK's.
 */
import { describe, expect, it } from 'vitest';
import { ControlQueue, type LateReturn, type OffThreadCall } from './control-queue.js';
import type { HotplugError } from './errors.js';

/** A call that returns `rc` when `release` is called (or never). */
function fakeCall(name: string, timeoutMs = 1000, log: string[] = []) {
  let done: ((error: unknown, rc: number) => void) | undefined;
  const call: OffThreadCall<string> = {
    call: name,
    timeoutMs,
    details: { device: name },
    start: (cb) => {
      log.push(`start ${name}`);
      done = cb;
    },
    finish: (rc) => {
      if (rc < 0) throw new Error(`${name} failed`);
      return `${name} -> ${rc}`;
    },
    late: (rc) => ({ outcome: `${name} returned ${rc} late`, device: name }),
  };
  return { call, release: (rc = 0) => done?.(null, rc), started: () => done !== undefined };
}

const settle = <T>(p: Promise<T>) =>
  p.then(
    (v) => ({ ok: v }),
    (e: HotplugError) => ({ code: e.code ?? e.message }),
  );
const tick = () => new Promise((r) => setImmediate(r));

describe('ControlQueue', () => {
  it('runs calls one at a time, in call order, each when the one before has returned', async () => {
    const q = new ControlQueue(() => {});
    const log: string[] = [];
    const a = fakeCall('a', 1000, log);
    const b = fakeCall('b', 1000, log);
    const pa = q.enqueue('A', () => a.call);
    const pb = q.enqueue('B', () => b.call);
    await tick();
    expect(log).toEqual(['start a']);
    expect(q.active).toBe(true);
    a.release(1);
    expect(await pa).toBe('a -> 1');
    await tick();
    expect(log).toEqual(['start a', 'start b']);
    b.release(2);
    expect(await pb).toBe('b -> 2');
    expect(q.active).toBe(false);
  });

  it('refuses a call on this thread while one is queued (BUSY, naming it), and accepts it after', async () => {
    const q = new ControlQueue(() => {});
    const a = fakeCall('a');
    const pa = q.enqueue('attach("net_null0")', () => a.call);
    q.enqueue('detach(port 0)', () => fakeCall('b').call).catch(() => {});
    expect(() => q.refuseUnlessIdle('close()')).toThrow(
      /^close\(\) refused: attach\("net_null0"\) is in flight \(and 1 more queued\)/,
    );
    await tick();
    a.release();
    await pa;
    expect(() => q.refuseUnlessIdle('close()')).toThrow(/detach\(port 0\) is in flight/);
  });

  it('rejects a call that does not return in time with TIMEOUT, refuses every later one (EAL_WEDGED), and takes in a late return', async () => {
    const lates: LateReturn[] = [];
    const q = new ControlQueue((late) => lates.push(late));
    const hung = fakeCall('rte_dev_probe("x")', 30);
    const t0 = performance.now();
    const p = settle(q.enqueue('attach("x")', () => hung.call));
    const queued = settle(q.enqueue('attach("y")', () => fakeCall('y').call));
    expect(await p).toEqual({ code: 'TIMEOUT' });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(29);
    expect(await queued).toEqual({ code: 'EAL_WEDGED' });
    expect(q.stuck).toMatchObject({ call: 'rte_dev_probe("x")', timeoutMs: 30 });
    expect(() => q.refuseUnlessIdle('ports()')).toThrow(
      /^ports\(\) refused: rte_dev_probe\("x"\) timed out after 30 ms and is still running/,
    );
    expect(await settle(q.enqueue('attach("z")', () => fakeCall('z').call))).toEqual({ code: 'EAL_WEDGED' });
    hung.release(1);
    expect(lates).toEqual([
      expect.objectContaining({
        call: 'rte_dev_probe("x")',
        rc: 1,
        outcome: 'rte_dev_probe("x") returned 1 late',
        timeoutMs: 30,
      }),
    ]);
    expect(q.active).toBe(false);
    const next = fakeCall('w');
    const pw = q.enqueue('attach("w")', () => next.call);
    await tick();
    next.release(3);
    expect(await pw).toBe('w -> 3');
  });

  it('the TIMEOUT error names the call and says what DPDK may be doing', async () => {
    const q = new ControlQueue(() => {});
    const e = (await q
      .enqueue('x', () => fakeCall('rte_eal_hotplug_remove(vdev, net_x0)', 5).call)
      .catch((x) => x)) as HotplugError;
    expect(e.code).toBe('TIMEOUT');
    expect(e.device).toBe('rte_eal_hotplug_remove(vdev, net_x0)');
    expect(e.message).toMatch(
      /^rte_eal_hotplug_remove\(vdev, net_x0\) did not return within 5 ms \([\d.]+ ms now\)\. It is still running on a worker thread and cannot be interrupted \(DPDK has no cancellation\)/,
    );
  });

  it('never fires TIMEOUT before timeoutMs has passed by performance.now() (Node timers may run 1 ms early)', async () => {
    // Without the check, about 1 in 60 such timers fires early here (Node 20, 2-core VM).
    for (let i = 0; i < 1000; i++) {
      // A timed-out call wedges its queue: one queue each.
      const q = new ControlQueue(() => {});
      let started = 0;
      const turn = () => {
        // Work on this thread before the call starts leaves Node's timer clock behind (it is
        // read once per loop turn): a timer armed now counts from that older time.
        const until = performance.now() + 0.5;
        while (performance.now() < until);
        started = performance.now();
        return fakeCall('x', 1).call;
      };
      const e = (await q.enqueue('x', turn).catch((x) => x)) as HotplugError;
      const elapsed = performance.now() - started;
      expect(e.code).toBe('TIMEOUT');
      expect(elapsed).toBeGreaterThanOrEqual(1);
      expect(Number(/\(([\d.]+) ms now\)/.exec(e.message)?.[1])).toBeGreaterThanOrEqual(1);
    }
  });

  it('drops a call aborted before its turn (nothing started), and refuses one aborted already', async () => {
    const q = new ControlQueue(() => {});
    const log: string[] = [];
    const a = fakeCall('a', 1000, log);
    const b = fakeCall('b', 1000, log);
    const c = fakeCall('c', 1000, log);
    const controller = new AbortController();
    const pa = q.enqueue('A', () => a.call);
    const pb = settle(q.enqueue('B', () => b.call, controller.signal));
    const pc = q.enqueue('C', () => c.call);
    controller.abort();
    expect(await pb).toEqual({ code: 'ABORTED' });
    expect(await settle(q.enqueue('D', () => fakeCall('d').call, controller.signal))).toEqual({
      code: 'ABORTED',
    });
    a.release(1);
    expect(await pa).toBe('a -> 1');
    await tick();
    c.release(3);
    expect(await pc).toBe('c -> 3');
    expect(log).toEqual(['start a', 'start c']);
    expect(q.active).toBe(false);
  });

  it('lets a call aborted after it started run to its end, then rejects with ABORTED saying what it did', async () => {
    const q = new ControlQueue(() => {});
    const a = fakeCall('a');
    const controller = new AbortController();
    const pa = settle(
      q.enqueue('A', () => ({ ...a.call, aborted: (r: string) => `it did ${r}` }), controller.signal),
    );
    await tick();
    expect(a.started()).toBe(true);
    controller.abort();
    await tick();
    expect(q.active).toBe(true);
    a.release(7);
    expect(await pa).toEqual({ code: 'ABORTED' });
    const e = (await q
      .enqueue('B', () => ({ ...fakeCall('b').call, start: (done) => done(null, 1) }), AbortSignal.abort())
      .catch((x) => x)) as HotplugError;
    expect(e.message).toBe('B was aborted before it was queued');
  });

  it('settles calls whose turn throws, whose start throws, and whose result is an error', async () => {
    const q = new ControlQueue(() => {});
    const refused = settle(
      q.enqueue('a', () => {
        throw Object.assign(new Error('refused'), { code: 'ALREADY_ATTACHED' });
      }),
    );
    const broken = settle(
      q.enqueue('b', () => ({
        ...fakeCall('b').call,
        start: () => {
          throw Object.assign(new Error('too many'), { code: 'X' });
        },
      })),
    );
    const failing = fakeCall('c');
    const failed = settle(q.enqueue('c', () => failing.call));
    expect(await refused).toEqual({ code: 'ALREADY_ATTACHED' });
    expect(await broken).toEqual({ code: 'X' });
    await tick();
    failing.release(-5);
    expect(await failed).toEqual({ code: 'c failed' });
    expect(q.active).toBe(false);
  });
});
