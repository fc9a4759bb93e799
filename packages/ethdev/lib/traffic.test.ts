/**
 * Traffic through real vdev PMDs, before and after a re-attach: ring (loops back), pcap (files
 * this test writes), tap (a kernel interface) and af_packet (a veth pair this test creates).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Eal } from './eal.js';
import { Defer, errorOf, frame, ip, isRoot, startEal, uniqueIfName } from './test-support/env.js';
import { pcapFile } from './testing.js';
import type { PortId } from './types.js';

let eal: Eal;
const defer = new Defer();
let dir: string;
beforeAll(() => {
  eal = startEal();
  dir = mkdtempSync(join(tmpdir(), 'dphp-traffic-'));
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

function down(port: PortId): string {
  eal.stop(port);
  eal.close(port);
  return eal.detachSync(port);
}

/** Polls rx until `count` packets came or `ms` passed (kernel-backed PMDs deliver asynchronously). */
async function receive(port: PortId, count: number, ms = 2000): Promise<Buffer[]> {
  const got: Buffer[] = [];
  const end = Date.now() + ms;
  while (got.length < count && Date.now() < end) {
    got.push(...eal.rxBurst(port));
    if (got.length < count) await new Promise((r) => setTimeout(r, 1));
  }
  return got;
}

describe('traffic', () => {
  it('net_ring loops packets back, and again after a re-attach', () => {
    for (let round = 0; round < 2; round++) {
      const port = up(eal.attachSync('net_ring0'));
      const sent = [frame(`ring-${round}-a`), frame(`ring-${round}-b`, 1500)];
      expect(eal.txBurst(port, sent)).toBe(2);
      expect(eal.rxBurst(port)).toEqual(sent);
      expect(eal.stats(port)).toMatchObject({ txPackets: 2, rxPackets: 2 });
      expect(down(port)).toBe('net_ring0');
    }
  });

  it('net_ring loops packed bursts back: end to end in caller-owned buffers, lengths checked first', () => {
    const port = up(eal.attachSync('net_ring0'));
    const sent = [frame('packed-a'), frame('packed-b', 1500), frame('packed-c', 100)];
    const batch = { data: Buffer.concat(sent), lengths: Uint16Array.from(sent.map((f) => f.length)) };
    expect(eal.txBurstPacked(port, { ...batch, count: 2 })).toBe(2);
    expect(eal.txBurstPacked(port, batch)).toBe(3);
    const inbox = { data: Buffer.alloc(3200), lengths: new Uint16Array(8) };
    expect(eal.rxBurstPacked(port, inbox)).toBe(5);
    // 64 + 1500 + 64 + 1500 = 3128 bytes fit in 3200; the fifth (100 bytes) does not: dropped, length 0.
    expect([...inbox.lengths.subarray(0, 5)]).toEqual([64, 1500, 64, 1500, 0]);
    expect(inbox.data.subarray(0, 64 + 1500)).toEqual(Buffer.concat(sent.slice(0, 2)));
    // The shim would read past `data`: refused before DPDK sees anything.
    const short = { data: Buffer.alloc(100), lengths: Uint16Array.of(64, 64) };
    expect(errorOf(() => eal.txBurstPacked(port, short))?.code).toBe('INVALID_ARGUMENT');
    expect(errorOf(() => eal.txBurstPacked(port, { ...batch, count: 4 }))?.code).toBe('INVALID_ARGUMENT');
    expect(
      errorOf(() => eal.rxBurstPacked(port, { data: [] as never, lengths: new Uint16Array(1) }))?.code,
    ).toBe('INVALID_ARGUMENT');
    expect(eal.stats(port)).toMatchObject({ txPackets: 5, rxPackets: 5 });
    expect(down(port)).toBe('net_ring0');
  });

  it('net_pcap reads the rx file and writes the tx file, and again after a re-attach', () => {
    const frames = [frame('pcap-1'), frame('pcap-2'), frame('pcap-3', 300)];
    pcapFile(join(dir, 'in.pcap'), frames);
    for (let round = 0; round < 2; round++) {
      const out = join(dir, `out-${round}.pcap`);
      const port = up(eal.attachSync(`net_pcap0,rx_pcap=${join(dir, 'in.pcap')},tx_pcap=${out}`));
      expect(eal.rxBurst(port, 8)).toEqual(frames);
      expect(eal.txBurst(port, [frame('to-file', 100)])).toBe(1);
      expect(down(port)).toBe('net_pcap0');
      // The tx file is flushed at close: pcap header + one 16-byte record header + 100 bytes.
      expect(statSync(out).size).toBe(24 + 16 + 100);
      expect(
        readFileSync(out)
          .subarray(40, 40 + 14 + 7)
          .toString('latin1'),
      ).toContain('to-file');
    }
  });

  it.skipIf(!isRoot)(
    'net_tap sends to its kernel interface, which is gone after detach; again after a re-attach',
    async () => {
      const iface = uniqueIfName('t');
      for (let round = 0; round < 2; round++) {
        const port = up(eal.attachSync(`net_tap0,iface=${iface}`));
        // DPDK deletes the interface at detach; this undoes it only if a failure came first.
        defer.add(() => existsSync(`/sys/class/net/${iface}`) && ip('link', 'del', iface));
        ip('link', 'set', iface, 'up');
        const counter = `/sys/class/net/${iface}/statistics/rx_packets`;
        const before = Number(readFileSync(counter, 'utf8'));
        expect(eal.txBurst(port, [frame('tap-1'), frame('tap-2')])).toBe(2);
        await expect.poll(() => Number(readFileSync(counter, 'utf8')) - before).toBe(2);
        expect(down(port)).toBe('net_tap0');
        expect(() => statSync(`/sys/class/net/${iface}`)).toThrow();
      }
    },
  );

  it.skipIf(!isRoot)(
    'net_af_packet passes frames across a veth pair, and again after a re-attach',
    async () => {
      const [a, b] = [uniqueIfName('a'), uniqueIfName('b')];
      ip('link', 'add', a, 'type', 'veth', 'peer', 'name', b);
      defer.add(() => ip('link', 'del', a));
      ip('link', 'set', a, 'up');
      ip('link', 'set', b, 'up');
      for (let round = 0; round < 2; round++) {
        const tx = up(eal.attachSync(`net_af_packet0,iface=${a}`));
        const rx = up(eal.attachSync(`net_af_packet1,iface=${b}`));
        const sent = [frame(`afp-${round}-1`), frame(`afp-${round}-2`), frame(`afp-${round}-3`)];
        expect(eal.txBurst(tx, sent)).toBe(3);
        // The kernel may add frames of its own (IPv6 neighbour discovery) on a fresh link.
        const got = await receive(rx, 3);
        expect(got.filter((f) => f.subarray(14, 18).toString() === 'afp-')).toEqual(sent);
        expect([down(tx), down(rx)]).toEqual(['net_af_packet0', 'net_af_packet1']);
      }
    },
  );
});
