/**
 * The port table under a storm of random control calls (test-support/storm.ts), on FakeDpdk for
 * breadth: thousands of calls a seed, several seeds, few device names (many collisions, many
 * reused ids). After every call the table, the outcome and the events equal a model of the calls
 * that succeeded. port-storm.test.ts runs a shorter storm on real DPDK; fake-agreement.test.ts
 * holds the fake's id reuse to DPDK's.
 */
import { describe, expect, it } from 'vitest';
import { Eal } from './eal.js';
import { FakeDpdk } from './fake-dpdk.js';
import { runStorm } from './test-support/storm.js';

const SEEDS = [1, 2, 3, 4, 5];
const CALLS = 3000;

describe('the port table under a storm of random calls (FakeDpdk)', () => {
  for (const seed of SEEDS) {
    it(`seed ${seed}: ${CALLS} calls over 6 devices, sync and async`, async () => {
      const eal = Eal.init(
        { noHuge: true, noPci: true, noSharedConfig: true, logEcho: false },
        new FakeDpdk(),
      );
      const devices = ['net_null0', 'net_null1', 'net_null2', 'net_ring0', 'net_ring1', 'net_null3'];
      const report = await runStorm(eal, { seed, calls: CALLS, devices, async: true });
      // The storm reached the cases it is for: ids reused while a closed port kept one.
      expect(report.outcomes['detachSync PORT_ID_REUSED'] ?? 0).toBeGreaterThan(0);
      expect(report.outcomes['detach ok'] ?? 0).toBeGreaterThan(20);
      expect(report.outcomes['attach ok'] ?? 0).toBeGreaterThan(20);
      for (const kind of [
        'configureAsync ok',
        'startAsync ok',
        'closeAsync ok',
        'release ok',
        'detachDevice ok',
      ])
        expect(report.outcomes[kind] ?? 0, kind).toBeGreaterThan(0);
      expect(eal.cleanup()).toEqual([]);
    });
  }
});
