/** Leak accounting: a full attach … detach cycle gives back what it took. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { currentDpdk } from './dpdk-install.js';
import type { Eal } from './eal.js';
import { describeHeld, leftBehind } from './resources.js';
import { dpdkHasPmds, frame, startEal } from './test-support/env.js';
import type { ResourceSnapshot } from './types.js';
import { interruptThreadName } from './versions.js';

let eal: Eal;
beforeAll(() => {
  eal = startEal();
});
afterAll(() => {
  eal.cleanup();
});

function cycle(devargs: string): void {
  const port = eal.attachSync(devargs);
  eal.configure(port);
  eal.start(port);
  eal.txBurst(port, [frame('leak'), frame('leak')]);
  eal.rxBurst(port);
  eal.stop(port);
  eal.close(port);
  eal.detachSync(port);
}

it('reports the process and DPDK resources', () => {
  const r = eal.resources();
  expect(r.fds).toBeGreaterThan(2);
  expect(r.threads).toBeGreaterThan(1);
  expect(r.rssBytes).toBeGreaterThan(10 * 1024 * 1024);
  expect(r.dpdkHeapBytes).toBeGreaterThan(0);
  expect(r.memzones).toBeGreaterThanOrEqual(0);
  expect(r.netdevs).toBeGreaterThanOrEqual(1); // lo
  expect(r.ports).toBe(0);
  const port = eal.attachSync('net_null0');
  eal.configure(port);
  // The port's mbuf pool lives on the DPDK heap.
  expect(eal.resources()).toMatchObject({ ports: 1 });
  expect(eal.resources().dpdkHeapBytes).toBeGreaterThan(r.dpdkHeapBytes);
  eal.detachSync(port, { force: true });
});

const LEAK_KEYS: (keyof ResourceSnapshot)[] = [
  'fds',
  'threads',
  'memzones',
  'dpdkHeapBytes',
  'ports',
  'netdevs',
];

function growth(devargs: string, cycles: number): Partial<ResourceSnapshot> {
  for (let i = 0; i < 20; i++) cycle(devargs); // warm-up: first-use allocations (ethdev's shared data)
  const before = eal.resources();
  for (let i = 0; i < cycles; i++) cycle(devargs);
  const after = eal.resources();
  return Object.fromEntries(LEAK_KEYS.map((k) => [k, (after[k] - before[k]) / cycles]));
}

it('net_ring: 300 full cycles after warm-up leak no fd, thread, memzone, heap byte, port or netdev', () => {
  expect(growth('net_ring0', 300)).toEqual(Object.fromEntries(LEAK_KEYS.map((k) => [k, 0])));
});

it('net_null: the accounting catches DPDK 22.11 net_null leaking 384 heap bytes per configured cycle', () => {
  // A finding, confirmed with the C reference: net_null allocates a dummy packet per queue at
  // queue setup and never frees it at close. If DPDK fixes it, this test fails: update the
  // shipped expectations (docs/findings.md).
  expect(growth('net_null0', 100)).toEqual({
    ...Object.fromEntries(LEAK_KEYS.map((k) => [k, 0])),
    dpdkHeapBytes: 384,
  });
});

it('names what a detach left behind: nothing for net_null, 200+ memzones for net_softnic', ({ skip }) => {
  skip(!dpdkHasPmds('net_softnic'), 'this DPDK has no net_softnic (a reduced source build)');
  const before = eal.held();
  expect(before.threads).toContain(interruptThreadName(currentDpdk().version));
  cycle('net_null0');
  expect(describeHeld(leftBehind(before, eal.held()))).toBe('');
  // net_softnic attaches, cannot start without a pipeline spec, and its close and remove keep
  // the rings of its threads (DPDK 22.11; the next attach then fails "RING: Cannot reserve memory").
  const port = eal.attachSync('net_softnic0');
  eal.configure(port);
  expect(() => eal.start(port)).toThrow(/start failed/);
  eal.detachSync(port, { force: true });
  const left = leftBehind(before, eal.held());
  expect(left.memzones.length).toBeGreaterThan(200);
  expect(left.memzones).toContain('RG_net_softnic0-TH0-REQ');
  expect(describeHeld(left)).toMatch(/^memzones \+\d+ \(RG_net_softnic0-TH0-REQ, /);
});
