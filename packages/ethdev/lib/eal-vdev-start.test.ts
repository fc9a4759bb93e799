/** Ports probed at EAL start (--vdev) are managed, and detach, like attached ones. */
import { expect, it } from 'vitest';
import { startEal } from './test-support/env.js';

it('manages --vdev ports from EAL start like attached ones', () => {
  // Steps: start the EAL with two vdevs; close and detach one; re-attach it.
  // Verify: both are listed as attached; detach returns the vdev name; the id comes back.
  const eal = startEal({ vdevs: ['net_null0', 'net_ring0'] });
  expect(eal.ports().map((p) => [p.id, p.device, p.state])).toEqual([
    [0, 'net_null0', 'attached'],
    [1, 'net_ring0', 'attached'],
  ]);
  const [first] = eal.portsOf('net_null0');
  eal.configure(first!);
  eal.start(first!);
  eal.stop(first!);
  eal.close(first!);
  expect(eal.detachSync(first!)).toBe('net_null0');
  expect(eal.ports().map((p) => p.id)).toEqual([1]);
  expect(eal.attachSync('net_null0')).toBe(0);
  expect(eal.cleanup()).toEqual([]);
});
