/**
 * AbortSignal on the async calls, on real DPDK: an attach aborted while net_tap's probe runs
 * (the kernel makes its interface: milliseconds) leaves no port, no device and no netdev; one
 * aborted while it waits its turn never reaches DPDK; a close aborted mid-flight still closes
 * (DPDK cannot cancel) and says so. Root only (net_tap). Its own process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Eal } from './eal.js';
import { type HotplugError, isHotplugError } from './errors.js';
import { ip, isRoot, startEal, uniqueIfName } from './test-support/env.js';

let eal: Eal;
beforeAll(() => {
  if (isRoot) eal = startEal();
});
afterAll(() => {
  if (isRoot) expect(eal.cleanup()).toEqual([]);
});

const rejection = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => {
      if (!isHotplugError(e)) throw e;
      return e as HotplugError;
    },
  );
const netdevs = () => ip('-o', 'link', 'show');
const nextTurn = () => new Promise((r) => setImmediate(r));

describe.skipIf(!isRoot)('an aborted async call (net_tap)', () => {
  it('an attach aborted while DPDK probes is detached again: no port, no device, no netdev left', async () => {
    const iface = uniqueIfName('ab');
    const controller = new AbortController();
    const attaching = rejection(eal.attach(`net_tap0,iface=${iface}`, { signal: controller.signal }));
    // The turn has come (a microtask) and the probe runs on a worker thread; tap takes ms.
    await nextTurn();
    controller.abort();
    const error = await attaching;
    expect(error?.code).toBe('ABORTED');
    expect(error?.message).toMatch(/while DPDK probed net_tap0 .*detached again, nothing is left/);
    expect(eal.ports()).toEqual([]);
    expect(eal.resources().ports).toBe(0);
    expect(netdevs()).not.toContain(`${iface}:`);
    // DPDK has no device of that name left either: the same device attaches again.
    const port = await eal.attach(`net_tap0,iface=${iface}`);
    expect(netdevs()).toContain(`${iface}:`);
    expect(await eal.release(eal.port(port))).toBe('net_tap0');
    expect(netdevs()).not.toContain(`${iface}:`);
  });

  it('an attach aborted while it waits its turn never reaches DPDK; the call before it is not disturbed', async () => {
    const first = uniqueIfName('aa');
    const second = uniqueIfName('ac');
    const controller = new AbortController();
    const attachingFirst = eal.attach(`net_tap0,iface=${first}`);
    const attachingSecond = rejection(eal.attach(`net_tap1,iface=${second}`, { signal: controller.signal }));
    controller.abort();
    const error = await attachingSecond;
    expect(error?.code).toBe('ABORTED');
    expect(error?.message).toMatch(/while it waited its turn/);
    const port = await attachingFirst;
    expect(eal.ports().map((p) => p.device)).toEqual(['net_tap0']);
    expect(netdevs()).not.toContain(`${second}:`);
    // An already aborted signal: refused at once.
    expect((await rejection(eal.closeAsync(port, { signal: controller.signal })))?.message).toMatch(
      /before it was queued/,
    );
    // A close aborted mid-flight runs to its end (DPDK cannot cancel it) and says so.
    const closing = new AbortController();
    const closed = rejection(eal.closeAsync(port, { signal: closing.signal }));
    await nextTurn();
    closing.abort();
    const closeError = await closed;
    expect(closeError?.code).toBe('ABORTED');
    expect(closeError?.message).toMatch(/DPDK cannot cancel a call, and port \d+ \(net_tap0\) is closed/);
    expect(eal.port(port).state).toBe('closed');
    expect(await eal.detach(port)).toBe('net_tap0');
    expect(netdevs()).not.toContain(`${first}:`);
  });
});
