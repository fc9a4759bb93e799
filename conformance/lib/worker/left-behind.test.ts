/**
 * The left-behind evidence of a failed check: what a detach kept, by name, without Node's own
 * event-loop fds and threads (pure; the real memzones, sockets and fds are in
 * left-behind.e2e.test.ts and ethdev's resources.test.ts).
 */
import type { HeldResources } from '@dpdk-hotplug/ethdev';
import { expect, it } from 'vitest';
import { leftBehindEvidence } from './left-behind.js';

const held = (more: Partial<HeldResources> = {}): HeldResources => ({
  memzones: ['MP_pool'],
  fds: ['/dev/null', 'socket:[1]', 'anon_inode:[eventpoll]'],
  netdevs: ['lo'],
  threads: ['node', 'node', 'eal-intr-thread'],
  ...more,
});

it('names what was left, kind by kind', () => {
  const now = held({
    memzones: ['MP_pool', 'rte_eth_dev_data', 'RG_HT_memif-sh'],
    fds: ['/dev/null', 'socket:[1]', 'anon_inode:[eventpoll]', 'socket:[7]', 'anon_inode:bpf-prog'],
    netdevs: ['lo', 'dtap0'],
    threads: ['node', 'node', 'eal-intr-thread', 'dpdk-vhost-evt'],
  });
  expect(leftBehindEvidence(held(), now)).toBe(
    "held after the DUT's detach, not before its first attach in this process: memzones +1 (RG_HT_memif-sh); fds +2 (socket:[7], anon_inode:bpf-prog); netdevs +1 (dtap0); threads +1 (dpdk-vhost-evt)",
  );
});

it("leaves out Node's own event loops (a worker thread's epoll, eventfd, pipes) and the SDK's worker thread, and says nothing when nothing is left", () => {
  const now = held({
    fds: [
      '/dev/null',
      'socket:[1]',
      'anon_inode:[eventpoll]',
      'anon_inode:[eventpoll]',
      'anon_inode:[eventfd]',
      'pipe:[9]',
    ],
    threads: ['node', 'node', 'node', 'eal-intr-thread', 'dphp-worker'],
  });
  expect(leftBehindEvidence(held(), now)).toBeUndefined();
});
