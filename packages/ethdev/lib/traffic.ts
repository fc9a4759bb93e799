import type { DpdkBinding } from './dpdk-binding.js';
import { InvalidInputError } from './errors.js';
import { count, expectState, MAX_BURST, type PortRecord } from './ports.js';

/** Largest packet a burst carries: an mbuf's data room after its headroom. */
export const MAX_PACKET = 2048;

// One receive buffer for the process: DPDK calls run one at a time on one thread.
let scratch: { buf: Buffer; lens: Uint16Array } | undefined;

/** Sends packets on a started port; returns how many the PMD took (the rest are dropped). */
export function txBurst(
  dpdk: DpdkBinding,
  port: PortRecord,
  packets: readonly Uint8Array[],
  queue: number,
): number {
  expectState(port, ['started'], 'send on');
  if (packets.length === 0) return 0;
  if (packets.length > MAX_BURST) {
    throw new InvalidInputError(
      'INVALID_ARGUMENT',
      `At most ${MAX_BURST} packets a burst, got ${packets.length}`,
    );
  }
  const lens = new Uint16Array(packets.length);
  for (let i = 0; i < packets.length; i++) {
    const len = packets[i]!.byteLength;
    if (len < 1 || len > MAX_PACKET) {
      throw new InvalidInputError(
        'INVALID_ARGUMENT',
        `Packet ${i} is ${len} bytes; 1 to ${MAX_PACKET} are allowed`,
      );
    }
    lens[i] = len;
  }
  return dpdk.dphp_tx_copy(port.id, queue, port.pool, Buffer.concat(packets), lens, packets.length);
}

/** Receives up to `max` packets from a started port, as copies. */
export function rxBurst(dpdk: DpdkBinding, port: PortRecord, max: number, queue: number): Buffer[] {
  expectState(port, ['started'], 'receive on');
  const n = count('max', max, 32, MAX_BURST);
  scratch ??= { buf: Buffer.alloc(MAX_BURST * MAX_PACKET), lens: new Uint16Array(MAX_BURST) };
  const { buf, lens } = scratch;
  const got = dpdk.dphp_rx_copy(port.id, queue, buf, buf.length, lens, n);
  const out: Buffer[] = [];
  let off = 0;
  for (let i = 0; i < got; i++) {
    const len = lens[i]!;
    if (len === 0) continue;
    out.push(Buffer.from(buf.subarray(off, off + len)));
    off += len;
  }
  return out;
}
