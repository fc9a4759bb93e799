/**
 * One crossing per operation (issue 25), on real DPDK: an attach is one call into the shim
 * (snapshot, probe and port lookup), a close one call of rte_eth_dev_close, a detach one call
 * into the shim (remove and what it left), in the sync forms on this thread and in the async
 * forms through the worker. Counted by wrapping every function of the real binding.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Binding, dpdk } from './binding.js';
import { Eal } from './eal.js';
import { testEalOptions } from './test-support/env.js';

const counts = new Map<string, number>();
const count = (name: string) => counts.set(name, (counts.get(name) ?? 0) + 1);

/** The real binding, every call (and every `.async` call) counted by name. */
function counting(real: Binding): Binding {
  return new Proxy(real, {
    get(target, key) {
      const value = Reflect.get(target, key);
      if (typeof value !== 'function') return value;
      const name = String(key);
      const fn = (...args: unknown[]) => {
        count(name);
        return value(...args);
      };
      const off = (value as { async?: (...args: unknown[]) => void }).async;
      if (off)
        Object.assign(fn, {
          async: (...args: unknown[]) => {
            count(`${name}.async`);
            off(...args);
          },
        });
      return fn;
    },
  });
}

/** The crossings `cycle` makes, by name. */
async function crossingsOf(cycle: () => unknown): Promise<Record<string, number>> {
  counts.clear();
  await cycle();
  return Object.fromEntries(counts);
}

let eal: Eal;
beforeAll(() => {
  eal = Eal.init(testEalOptions(), counting(dpdk()));
});
afterAll(() => {
  expect(eal.cleanup()).toEqual([]);
});

const syncCycle = (devargs: string) => () => {
  const port = eal.attachSync(devargs);
  eal.close(port);
  eal.detachSync(port);
};
const asyncCycle = (devargs: string) => async () => {
  const port = await eal.attach(devargs);
  eal.close(port);
  await eal.detach(port);
};

it.each(['net_null0', 'net_ring0'])(
  '%s: the sync cycle is three crossings, one per operation',
  async (dev) => {
    // The first attach of a driver may look its name up once (remembered after).
    await crossingsOf(syncCycle(dev));
    expect(await crossingsOf(syncCycle(dev))).toEqual({
      dphp_attach_area: 1,
      rte_eth_dev_close: 1,
      dphp_detach_area: 1,
    });
  },
);

it.each(['net_null0', 'net_ring0'])(
  '%s: the async cycle is one worker call per attach and detach',
  async (dev) => {
    await crossingsOf(asyncCycle(dev));
    expect(await crossingsOf(asyncCycle(dev))).toEqual({
      'dphp_attach_area.async': 1,
      rte_eth_dev_close: 1,
      'dphp_detach_area.async': 1,
    });
  },
);
