import { Socket } from 'node:net';

// struct dphp_event in native/shim.c.
const KIND_ETH = 1;
const KIND_DEV = 2;
const RTE_ETH_EVENT_INTR_RMV = 6;
const RTE_DEV_EVENT_ADD = 0;
const RTE_DEV_EVENT_REMOVE = 1;

export type RawEvent =
  | { kind: 'port-removed'; port: number }
  | { kind: 'device-added' | 'device-removed'; device: string };

/**
 * Reads the records the shim's DPDK callbacks write to a pipe. Callbacks run on DPDK's own
 * threads and never call into JS; the records reach JS here, on the event loop, after whatever
 * call was running has returned.
 */
export class EventPipe {
  readonly #socket: Socket;
  #pending: Buffer = Buffer.alloc(0);

  constructor(fd: number, recordSize: number, onEvent: (event: RawEvent) => void) {
    this.#socket = new Socket({ fd, readable: true, writable: false });
    // An idle pipe must not keep the process alive.
    this.#socket.unref();
    this.#socket.on('data', (chunk: Buffer) => {
      this.#pending = this.#pending.length ? Buffer.concat([this.#pending, chunk]) : chunk;
      while (this.#pending.length >= recordSize) {
        const event = decode(this.#pending.subarray(0, recordSize));
        this.#pending = this.#pending.subarray(recordSize);
        if (event) onEvent(event);
      }
    });
  }

  close(): void {
    this.#socket.destroy();
  }
}

function decode(record: Buffer): RawEvent | undefined {
  const kind = record.readUInt32LE(0);
  const type = record.readUInt32LE(4);
  if (kind === KIND_ETH && type === RTE_ETH_EVENT_INTR_RMV)
    return { kind: 'port-removed', port: record.readUInt32LE(8) };
  if (kind === KIND_DEV && (type === RTE_DEV_EVENT_ADD || type === RTE_DEV_EVENT_REMOVE)) {
    const name = record.subarray(12);
    const device = name.subarray(0, name.indexOf(0) < 0 ? name.length : name.indexOf(0)).toString();
    return { kind: type === RTE_DEV_EVENT_ADD ? 'device-added' : 'device-removed', device };
  }
  return undefined;
}
