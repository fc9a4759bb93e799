/**
 * The `delays` option against real DPDK: `'sleep'` makes rte_delay_us sleep instead of spinning,
 * read back from DPDK and seen in the CPU a delay costs.
 */
import { expect, it } from 'vitest';
import { dpdk } from './binding.js';
import { endEal, startEal } from './test-support/env.js';

/** Wall and CPU milliseconds of one rte_delay_us of `us`. */
function timed(us: number): { wallMs: number; cpuMs: number } {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  dpdk().dphp_delay_us(us);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

it("sleeps in DPDK's delays with delays: 'sleep', spins with DPDK's default", () => {
  // Steps: start the EAL with delays 'sleep'; one 300 ms rte_delay_us; DPDK's busy wait put back
  // through the shim; the same delay three times.
  // Verify: the Eal reads 'sleep' from DPDK, then 'busy'; both delays last at least 300 ms; the
  // sleeping one costs a small part of that in CPU, the busy one most of it.
  const eal = startEal({ delays: 'sleep' });
  try {
    expect(eal.delays).toBe('sleep');
    const slept = timed(300_000);
    expect(slept.wallMs).toBeGreaterThanOrEqual(299);
    expect(slept.cpuMs, `CPU of a 300 ms sleeping delay (wall ${slept.wallMs} ms)`).toBeLessThan(60);
    dpdk().dphp_delays(0);
    expect(eal.delays).toBe('busy');
    // Busy: the thread spins the whole time, less only when the machine takes the CPU away (a
    // loaded machine: the busiest of three tries).
    const spun = [timed(300_000), timed(300_000), timed(300_000)].sort((x, y) => y.cpuMs - x.cpuMs)[0]!;
    expect(spun.wallMs).toBeGreaterThanOrEqual(299);
    expect(spun.cpuMs, `CPU of a 300 ms busy delay (wall ${spun.wallMs} ms)`).toBeGreaterThan(150);
  } finally {
    endEal(eal);
  }
});
