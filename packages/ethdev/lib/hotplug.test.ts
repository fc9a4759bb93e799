/**
 * The framework's contract on real DPDK 22.11, with net_null and net_ring vdevs.
 * One EAL for this file's process.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Eal } from './eal.js';
import { type HotplugError, isHotplugError } from './errors.js';
import { portId } from './ports.js';
import { errorOf, startEal } from './test-support/env.js';
import type { AttachEvent, DetachEvent, PortId } from './types.js';

let eal: Eal;
beforeAll(() => {
  eal = startEal();
});
afterAll(() => {
  expect(eal.cleanup()).toEqual([]);
});
afterEach(async () => {
  // Every test leaves no port behind; a leftover would break the next test's expectations.
  for (const p of eal.ports()) eal.detachSync(p.id, { force: true });
  // Events are delivered after their call returns: let this test's arrive before the next test listens.
  await new Promise((r) => setImmediate(r));
  eal.removeAllListeners();
});

function codeOf(fn: () => unknown): string | undefined {
  return errorOf(fn)?.code;
}

describe('attach', () => {
  it('returns a valid port id that ports() describes', () => {
    // Steps: attach net_null0. Verify: the id is listed with device, bus, driver and state.
    const port = eal.attachSync('net_null0');
    expect(port).toBe(0);
    expect(eal.ports()).toMatchObject([
      { id: 0, name: 'net_null0', device: 'net_null0', bus: 'vdev', driver: 'net_null', state: 'attached' },
    ]);
    expect(eal.port(port).mac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
  });

  it('accepts the legacy eth_ spelling and returns the vdev name at detach', () => {
    const port = eal.attachSync('eth_null3');
    expect(eal.port(port)).toMatchObject({ device: 'eth_null3', driver: 'net_null' });
    eal.close(port);
    expect(eal.detachSync(port)).toBe('eth_null3');
  });

  it('refuses a device that is already attached, and the first port keeps working', () => {
    const port = eal.attachSync('net_ring0');
    expect(codeOf(() => eal.attachSync('net_ring0'))).toBe('ALREADY_ATTACHED');
    eal.configure(port);
    eal.start(port);
    expect(eal.txBurst(port, [Buffer.alloc(60, 1)])).toBe(1);
    expect(eal.rxBurst(port)).toHaveLength(1);
  });

  it('refuses a closed device that was not detached (DPDK would probe nothing and return 0)', () => {
    const port = eal.attachSync('net_null0');
    eal.close(port);
    expect(eal.ports()).toMatchObject([{ id: port, state: 'closed' }]);
    expect(codeOf(() => eal.attachSync('net_null0'))).toBe('ALREADY_ATTACHED');
    expect(eal.detachSync(port)).toBe('net_null0');
    expect(eal.attachSync('net_null0')).toBe(port);
  });

  it.each([
    ['', 'INVALID_DEVARGS'],
    ['garbage!!', 'INVALID_DEVARGS'],
    ['x'.repeat(5000), 'INVALID_DEVARGS'],
    ['net_bogus0', 'UNKNOWN_DRIVER'],
    ['0000:zz:00.0', 'INVALID_PCI_ADDRESS'],
    ['0000:05:00.0', 'DEVICE_NOT_FOUND'],
    ['net_null0,no_such_arg=1', 'ATTACH_FAILED'],
    ['net_ring0,nodeaction=bad', 'ATTACH_FAILED'],
  ])('%j fails with %s; the process and its other ports survive; nothing is left behind', (devargs, code) => {
    const keep = eal.attachSync('net_null9');
    const before = eal.resources();
    let error: unknown;
    try {
      eal.attachSync(devargs);
    } catch (e) {
      error = e;
    }
    expect(isHotplugError(error, code as 'ATTACH_FAILED')).toBe(true);
    const e = error as HotplugError;
    expect(e.devargs).toBe(devargs);
    expect(e.message).toContain(JSON.stringify(devargs.slice(0, 20)).slice(1, -1));
    if (e.name === 'DpdkError') {
      expect(e.errno).toBeGreaterThan(0);
      expect(e.dpdkLog.length).toBeGreaterThan(0);
    }
    expect(eal.ports().map((p) => p.id)).toEqual([keep]);
    expect(eal.resources()).toMatchObject({ ports: before.ports, memzones: before.memzones });
    // The name that failed can be attached when the arguments are right.
    const name = devargs.split(',')[0]!;
    if (/^net_(null|ring)0$/.test(name)) {
      const good = eal.attachSync(name);
      eal.close(good);
      expect(eal.detachSync(good)).toBe(name);
    }
  });
});

describe('detach', () => {
  it('requires the port stopped and closed; a refused detach leaves the port forwarding', () => {
    const port = eal.attachSync('net_ring0');
    expect(codeOf(() => eal.detachSync(port))).toBe('PORT_NOT_CLOSED');
    eal.configure(port);
    eal.start(port);
    expect(codeOf(() => eal.detachSync(port))).toBe('PORT_STARTED');
    expect(eal.txBurst(port, [Buffer.alloc(64, 7), Buffer.alloc(64, 8)])).toBe(2);
    expect(eal.rxBurst(port).map((p) => p[0])).toEqual([7, 8]);
    expect(codeOf(() => eal.close(port))).toBe('PORT_STARTED');
    eal.stop(port);
    expect(codeOf(() => eal.detachSync(port))).toBe('PORT_NOT_CLOSED');
    eal.close(port);
    expect(eal.detachSync(port)).toBe('net_ring0');
    expect(eal.ports()).toEqual([]);
    expect(eal.resources().ports).toBe(0);
  });

  it('force stops, closes and detaches a started port', () => {
    const port = eal.attachSync('net_null0');
    eal.configure(port);
    eal.start(port);
    expect(eal.detachSync(port, { force: true })).toBe('net_null0');
    expect(eal.ports()).toEqual([]);
  });

  it('refuses a second detach of the same port, and an id that was never a port', () => {
    const port = eal.attachSync('net_null0');
    eal.close(port);
    eal.detachSync(port);
    expect(codeOf(() => eal.detachSync(port))).toBe('PORT_NOT_FOUND');
    expect(codeOf(() => eal.detachSync(portId(17)))).toBe('PORT_NOT_FOUND');
  });

  it.each([-1, 32, 1.5, Number.NaN, '0', null])('refuses %j as a port id with INVALID_PORT', (bad) => {
    expect(codeOf(() => eal.detachSync(bad as PortId))).toBe('INVALID_PORT');
    expect(codeOf(() => eal.close(bad as PortId))).toBe('INVALID_PORT');
    expect(codeOf(() => eal.txBurst(bad as PortId, []))).toBe('INVALID_PORT');
  });

  it('never detaches the wrong device when DPDK reuses a closed port id', () => {
    // Steps: attach A, close A (DPDK frees id 0), attach B (DPDK gives it id 0), detach 0.
    // Verify: A stays listed; the raw id 0 is refused for detach (two listed ports had it);
    // A is detached by its handle or name, then id 0 names B alone.
    const a = eal.attachSync('net_null0');
    const handleA = eal.port(a);
    eal.close(a);
    const b = eal.attachSync('net_ring0');
    expect(b).toBe(a);
    expect(eal.ports().map((p) => [p.id, p.device, p.state])).toEqual([
      [a, 'net_null0', 'closed'],
      [b, 'net_ring0', 'attached'],
    ]);
    expect(codeOf(() => eal.detachSync(b))).toBe('PORT_ID_REUSED');
    expect(eal.port(b).device).toBe('net_ring0');
    expect(eal.detachSync(handleA)).toBe('net_null0');
    expect(eal.port(b).state).toBe('attached');
    eal.close(b);
    expect(eal.detachSync(b)).toBe('net_ring0');
    expect(eal.ports()).toEqual([]);
  });

  it('leaves ids with holes: iteration and counts stay right after detaching a middle port', () => {
    const ids = ['net_null0', 'net_null1', 'net_null2'].map((d) => eal.attachSync(d));
    expect(ids).toEqual([0, 1, 2]);
    eal.close(ids[1]!);
    eal.detachSync(ids[1]!);
    expect(eal.ports().map((p) => p.id)).toEqual([0, 2]);
    expect(eal.resources().ports).toBe(2);
    expect(eal.attachSync('net_ring0')).toBe(1);
  });
});

describe('events', () => {
  it('delivers attach and detach once each, after the call has returned', async () => {
    const attached: AttachEvent[] = [];
    const detached: DetachEvent[] = [];
    eal.on('attach', (e) => attached.push(e));
    eal.on('detach', (e) => detached.push(e));
    const port = eal.attachSync('net_null0');
    expect(attached).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(attached).toEqual([{ port, ports: [port], device: 'net_null0', devargs: 'net_null0' }]);
    eal.close(port);
    eal.detachSync(port);
    await new Promise((r) => setImmediate(r));
    expect(detached).toEqual([{ ports: [port], device: 'net_null0' }]);
    expect(attached).toHaveLength(1);
  });

  it('sends no event for a refused call', async () => {
    let events = 0;
    eal.on('attach', () => events++);
    eal.on('detach', () => events++);
    expect(codeOf(() => eal.attachSync('net_bogus0'))).toBe('UNKNOWN_DRIVER');
    expect(codeOf(() => eal.detachSync(portId(3)))).toBe('PORT_NOT_FOUND');
    await new Promise((r) => setImmediate(r));
    expect(events).toBe(0);
  });
});

describe('concurrency', () => {
  it('ends a storm of concurrent attach/detach promises in a consistent state, never a double remove', async () => {
    // Steps: fire 200 attach, close+detach and double detach calls, in random order, awaiting
    // one now and then (the calls are queued: the table moves only as they run).
    // Verify: every call settles; each device was removed once; SDK and DPDK agree at the end.
    const names = Array.from({ length: 8 }, (_, i) => `net_null${i}`);
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const removed: string[] = [];
    eal.on('detach', (e) => removed.push(e.device));
    const calls: Promise<PromiseSettledResult<unknown>>[] = [];
    const settled = (p: Promise<unknown>) =>
      p.then(
        (value) => ({ status: 'fulfilled' as const, value }),
        (reason) => ({ status: 'rejected' as const, reason }),
      );
    for (let i = 0; i < 200; i++) {
      const name = names[Math.floor(random() * names.length)]!;
      if (random() < 0.5) {
        calls.push(settled(eal.attach(name)));
      } else {
        const id = eal.portsOf(name)[0];
        if (id === undefined) continue;
        calls.push(settled(eal.detach(id, { force: true })));
        calls.push(settled(eal.detach(id, { force: true }))); // the second of a pair must be refused
      }
      if (random() < 0.2) await calls.at(-1);
    }
    const results = await Promise.all(calls);
    await new Promise((r) => setImmediate(r));
    const refused = results
      .filter((r) => r.status === 'rejected')
      .map((r) => (r.reason as HotplugError).code);
    expect(new Set(refused)).toEqual(new Set(['ALREADY_ATTACHED', 'PORT_NOT_FOUND']));
    const succeededDetaches = results.filter((r) => r.status === 'fulfilled' && typeof r.value === 'string');
    expect(removed).toHaveLength(succeededDetaches.length);
    const sdk = eal.ports().map((p) => p.id);
    expect(eal.resources().ports).toBe(sdk.length);
    for (const name of names) expect(eal.portsOf(name).length).toBeLessThanOrEqual(1);
  });

  it('refuses DPDK calls from a second worker thread with a clear error', async () => {
    const { Worker } = await import('node:worker_threads');
    const entry = new URL('../dist/index.js', import.meta.url).href;
    const worker = new Worker(
      `import(${JSON.stringify(entry)}).then(({ Eal }) => {
         try { Eal.init({ noHuge: true, noPci: true }); require('worker_threads').parentPort.postMessage('no error'); }
         catch (e) { require('worker_threads').parentPort.postMessage(e.code + ': ' + e.message); }
       });`,
      { eval: true },
    );
    const message = await new Promise<string>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    expect(message).toMatch(/^EAL_WRONG_THREAD: DPDK in this process belongs to the main thread/);
    // The main thread's EAL is untouched.
    const port = eal.attachSync('net_null0');
    expect(eal.port(port).state).toBe('attached');
  });
});

describe('portsOf', () => {
  it('lists the live ports of a device, none for an unknown one, none once closed', () => {
    const port = eal.attachSync('net_null0');
    expect(eal.portsOf('net_null0')).toEqual([port]);
    expect(eal.portsOf('net_null5')).toEqual([]);
    eal.close(port);
    expect(eal.portsOf('net_null0')).toEqual([]);
  });
});
