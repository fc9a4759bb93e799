/**
 * The SDK's own logic above DPDK (the port table, state rules, events), on the in-memory
 * FakeDpdk: no DPDK is loaded in this file's process. What these tests say is about the SDK;
 * DPDK's side of each rule is tested on real DPDK (hotplug.test.ts), and
 * fake-agreement.test.ts holds the fake to it.
 */
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Eal } from './eal.js';
import { type HotplugError, isHotplugError } from './errors.js';
import { FakeDpdk } from './fake-dpdk.js';
import type { EalOptions, PortId } from './types.js';

const OPTIONS: EalOptions = { noHuge: true, noPci: true, noSharedConfig: true, logEcho: false };

function start(dpdk = new FakeDpdk(), options: EalOptions = OPTIONS): Eal {
  return Eal.init(options, dpdk);
}

/** The hotplug error `fn` throws, or undefined when it throws none. */
function errorOf(fn: () => unknown): HotplugError | undefined {
  try {
    fn();
  } catch (e) {
    if (isHotplugError(e)) return e;
    throw e;
  }
  return undefined;
}

const codeOf = (fn: () => unknown): string | undefined => errorOf(fn)?.code;

describe('the seam', () => {
  it('gives the EAL arguments to the binding, and inits each binding once', () => {
    const dpdk = new FakeDpdk();
    const eal = start(dpdk);
    expect(dpdk.argv).toEqual(['dpdk-hotplug', ...eal.args]);
    expect(eal.version).toBe('DPDK 22.11.0 (fake)');
    expect(codeOf(() => Eal.init(OPTIONS, dpdk))).toBe('EAL_ALREADY_INITIALIZED');
    expect(codeOf(() => Eal.init({ ...OPTIONS, dpdk: '/usr' }, new FakeDpdk()))).toBe('INVALID_OPTION');
    eal.cleanup();
    expect(dpdk.cleanedUp).toBe(true);
  });
});

