/**
 * The detach contract for net_memif (DPDK alone: -EINVAL when started), in a process of its own.
 * net_memif keeps its listener after the device is removed, and with it an interrupt source whose
 * handle lives in DPDK's memory. In one process with net_bonding (its link alarm every 10 ms),
 * rte_eal_cleanup then killed the process at its exit with SIGSEGV in the interrupt thread
 * (eal-intr-thread, rte_intr_fd_get, DPDK 22.11.11): 6 of 25 runs with both cores loaded, 0 of 25
 * without memif, 0 of 30 with memif alone. So memif does not share a process with bonding here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Eal } from './eal.js';
import { expectDetachRefusedWhileStarted, startEal } from './test-support/env.js';

let eal: Eal;
let dir: string;
beforeAll(() => {
  eal = startEal({ memoryMb: 512 });
  dir = mkdtempSync(join(tmpdir(), 'dphp-pmd-memif-'));
});
afterAll(() => {
  expect(eal.cleanup()).toEqual([]);
  rmSync(dir, { recursive: true, force: true });
});

it('net_memif: detach of a started port refused, the port still started; force detaches it', () => {
  const port = eal.attachSync(`net_memif0,role=server,socket=${join(dir, 'memif.sock')}`);
  eal.configure(port);
  eal.start(port);
  expect(eal.port(port).driver).toBe('net_memif');
  expectDetachRefusedWhileStarted(eal, port);
  expect(eal.detachSync(port, { force: true })).toBe('net_memif0');
});
