/**
 * One contract for every PMD. DPDK 22.11's rte_dev_remove of a started port silently closes it
 * for null, ring, pcap, tap, af_packet and vhost, fails with -EINVAL for memif and virtio_user
 * and with -EBUSY for bonding. The SDK refuses a started port for all of them, the port keeps
 * forwarding, and `force` stops, closes and detaches all of them. net_memif's case is in
 * pmd-contract-memif.test.ts, a process of its own: see there.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Eal } from './eal.js';
import { isHotplugError } from './errors.js';
import { Defer, expectDetachRefusedWhileStarted, frame, startEal } from './test-support/env.js';
import type { PortId } from './types.js';
import { bondingMemberKey } from './versions.js';

let eal: Eal;
let dir: string;
const defer = new Defer();
beforeAll(() => {
  eal = startEal({ memoryMb: 512 });
  dir = mkdtempSync(join(tmpdir(), 'dphp-pmd-'));
  defer.add(() => rmSync(dir, { recursive: true, force: true }));
});
afterAll(() => {
  expect(eal.cleanup()).toEqual([]);
  defer.run();
});

function up(port: PortId): PortId {
  eal.configure(port);
  eal.start(port);
  return port;
}

const refusedWhileStarted = (port: PortId) => expectDetachRefusedWhileStarted(eal, port);

async function poll(port: PortId, count: number): Promise<Buffer[]> {
  const got: Buffer[] = [];
  for (let i = 0; i < 500 && got.length < count; i++) {
    got.push(...eal.rxBurst(port));
    if (got.length < count) await new Promise((r) => setTimeout(r, 2));
  }
  return got;
}

describe('one detach contract for every PMD', () => {
  it('net_virtio_user against a net_vhost backend, with traffic (DPDK alone: -EINVAL when started)', async () => {
    const socket = join(dir, 'vhost.sock');
    const vhost = up(eal.attachSync(`net_vhost0,iface=${socket},queues=1`));
    const user = up(eal.attachSync(`net_virtio_user0,path=${socket},queues=1`));
    expect(eal.port(user).driver).toBe('net_virtio_user');
    refusedWhileStarted(user);
    const sent = [frame('virtio-1'), frame('virtio-2')];
    expect(eal.txBurst(user, sent)).toBe(2);
    expect(await poll(vhost, 2)).toEqual(sent);
    expect(eal.detachSync(user, { force: true })).toBe('net_virtio_user0');
    expect(eal.detachSync(vhost, { force: true })).toBe('net_vhost0');
  });

  it('net_bonding over two net_null ports (DPDK alone: -EBUSY when started)', async () => {
    const members = [eal.attachSync('net_null0'), eal.attachSync('net_null1')];
    const key = bondingMemberKey(eal.version);
    const bond = up(eal.attachSync(`net_bonding0,mode=0,${key}=net_null0,${key}=net_null1`));
    expect(eal.port(bond).driver).toBe('net_bonding');
    refusedWhileStarted(bond);
    // The bond sends once it has polled its members' links up (every 10 ms).
    await expect.poll(() => eal.txBurst(bond, [frame('bond')]), { timeout: 2000 }).toBe(1);
    // It started its members itself: a plain close of one is refused and says why.
    let error: unknown;
    try {
      eal.close(members[0]!);
    } catch (e) {
      error = e;
    }
    expect(isHotplugError(error, 'PORT_STARTED')).toBe(true);
    expect((error as Error).message).toMatch(/started by another PMD/);
    expect(eal.detachSync(bond, { force: true })).toBe('net_bonding0');
    // The members are released by the bond and detach as ordinary ports.
    for (const m of members) expect(eal.detachSync(m, { force: true })).toMatch(/^net_null[01]$/);
    expect(eal.ports()).toEqual([]);
  });
});