describe('port table', () => {
  it('keeps a closed device listed and detachable when DPDK gives its id to a new port; a reused raw id is refused, a handle never names another port', () => {
    const eal = start();
    const a = eal.attachSync('net_null0');
    const first = eal.port(a);
    eal.close(a);
    const b = eal.attachSync('net_null1');
    expect(b).toBe(a);
    const second = eal.port(b);
    expect(second.generation).not.toBe(first.generation);
    expect(eal.ports().map((p) => [p.id, p.device, p.state])).toEqual([
      [a, 'net_null0', 'closed'],
      [a, 'net_null1', 'attached'],
    ]);
    expect(codeOf(() => eal.attachSync('net_null0'))).toBe('ALREADY_ATTACHED');
    // The raw id: lifecycle calls reach the port holding it in DPDK; a detach is ambiguous.
    expect(eal.port(a).device).toBe('net_null1');
    expect(codeOf(() => eal.detachSync(a))).toBe('PORT_ID_REUSED');
    eal.close(b);
    expect(codeOf(() => eal.detachSync(a))).toBe('PORT_ID_REUSED');
    expect(codeOf(() => eal.port(a))).toBe('PORT_ID_REUSED');
    // Handles name one port each, for good.
    expect(eal.port(first).device).toBe('net_null0');
    expect(eal.detachSync(first)).toBe('net_null0');
    expect(codeOf(() => eal.detachSync(first))).toBe('PORT_NOT_FOUND');
    expect(codeOf(() => eal.port(first))).toBe('PORT_NOT_FOUND');
    expect(eal.detachSync(a)).toBe('net_null1');
    expect(codeOf(() => eal.detachSync(second))).toBe('PORT_NOT_FOUND');
    expect(eal.ports()).toEqual([]);
  });

  it("refuses a handle that is not one (INVALID_PORT), and a handle whose id is not its port's (PORT_NOT_FOUND)", () => {
    const eal = start();
    const a = eal.attachSync('net_null0');
    const { generation } = eal.port(a);
    expect(codeOf(() => eal.port({ id: a } as never))).toBe('INVALID_PORT');
    expect(codeOf(() => eal.port({ id: 40, generation } as never))).toBe('INVALID_PORT');
    expect(codeOf(() => eal.port({ id: a + 1, generation } as never))).toBe('PORT_NOT_FOUND');
    expect(eal.detachSync({ id: a, generation }, { force: true })).toBe('net_null0');
  });

  it('keeps a closed port whose id is not reused, so detach(id) still works after close', () => {
    const eal = start();
    const port = eal.attachSync('net_ring0');
    eal.close(port);
    expect(eal.ports()).toMatchObject([{ id: port, state: 'closed', device: 'net_ring0' }]);
    expect(eal.detachSync(port)).toBe('net_ring0');
  });

  it('force stops, closes and detaches a started port; a plain detach is refused and the port keeps working', () => {
    const eal = start();
    const port = eal.attachSync('net_ring0');
    eal.configure(port);
    eal.start(port);
    expect(codeOf(() => eal.detachSync(port))).toBe('PORT_STARTED');
    expect(eal.txBurst(port, [Buffer.from('ping')])).toBe(1);
    expect(eal.rxBurst(port).map(String)).toEqual(['ping']);
    expect(eal.detachSync(port, { force: true })).toBe('net_ring0');
    expect(eal.ports()).toEqual([]);
  });

  it('refuses to close a port that another PMD started behind the SDK (DPDK says "Cannot close started device")', () => {
    const dpdk = new FakeDpdk();
    const eal = start(dpdk);
    const port = eal.attachSync('net_null0');
    eal.configure(port);
    dpdk.rte_eth_dev_start(port); // as a bonding device starts its members
    const error = (() => {
      try {
        eal.close(port);
      } catch (e) {
        return e as HotplugError;
      }
    })();
    expect(error?.code).toBe('PORT_STARTED');
    expect(error?.dpdkLog).toContain(`ETHDEV: Cannot close started device (port ${port})`);
    expect(eal.detachSync(port, { force: true })).toBe('net_null0');
  });

  it('holds every port of a multi-port device: attach returns the first, detach needs them all closed', () => {
    const eal = start(new FakeDpdk({ drivers: { net_multi: { ports: 3 }, net_null: {} } }));
    const other = eal.attachSync('net_null0');
    const first = eal.attachSync('net_multi0');
    const ports = eal.portsOf('net_multi0');
    expect(ports).toEqual([first, first + 1, first + 2]);
    expect(
      eal
        .ports()
        .filter((p) => p.device === 'net_multi0')
        .map((p) => p.name),
    ).toEqual(['net_multi0_0', 'net_multi0_1', 'net_multi0_2']);
    eal.close(first);
    expect(codeOf(() => eal.detachSync(first))).toBe('SIBLING_PORTS_OPEN');
    expect(eal.portsOf('net_multi0')).toEqual([first + 1, first + 2]);
    for (const p of ports.slice(1)) eal.close(p);
    expect(eal.detachSync(ports[2]!)).toBe('net_multi0');
    expect(eal.ports().map((p) => p.id)).toEqual([other]);
  });

  it('force-detaches a multi-port device with started siblings', () => {
    const eal = start(new FakeDpdk({ drivers: { net_multi: { ports: 2 } } }));
    const a = eal.attachSync('net_multi0');
    const b = eal.portsOf('net_multi0')[1]!;
    eal.configure(b);
    eal.start(b);
    expect(codeOf(() => eal.detachSync(a))).toBe('PORT_NOT_CLOSED');
    expect(eal.detachSync(a, { force: true })).toBe('net_multi0');
    expect(eal.ports()).toEqual([]);
  });

  it('a failed attach leaves nothing behind and carries what DPDK logged', () => {
    const eal = start();
    const error = errorOf(() => eal.attachSync('net_nosuch0'));
    expect(error?.code).toBe('UNKNOWN_DRIVER');
    expect(error?.dpdkLog).toEqual(['EAL: failed to parse device "net_nosuch0"']);
    expect(eal.ports()).toEqual([]);
  });

  it('removes a device a failed probe left behind (DPDK 22.11 failsafe left its sub-device so)', () => {
    const dpdk = new FakeDpdk({ drivers: { net_null: {}, net_failsafe: { failsLeaving: 'net_null' } } });
    const eal = start(dpdk);
    const kept = eal.attachSync('net_null0');
    const failed = errorOf(() => eal.attachSync('net_failsafe0'));
    expect(failed?.code).toBe('ATTACH_FAILED');
    expect(failed?.dpdkLog).toContainEqual(
      expect.stringMatching(
        /^net_failsafe: probe of net_failsafe0 failed after its sub-device net_null9\d was attached$/,
      ),
    );
    // DPDK's own view, not the SDK's table: the sub-device's port is gone from DPDK too.
    const ids = new Uint16Array(32);
    expect([...ids.subarray(0, dpdk.dphp_valid_ports(ids, 32))]).toEqual([kept]);
    expect(eal.ports().map((p) => p.device)).toEqual(['net_null0']);
  });
});

