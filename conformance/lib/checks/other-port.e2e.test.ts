/**
 * Check 110's other port on real DPDK (no PCI: a net_null port stands in for the DUT that goes).
 * Steps: hold the other port, take another device away, judge it. Verify: healthy, it is judged
 * so and released; stopped or detached behind the check's back, or named by a removal event, it
 * is judged unhealthy with what is wrong.
 */
import { Eal, type PortId, type RemoveEvent } from '@dpdk-hotplug/ethdev';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  holdOtherPort,
  judgeOtherPort,
  keepBusy,
  namesOtherPort,
  OTHER_PORT_BURST,
  OTHER_PORT_DEVARGS,
} from './other-port.js';

let eal: Eal;

beforeAll(() => {
  eal = Eal.init({
    noHuge: true,
    noPci: true,
    memoryMb: 256,
    noSharedConfig: true,
    filePrefix: `other-port-${process.pid}`,
    logLevel: 'error',
    logEcho: false,
  });
});
afterAll(() => eal?.cleanup());

describe("check 110's other port", () => {
  it('held beside a port that goes, stays listed, loops back, counts, and is released', async () => {
    const dut = await eal.attach('net_null7');
    eal.configure(dut);
    eal.start(dut);
    const other = await holdOtherPort(eal);
    expect(other).toMatchObject({ name: OTHER_PORT_DEVARGS, device: OTHER_PORT_DEVARGS, driver: 'net_ring' });
    expect(other.stats.txPackets).toBe(OTHER_PORT_BURST);
    expect(other.stats.rxPackets).toBe(OTHER_PORT_BURST);
    // The DUT goes while the other port is kept busy.
    const going = (async () => {
      await new Promise((r) => setTimeout(r, 250));
      eal.stop(dut);
      eal.close(dut);
      return eal.detach(dut);
    })();
    const busy = await keepBusy(eal, other, going);
    expect(await going).toBe('net_null7');
    expect(busy.bursts).toBeGreaterThanOrEqual(2);
    expect(busy.failed).toEqual([]);
    const outcome = await judgeOtherPort(eal, other, [{ source: 'bus', device: 'net_null7' }]);
    expect(outcome.findings).toEqual([]);
    expect(outcome.detail).toMatch(
      new RegExp(
        `^other port ${other.id} \\(${OTHER_PORT_DEVARGS}\\): tx 8 → ${8 * (busy.bursts + 2)}, rx 8 → ${8 * (busy.bursts + 2)} .*; stopped, closed and detached$`,
      ),
    );
    expect(eal.ports()).toEqual([]);
  });

  it('stopped behind its back: judged unhealthy, and still released', async () => {
    const other = await holdOtherPort(eal);
    eal.stop(other.id);
    const outcome = await judgeOtherPort(eal, other, []);
    expect(outcome.findings).toEqual([`the other port ${OTHER_PORT_DEVARGS} is stopped, was started`]);
    expect(eal.ports()).toEqual([]);
  });

  it('gone, or named by a removal event: each said', async () => {
    const other = await holdOtherPort(eal);
    eal.stop(other.id);
    eal.close(other.id);
    await eal.detach(other.id);
    const outcome = await judgeOtherPort(eal, other, [{ source: 'ethdev', port: other.id }]);
    expect(outcome.findings).toEqual([
      `removal events named the other port ${OTHER_PORT_DEVARGS} (port ${other.id}): {"source":"ethdev","port":${other.id}}`,
      `the other port ${other.id} (${OTHER_PORT_DEVARGS}) is no longer listed`,
    ]);
  });
});

describe('namesOtherPort', () => {
  const other = { id: 1 as PortId, device: OTHER_PORT_DEVARGS, name: OTHER_PORT_DEVARGS };
  it.each<[RemoveEvent, boolean]>([
    [{ source: 'ethdev', port: 1 as PortId }, true],
    [{ source: 'bus', device: OTHER_PORT_DEVARGS }, true],
    [{ source: 'ethdev', port: 0 as PortId }, false],
    [{ source: 'bus', device: '0000:01:10.0' }, false],
    [{ source: 'bus' }, false],
  ])('%j names it: %s', (event, names) => {
    expect(namesOtherPort(event, other)).toBe(names);
  });
});
