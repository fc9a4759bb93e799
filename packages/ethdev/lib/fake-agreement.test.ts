/**
 * Keeps FakeDpdk honest: the same scenarios through the SDK on the fake and on the real DPDK in
 * use (net_null, net_ring; 22.11 here, 23.11, 24.11, 25.11, 26.07 and main in the release matrix),
 * in this file's process, must tell the same story: ids, what ports() lists, error codes,
 * events, packets. A rule the fake gets wrong shows here first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dpdk } from './binding.js';
import type { DpdkBinding } from './dpdk-binding.js';
import { currentDpdk } from './dpdk-install.js';
import type { Eal } from './eal.js';
import { Eal as EalClass } from './eal.js';
import { isHotplugError } from './errors.js';
import { FakeDpdk } from './fake-dpdk.js';
import { startEal, testEalOptions } from './test-support/env.js';
import { removedVdevStaysOnBus } from './versions.js';

let real: Eal;
let fake: Eal;
let fakeBinding: FakeDpdk;
beforeAll(() => {
  real = startEal();
  // The fake models the release in use (net_null counts bytes since 25.07).
  fakeBinding = new FakeDpdk({ version: currentDpdk().version });
  fake = EalClass.init(testEalOptions(), fakeBinding);
});
afterAll(() => {
  expect(real.cleanup()).toEqual([]);
  expect(fake.cleanup()).toEqual([]);
});

/** What a scenario shows: each step's result or error code. */
type Transcript = unknown[];

function step(out: Transcript, fn: () => unknown): void {
  try {
    out.push(fn());
  } catch (e) {
    if (!isHotplugError(e)) throw e;
    out.push(e.code);
  }
}

const listing = (eal: Eal) =>
  eal.ports().map((p) => ({
    id: p.id,
    generation: p.generation,
    name: p.name,
    device: p.device,
    bus: p.bus,
    driver: p.driver,
    state: p.state,
  }));

const scenarios: Record<string, (eal: Eal) => Promise<Transcript>> = {
  'closed-id reuse and detach by name': async (eal) => {
    const out: Transcript = [];
    const events: string[] = [];
    eal.on('attach', (e) => events.push(`attach ${e.device} ${e.ports}`));
    eal.on('detach', (e) => events.push(`detach ${e.device} ${e.ports}`));
    step(out, () => eal.attachSync('net_null0'));
    step(out, () => eal.attachSync('net_null1'));
    step(out, () => eal.attachSync('net_null0'));
    step(out, () => eal.close(0 as never));
    step(out, () => listing(eal));
    step(out, () => eal.attachSync('net_null2'));
    step(out, () => listing(eal));
    step(out, () => eal.detachSync(0 as never));
    step(out, () => eal.close(0 as never));
    step(out, () => eal.detachSync(0 as never));
    step(out, () => eal.detachDeviceSync('net_null0'));
    step(out, () => eal.detachDeviceSync('net_null0'));
    out.push(await eal.detach(1 as never, { force: true }));
    step(out, () => listing(eal));
    step(out, () => eal.detachSync(0 as never));
    step(out, () => listing(eal));
    step(out, () => eal.attachSync('net_bogus0'));
    step(out, () => listing(eal));
    await new Promise((r) => setImmediate(r));
    eal.removeAllListeners();
    return [...out, events];
  },
  // The sequence of issue 25: DPDK gives a closed port's id to the next port; the closed device
  // stays listed and detachable, a raw id two listed ports had is refused, handles stay exact.
  'a closed id given to the next port: listed, refused by raw id, exact by handle': async (eal) => {
    const out: Transcript = [];
    const events: string[] = [];
    eal.on('attach', (e) => events.push(`attach ${e.device} ${e.ports}`));
    eal.on('detach', (e) => events.push(`detach ${e.device} ${e.ports}`));
    const a = eal.attachSync('net_null0');
    const first = eal.port(a);
    step(out, () => eal.close(a));
    const b = eal.attachSync('net_null1');
    out.push(b === a);
    const second = eal.port(b);
    step(out, () => listing(eal));
    step(out, () => eal.attachSync('net_null0'));
    step(out, () => eal.detachSync(a));
    step(out, () => eal.configure(b));
    step(out, () => eal.start(second));
    step(out, () => eal.detachSync(first));
    step(out, () => listing(eal));
    const c = eal.attachSync('net_null2');
    step(out, () => [c, eal.port(c).device]);
    step(out, () => eal.stop(second));
    step(out, () => eal.close(second));
    out.push(await eal.detach(second));
    step(out, () => eal.detachSync(second));
    step(out, () => eal.detachSync(c, { force: true }));
    step(out, () => listing(eal));
    await new Promise((r) => setImmediate(r));
    eal.removeAllListeners();
    return [...out, events];
  },
  'lifecycle and loopback traffic on net_ring': async (eal) => {
    const out: Transcript = [];
    const port = eal.attachSync('net_ring0');
    step(out, () => eal.start(port));
    step(out, () => eal.configure(port, { rxQueues: 1, txQueues: 1 }));
    step(out, () => eal.start(port));
    step(out, () => eal.port(port).state);
    step(out, () => eal.txBurst(port, [Buffer.from('one'), Buffer.from('two!')]));
    step(out, () => eal.rxBurst(port).map(String));
    step(out, () => {
      const s = eal.stats(port);
      return [s.txPackets, s.rxPackets, s.txBytes, s.rxBytes];
    });
    step(out, () => eal.close(port));
    step(out, () => eal.stop(port));
    step(out, () => eal.close(port));
    step(out, () => eal.detachSync(port));
    return out;
  },
  'traffic on net_null': async (eal) => {
    const out: Transcript = [];
    const port = eal.attachSync('net_null0');
    eal.configure(port);
    eal.start(port);
    step(out, () => eal.txBurst(port, [Buffer.alloc(60), Buffer.alloc(100)]));
    step(out, () => eal.rxBurst(port, 3).map((p) => p.length));
    step(out, () => {
      const s = eal.stats(port);
      return [s.txPackets, s.rxPackets, s.txBytes, s.rxBytes];
    });
    step(out, () => eal.detachSync(port, { force: true }));
    return out;
  },
};

