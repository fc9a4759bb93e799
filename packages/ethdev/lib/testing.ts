/**
 * @dpdk-hotplug/ethdev/testing: packets and capture files for traffic tests (ours and yours), a
 * copy of the installed DPDK in a prefix of its own, for tests of DPDK selection, DPDK's own
 * port close behind the SDK's back, for tests of the multi-process detach order, and an
 * in-memory fake DPDK (`Eal.init(options, new FakeDpdk())`) for tests of logic above DPDK.
 */
import { writeFileSync } from 'node:fs';

export { dpdkPortCloser } from './binding.js';
export { type CopiedDpdk, copyInstalledDpdk } from './dpdk-copy.js';
export {
  type EventLoopWatch,
  type InterleavedWatch,
  type LifecycleWorst,
  timedAsyncCycles,
  timedLifecycleCycles,
  watchAgainstIdle,
  watchEventLoop,
} from './event-loop-watch.js';
export { FakeDpdk, type FakeDpdkSpec, type FakeDriver } from './fake-dpdk.js';
export { type PluginFolder, pluginFolder } from './plugin-folder.js';

/** A 64-byte broadcast Ethernet frame (IPv4 ethertype) carrying `tag`, so it can be recognized. */
export function ethernetFrame(tag: string, length = 64): Buffer {
  const frame = Buffer.alloc(Math.max(length, 14 + tag.length));
  frame.write('ffffffffffff020000000001', 'hex');
  frame.writeUInt16BE(0x0800, 12);
  frame.write(tag, 14);
  return frame;
}

/** An IPv4/UDP packet (no Ethernet header) to 192.0.2.1, for layer-3 PMDs such as net_tun. */
export function ipv4Packet(tag: string): Buffer {
  const payload = Buffer.from(tag);
  const p = Buffer.alloc(28 + payload.length);
  p.writeUInt8(0x45, 0);
  p.writeUInt16BE(p.length, 2);
  p.writeUInt8(64, 8); // TTL
  p.writeUInt8(17, 9); // UDP
  Buffer.from([198, 51, 100, 1]).copy(p, 12); // TEST-NET-2 source
  Buffer.from([192, 0, 2, 1]).copy(p, 16); // TEST-NET-1 destination: never routed
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += p.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  p.writeUInt16BE(~sum & 0xffff, 10);
  p.writeUInt16BE(9, 20);
  p.writeUInt16BE(9, 22); // discard port
  p.writeUInt16BE(8 + payload.length, 24);
  payload.copy(p, 28);
  return p;
}

/** A pcap file header: microsecond timestamps, Ethernet link type. */
export function pcapHeader(): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20);
  return header;
}

/** A pcap file holding `frames`. */
export function pcapFile(path: string, frames: readonly Buffer[]): void {
  const header = pcapHeader();
  const records = frames.map((f) => {
    const r = Buffer.alloc(16);
    r.writeUInt32LE(f.length, 8);
    r.writeUInt32LE(f.length, 12);
    return Buffer.concat([r, f]);
  });
  writeFileSync(path, Buffer.concat([header, ...records]));
}
