/**
 * Device removal reaches JS without DPDK's thread ever waiting for JS. A koffi callback called
 * on DPDK's interrupt thread would block that thread until the main thread ran it, and deadlock
 * when the main thread waits for the interrupt thread inside DPDK. The shim's callbacks write to
 * a pipe instead.
 */
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Eal } from './eal.js';
import { startEal } from './test-support/env.js';
import type { RemoveEvent } from './types.js';

const RTE_ETH_EVENT_INTR_RMV = 6;
let eal: Eal;
beforeAll(() => {
  eal = startEal();
});
afterAll(() => {
  eal.cleanup();
});

it('delivers a removal raised on another thread while the main thread is blocked, without blocking that thread', async () => {
  // Steps: attach net_null0; a worker thread raises RTE_ETH_EVENT_INTR_RMV on it through DPDK's
  // callback dispatch, as a PMD's interrupt handler would, and times its own call; meanwhile
  // the main thread is blocked for 500 ms.
  // Verify: the raising call returned in well under the 500 ms; one `remove` event names the port
  // and device once the main thread runs again.
  const port = eal.attachSync('net_null0');
  const events: RemoveEvent[] = [];
  eal.on('remove', (e) => events.push(e));
  const binding = new URL('../dist/binding.js', import.meta.url).href;
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     parentPort.once('message', async () => {
       const { pmdEventRaiser } = await import(workerData.binding);
       const raise = pmdEventRaiser();
       const at = Date.now();
       const t0 = performance.now();
       const rc = raise('net_null0', workerData.event);
       parentPort.postMessage({ rc, at, ms: performance.now() - t0 });
     });`,
    { eval: true, workerData: { binding, event: RTE_ETH_EVENT_INTR_RMV } },
  );
  const reply = new Promise<{ rc: number; at: number; ms: number }>((resolve) =>
    worker.once('message', resolve),
  );
  await new Promise((r) => setTimeout(r, 200)); // the worker has loaded
  const blockedFrom = Date.now();
  worker.postMessage('go');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
  const blockedUntil = Date.now();
  expect(events).toEqual([]); // nothing ran JS while the main thread was blocked
  const { rc, at, ms } = await reply;
  await worker.terminate();
  expect(rc).toBe(0);
  // The event was raised while the main thread was blocked, and the raising call did not wait for it.
  expect(at).toBeGreaterThanOrEqual(blockedFrom);
  expect(at).toBeLessThan(blockedUntil - 100);
  expect(ms).toBeLessThan(100);
  await expect.poll(() => events).toEqual([{ source: 'ethdev', port, device: 'net_null0' }]);
});
