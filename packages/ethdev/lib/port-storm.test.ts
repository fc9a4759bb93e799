/**
 * The port-table storm (test-support/storm.ts) on real DPDK (net_null, net_ring), shorter than
 * port-storm.fake.test.ts: DPDK's own id reuse, state rules and removal, call after call, against
 * the model of the calls that succeeded. Its own process (rte_eal_init runs once per process).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Eal } from './eal.js';
import { startEal } from './test-support/env.js';
import { runStorm } from './test-support/storm.js';

let eal: Eal;
beforeAll(() => {
  eal = startEal();
});
afterAll(() => {
  expect(eal.cleanup()).toEqual([]);
});

describe('the port table under a storm of random calls (real DPDK)', () => {
  for (const seed of [11, 12]) {
    it(`seed ${seed}: 1000 calls over net_null and net_ring devices, sync and async`, async () => {
      const devices = ['net_null0', 'net_null1', 'net_null2', 'net_ring0', 'net_null3'];
      const report = await runStorm(eal, { seed, calls: 1000, devices, async: true });
      expect(report.outcomes['detach ok'] ?? 0).toBeGreaterThan(5);
      expect(Object.keys(report.outcomes).some((k) => k.endsWith('PORT_ID_REUSED'))).toBe(true);
      // Whatever the storm left attached goes; DPDK has no port left after it.
      for (const p of eal.ports()) eal.detachSync(p, { force: true });
      expect(eal.resources().ports).toBe(0);
    }, 120_000);
  }
});
