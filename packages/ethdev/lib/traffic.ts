import { type DpdkBinding, MAX_BURST, MAX_PACKET } from './dpdk-binding.js';
import { InvalidInputError } from './errors.js';
import { count, expectState, type PortRecord } from './ports.js';
import type { PacketBatch } from './types.js';

export { MAX_PACKET };

// Packets cross into C through the shim's area (dpdk-binding.ts), shared memory that koffi does
// not marshal: DPDK calls run one at a time on one thread, and none of it is handed out.

function tooMany(n: number): InvalidInputError {
  return new InvalidInputError('INVALID_ARGUMENT', `At most ${MAX_BURST} packets a burst, got ${n}`);
}

function badLength(i: number, len: number): InvalidInputError {
  return new InvalidInputError(
    'INVALID_ARGUMENT',
    `Packet ${i} is ${len} bytes; 1 to ${MAX_PACKET} are allowed`,
  );
}

/** Sends packets on a started port; returns how many the PMD took (the rest are dropped). */
export function txBurst(
  dpdk: DpdkBinding,
  port: PortRecord,
  packets: readonly Uint8Array[],
  queue: number,
): number {
  expectState(port, ['started'], 'send on');
  const n = packets.length;
  if (n === 0) return 0;
  if (n > MAX_BURST) throw tooMany(n);
  const { data, lens } = dpdk.area;
  let off = 0;
  for (let i = 0; i < n; i++) {
    const p = packets[i]!;
    const len = p.byteLength;
    if (len < 1 || len > MAX_PACKET) throw badLength(i, len);
    data.set(p, off);
    lens[i] = len;
    off += len;
  }
  return dpdk.dphp_tx(port.id, queue, n);
}

/** Receives up to `max` packets from a started port, as copies. */
export function rxBurst(dpdk: DpdkBinding, port: PortRecord, max: number, queue: number): Buffer[] {
  expectState(port, ['started'], 'receive on');
  const n = count('max', max, 32, MAX_BURST);
  const got = dpdk.dphp_rx(port.id, queue, n);
  if (got === 0) return [];
  const { data, lens } = dpdk.area;
  let total = 0;
  for (let i = 0; i < got; i++) total += lens[i]!;
  // One copy out of the area for the whole burst; each packet is a view of it.
  const all = Buffer.allocUnsafe(total);
  data.copy(all, 0, 0, total);
  const out: Buffer[] = [];
  let off = 0;
  for (let i = 0; i < got; i++) {
    const len = lens[i]!;
    if (len === 0) continue;
    out.push(all.subarray(off, off + len));
    off += len;
  }
  return out;
}

/**
 * Sends `batch.count` packets laid end to end in `batch.data` (lengths in `batch.lengths`) on a
 * started port; returns how many the PMD took. The SDK copies them into mbufs of the port's pool
 * during the call and keeps nothing: the caller may reuse `data` as soon as it returns.
 */
export function txBurstPacked(
  dpdk: DpdkBinding,
  port: PortRecord,
  batch: PacketBatch,
  queue: number,
): number {
  expectState(port, ['started'], 'send on');
  const { data, lengths } = checkBatch(batch);
  const n = batch.count ?? lengths.length;
  if (!Number.isInteger(n) || n < 0 || n > lengths.length) {
    throw new InvalidInputError(
      'INVALID_ARGUMENT',
      `count must be an integer from 0 to lengths.length (${lengths.length}), not ${n}`,
    );
  }
  let total = 0;
  for (let i = 0; i < n; i++) {
    const len = lengths[i]!;
    if (len < 1 || len > MAX_PACKET) throw badLength(i, len);
    total += len;
  }
  // The shim reads `total` bytes of `data`: never past its end.
  if (total > data.byteLength) {
    throw new InvalidInputError(
      'INVALID_ARGUMENT',
      `The ${n} packets' lengths add up to ${total} bytes; data holds ${data.byteLength}`,
    );
  }
  if (n === 0) return 0;
  dpdk.area.data.set(total === data.byteLength ? data : data.subarray(0, total));
  dpdk.area.lens.set(n === lengths.length ? lengths : lengths.subarray(0, n));
  return dpdk.dphp_tx(port.id, queue, n);
}

/**
 * Receives up to `batch.lengths.length` packets from a started port into `batch.data`, end to
 * end, their lengths into `batch.lengths`; returns how many came. A packet that does not fit in
 * what is left of `data` is dropped and its length written as 0. Their mbufs go back to the
 * pool before the call returns.
 */
export function rxBurstPacked(
  dpdk: DpdkBinding,
  port: PortRecord,
  batch: PacketBatch,
  queue: number,
): number {
  expectState(port, ['started'], 'receive on');
  const { data, lengths } = checkBatch(batch);
  const got = dpdk.dphp_rx(port.id, queue, lengths.length);
  const area = dpdk.area;
  const lens = area.lens;
  let total = 0;
  for (let i = 0; i < got; i++) {
    const len = lens[i]!;
    lengths[i] = len;
    total += len;
  }
  // All fit (the usual case): one copy. Else each packet that fits, in order; the others are dropped.
  if (total <= data.byteLength) {
    area.data.copy(data, 0, 0, total);
    return got;
  }
  let from = 0;
  let to = 0;
  for (let i = 0; i < got; i++) {
    const len = lens[i]!;
    const fits = to + len <= data.byteLength;
    if (fits && len > 0) area.data.copy(data, to, from, from + len);
    lengths[i] = fits ? len : 0;
    from += len;
    to += fits ? len : 0;
  }
  return got;
}

function checkBatch(batch: PacketBatch): PacketBatch {
  const { data, lengths } = batch ?? {};
  if (!(data instanceof Uint8Array) || !(lengths instanceof Uint16Array)) {
    throw new InvalidInputError(
      'INVALID_ARGUMENT',
      'A packet batch is { data: Uint8Array (or Buffer), lengths: Uint16Array, count? }',
    );
  }
  if (lengths.length > MAX_BURST) throw tooMany(lengths.length);
  return batch;
}