describe('await using', () => {
  it('releases an attached port at the end of its scope (stop, close, detach), and the EAL at the end of its own', async () => {
    const dpdk = new FakeDpdk();
    const ids = new Uint16Array(32);
    {
      await using eal = start(dpdk);
      {
        await using port = await eal.attachPort('net_ring0');
        expect(port).toMatchObject({ id: 0, device: 'net_ring0' });
        await eal.configureAsync(port);
        await eal.startAsync(port);
        expect(eal.port(port).state).toBe('started');
      }
      expect(eal.ports()).toEqual([]);
      expect(dpdk.dphp_valid_ports(ids, 32)).toBe(0);
      {
        // Detached already by the application: disposal has nothing left to do.
        await using port = await eal.attachPort('net_null0');
        expect(await eal.detach(port, { force: true })).toBe('net_null0');
      }
      // Left attached, with an async call queued: the EAL's disposal waits for it, then cleans up.
      await eal.attachPort('net_null1');
      void eal.attach('net_null2');
    }
    expect(dpdk.cleanedUp).toBe(true);
    expect(dpdk.dphp_valid_ports(ids, 32)).toBe(0);
  });
});

describe("a secondary's view", () => {
  it('takes in the ports the primary attached, and lets go of those it detached', () => {
    const primaryDpdk = new FakeDpdk();
    const primary = start(primaryDpdk, { logEcho: false, filePrefix: 'fake-mp' });
    const secondary = start(primaryDpdk.secondary(), {
      logEcho: false,
      filePrefix: 'fake-mp',
      processType: 'secondary',
    });
    const port = primary.attachSync('net_ring0');
    expect(secondary.ports()).toMatchObject([{ id: port, device: 'net_ring0', state: 'attached' }]);
    // A primary with shared state leaves close to the device's removal (ports.ts): the
    // secondary still sees the port until the device is gone.
    primary.close(port);
    expect(secondary.ports()).toMatchObject([{ id: port, device: 'net_ring0' }]);
    primary.detachSync(port);
    expect(secondary.ports()).toEqual([]);
    expect(codeOf(() => secondary.detachSync(port))).toBe('PORT_NOT_FOUND');
  });
});

describe('events', () => {
  it('come in call order, after each call returned, with every port of the device', async () => {
    const eal = start(new FakeDpdk({ drivers: { net_multi: { ports: 2 }, net_null: {} } }));
    const seen: string[] = [];
    eal.on('attach', (e) => seen.push(`attach ${e.device} ${e.ports.join(',')}`));
    eal.on('detach', (e) => seen.push(`detach ${e.device} ${e.ports.join(',')}`));
    const a = eal.attachSync('net_null0');
    seen.push('attachSync returned');
    const m = await eal.attach('net_multi0');
    eal.close(a);
    const detached = eal.detach(a);
    seen.push('detach called');
    await detached;
    await eal.detach(m, { force: true });
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual([
      'attachSync returned',
      'attach net_null0 0',
      'attach net_multi0 1,2',
      'detach called',
      'detach net_null0 0',
      'detach net_multi0 1,2',
    ]);
  });

  it('queues async calls in call order: a detach queued after an attach sees the new port', async () => {
    const eal = start();
    const attached = eal.attach('net_null0');
    expect(codeOf(() => eal.attachSync('net_null1'))).toBe('BUSY');
    const port = await attached;
    const [closed, name] = await Promise.all([Promise.resolve(eal.close(port)), eal.detach(port)]);
    expect([closed, name]).toEqual([undefined, 'net_null0']);
  });
});

