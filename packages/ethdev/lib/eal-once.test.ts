/** rte_eal_init runs once per process: what the SDK says when it is asked twice, or after cleanup. */
import { existsSync } from 'node:fs';
import { expect, it } from 'vitest';
import { currentDpdk } from './dpdk-install.js';
import { isHotplugError } from './errors.js';
import { portId } from './ports.js';
import { errorOf, startEal } from './test-support/env.js';

it('refuses a second init, and every call after cleanup, with typed errors', () => {
  // Steps: init, init again, cleanup, calls after it, init after cleanup.
  const eal = startEal();
  // The DPDK this process selected (pkg-config's, or DPDK_HOTPLUG_DPDK's).
  expect(eal.version).toBe(`DPDK ${currentDpdk().version}`);
  expect(eal.running).toBe(true);
  expect(
    isHotplugError(
      errorOf(() => startEal()),
      'EAL_ALREADY_INITIALIZED',
    ),
  ).toBe(true);
  // The first EAL still works.
  const port = eal.attachSync('net_null0');
  const runtimeDir = `/var/run/dpdk/vitest-${process.pid}`;
  expect(existsSync(runtimeDir)).toBe(true);
  expect(eal.cleanup()).toEqual([]);
  expect(eal.running).toBe(false);
  // No shared config: nothing else can use the runtime folder, and cleanup removes it.
  expect(existsSync(runtimeDir)).toBe(false);
  expect(eal.cleanup()).toEqual([]);

  for (const call of [
    () => eal.attachSync('net_null0'),
    () => eal.detachSync(port),
    () => eal.ports(),
    () => eal.close(portId(0)),
    () => eal.resources(),
    () => eal.txBurst(port, []),
  ]) {
    expect(isHotplugError(errorOf(call), 'EAL_NOT_INITIALIZED')).toBe(true);
  }
  const again = errorOf(() => startEal());
  expect(isHotplugError(again, 'EAL_ALREADY_INITIALIZED')).toBe(true);
  expect((again as Error).message).toMatch(/even after cleanup\): start a new process/);
});
