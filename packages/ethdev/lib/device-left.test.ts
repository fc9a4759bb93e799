/**
 * The detach's proof, on real DPDK: dphp_device_left and dphp_device_probed tell a device's
 * ports, a device still probed without any, and a device gone apart, whatever bus was walked
 * before (the shim keeps one bus iterator per thread and makes another when the bus changes).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dpdk } from './binding.js';
import { Eal } from './eal.js';
import { testEalOptions } from './test-support/env.js';

const EINVAL = 22;
let eal: Eal;
beforeAll(() => {
  eal = Eal.init(testEalOptions());
});
afterAll(() => {
  expect(eal.cleanup()).toEqual([]);
});

it('tells ports, a portless probed device and a gone one apart', () => {
  const b = dpdk();
  const ids = new Uint16Array(32);
  const port = eal.attachSync('net_null0');
  expect(b.dphp_device_probed('vdev', 'net_null0')).toBe(1);
  expect(b.dphp_device_left('vdev', 'net_null0', ids, 32)).toBe(1);
  expect(ids[0]).toBe(port);
  // Another bus between two walks of vdev: the iterator follows the bus asked for.
  expect(b.dphp_device_probed('pci', 'net_null0')).toBe(0);
  expect(b.dphp_device_probed('vdev', 'net_null1')).toBe(0);
  expect(b.dphp_device_probed('vdev', 'net_null0')).toBe(1);
  eal.close(port);
  // No port left in DPDK at all, the device still probed on its bus.
  expect(b.dphp_device_left('vdev', 'net_null0', ids, 32)).toBe(-1);
  eal.detachSync(port);
  expect(b.dphp_device_probed('vdev', 'net_null0')).toBe(0);
  expect(b.dphp_device_left('vdev', 'net_null0', ids, 32)).toBe(0);
});

it('refuses a bus name too long for the filter, and walks nothing of an unknown bus', () => {
  const b = dpdk();
  expect(b.dphp_device_probed('x'.repeat(80), 'net_null0')).toBe(-EINVAL);
  expect(b.dphp_device_probed('nosuchbus', 'net_null0')).toBe(0);
  const port = eal.attachSync('net_null0');
  // After both, vdev is walked again from a fresh iterator.
  expect(b.dphp_device_probed('vdev', 'net_null0')).toBe(1);
  eal.close(port);
  eal.detachSync(port);
});