describe('events', () => {
  it('reach every way of listening added after cycles without a listener (on, once, prepend…, events.once)', async () => {
    const eal = start();
    for (let i = 0; i < 3; i++) eal.detachSync(eal.attachSync('net_null0'), { force: true });
    const seen: string[] = [];
    eal.once('attach', (e) => seen.push(`once ${e.device}`));
    eal.prependOnceListener('detach', (e) => seen.push(`prependOnce ${e.device}`));
    const attached = once(eal, 'attach');
    const port = eal.attachSync('net_null0');
    eal.detachSync(port, { force: true });
    await Promise.resolve();
    expect(seen).toEqual(['once net_null0', 'prependOnce net_null0']);
    expect((await attached)[0]).toMatchObject({ port, device: 'net_null0' });
    const fresh = new FakeDpdk();
    const other = start(fresh, { ...OPTIONS, filePrefix: 'fake-events' });
    other.addListener('detach', (e) => seen.push(`addListener ${e.device}`));
    other.prependListener('attach', (e) => seen.push(`prependListener ${e.device}`));
    other.on('attach', (e) => seen.push(`on ${e.device}`));
    other.detachSync(other.attachSync('net_ring0'), { force: true });
    await Promise.resolve();
    expect(seen.slice(2)).toEqual(['prependListener net_ring0', 'on net_ring0', 'addListener net_ring0']);
    expect(eal.listenerCount('attach') + eal.listenerCount('detach')).toBe(0);
  });
});

describe('the async calls refuse bad input by rejecting, never by throwing', () => {
  /**
   * Steps: each async call with an invalid option (a negative timeout), then each with a port
   * the table does not have, then each after cleanup. Verify: the call returns a promise (no
   * synchronous throw, so `.catch()` and `await` see the same), which rejects with the typed code.
   */
  it('rejects INVALID_OPTION, PORT_NOT_FOUND and EAL_NOT_INITIALIZED as promises', async () => {
    const eal = start();
    const calls: Array<[string, (port: PortId, options?: object) => Promise<unknown>]> = [
      ['attach', (_p, o) => eal.attach('net_null0', o)],
      ['detach', (p, o) => eal.detach(p, o)],
      ['detachDevice', (_p, o) => eal.detachDevice('net_null9', o)],
      ['configureAsync', (p, o) => eal.configureAsync(p, o)],
      ['startAsync', (p, o) => eal.startAsync(p, o)],
      ['stopAsync', (p, o) => eal.stopAsync(p, o)],
      ['closeAsync', (p, o) => eal.closeAsync(p, o)],
      ['release', (p, o) => eal.release(p, o)],
    ];
    const codeOfRejection = async (name: string, call: () => Promise<unknown>) => {
      let promise: Promise<unknown>;
      try {
        promise = call();
      } catch (e) {
        throw new Error(`${name} threw synchronously: ${String(e)}`);
      }
      return promise.then(
        () => `${name} resolved`,
        (e: unknown) => (isHotplugError(e) ? e.code : String(e)),
      );
    };
    for (const [name, call] of calls)
      expect(await codeOfRejection(name, () => call(0 as PortId, { timeoutMs: -1 })), name).toBe(
        'INVALID_OPTION',
      );
    for (const [name, call] of calls.filter(([n]) => n !== 'attach' && n !== 'detachDevice'))
      expect(await codeOfRejection(name, () => call(7 as PortId)), name).toBe('PORT_NOT_FOUND');
    eal.cleanup();
    for (const [name, call] of calls)
      expect(await codeOfRejection(name, () => call(0 as PortId)), name).toBe('EAL_NOT_INITIALIZED');
  });
});