describe('FakeDpdk and the DPDK in use agree', () => {
  for (const [name, scenario] of Object.entries(scenarios)) {
    it(name, async () => {
      const onReal = await scenario(real);
      const onFake = await scenario(fake);
      expect(onFake).toEqual(onReal);
    });
  }
});

/**
 * The one-crossing attach and detach (shim.c's dphp_attach_area, dphp_detach_area) straight on
 * each binding, without the SDK, read from the area as eal.ts reads it: the snapshot of the
 * ports before a probe, the ports a probe made, a removal's rc and what it left.
 */
function crossings(b: DpdkBinding): unknown[] {
  const out: unknown[] = [];
  const { area } = b;
  const attach = (devargs: string) => {
    const n = b.dphp_attach_area(devargs, devargs);
    return { n, ports: [...area.ports.subarray(0, Math.max(n, 0))], before: [...area.before] };
  };
  const detach = (name: string) => {
    area.left[0] = 99;
    const rc = b.dphp_detach_area('vdev', name);
    return { rc, left: area.left[0] };
  };
  const null7 = attach('net_null7');
  const ring = attach('net_ring7');
  out.push(null7, ring, attach('net_null8'));
  out.push(detach('net_null7'), detach('net_null7'));
  // A closed port's device: remove still finds it, and leaves nothing.
  out.push(b.rte_eth_dev_close(ring.ports[0]!), detach('net_ring7'));
  out.push(detach('net_null8'));
  out.push(b.dphp_detach_area('vdev', 'net_null8'));
  return out;
}

describe('the one-crossing attach and detach agree', () => {
  it('dphp_attach_area and dphp_detach_area', () => {
    const onReal = crossings(dpdk());
    const onFake = crossings(fakeBinding);
    expect(onFake).toEqual(onReal);
    // What the scenario is there to show, so that agreeing on nothing fails.
    const [null7, ring7, null8] = onReal as Array<{ n: number; ports: number[]; before: number[] }>;
    expect(null7!.n).toBe(1);
    expect(ring7!.before).toContain(null7!.ports[0]);
    expect(null8!.before.filter((id) => id !== 0xffff)).toEqual(
      [null7!.ports[0], ring7!.ports[0]].sort((a, b) => a! - b!),
    );
    // Removing a removed device: -EINVAL until 26.03, -ENOENT since 26.07 (versions.ts).
    const again = removedVdevStaysOnBus(currentDpdk().version) ? -2 : -22;
    expect(onReal.slice(3, 5)).toEqual([
      { rc: 0, left: 0 },
      { rc: again, left: 99 },
    ]);
    expect(onReal.at(-1)).toBe(again);
  });
});
