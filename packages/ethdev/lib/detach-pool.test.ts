/**
 * With shared config (a primary: close is deferred to the device's removal), an async detach
 * frees the mbuf pools its ports still hold on a worker thread: rte_mempool_free takes 0.6–1.6 ms
 * (docs/measurements.md), too long for the event loop. Real DPDK, net_ring0; the process's one
 * binding with rte_mempool_free counted, sync and async. Its own process: rte_eal_init runs once.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dpdk } from './binding.js';
import type { Eal } from './eal.js';
import { endEal, startEal } from './test-support/env.js';

const CYCLES = 30;
const frees = { sync: 0, async: 0 };
let eal: Eal;

beforeAll(() => {
  // The binding Eal.init takes (one per process): its free counted, both forms kept.
  const binding = dpdk() as unknown as Record<string, unknown>;
  const real = binding.rte_mempool_free as ((...a: unknown[]) => unknown) & {
    async: (...a: unknown[]) => void;
  };
  binding.rte_mempool_free = Object.assign(
    (...a: unknown[]) => {
      frees.sync++;
      return real(...a);
    },
    {
      async: (...a: unknown[]) => {
        frees.async++;
        real.async(...a);
      },
    },
  );
  eal = startEal({ noSharedConfig: false });
});
afterAll(() => {
  expect(endEal(eal)).toEqual([]);
});

async function cycle(): Promise<void> {
  const id = await eal.attach('net_ring0');
  const port = eal.port(id);
  await eal.configureAsync(port, { rxQueues: 1, txQueues: 1 });
  await eal.startAsync(port);
  await eal.stopAsync(port);
  await eal.closeAsync(port);
  await eal.detach(port);
}

it('an async detach frees a deferred close’s mbuf pool on a worker thread, and all of it', async () => {
  // First-use allocations: 8.9 KiB of DPDK heap in the second cycle too (22.11, shared config).
  await cycle();
  await cycle();
  const heap = eal.resources().dpdkHeapBytes;
  frees.sync = 0;
  frees.async = 0;
  for (let i = 0; i < CYCLES; i++) await cycle();
  expect(frees).toEqual({ sync: 0, async: CYCLES });
  expect(eal.resources().dpdkHeapBytes).toBe(heap);
  expect(eal.ports()).toEqual([]);
});
