import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { LabError } from '../errors.js';

export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
  timestamp?: { seconds: number; microseconds: number };
}

interface Pending {
  resolve(value: unknown): void;
  reject(e: Error): void;
}

/**
 * A QEMU Machine Protocol client on a unix socket: `execute` resolves a command's return value
 * (or rejects with QMP_ERROR naming QEMU's error class and description); events are emitted as
 * `event` and can be awaited with `waitEvent`. Commands carry ids, so replies never cross.
 */
export class QmpClient extends EventEmitter<{ event: [QmpEvent]; close: [] }> {
  readonly #socket: Socket;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #buffer = '';
  #closed = false;

  private constructor(socket: Socket) {
    super();
    this.#socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.#onData(chunk));
    socket.on('close', () => {
      this.#closed = true;
      for (const p of this.#pending.values())
        p.reject(new LabError('QMP_ERROR', 'QEMU closed the QMP socket'));
      this.#pending.clear();
      this.emit('close');
    });
    socket.on('error', () => {});
  }

  /** Connects (retrying while QEMU creates the socket), reads the greeting, negotiates capabilities. */
  static async connect(path: string, timeoutMs = 10_000): Promise<QmpClient> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const socket = await new Promise<Socket>((resolve, reject) => {
          const s = connect(path, () => resolve(s));
          s.once('error', reject);
        });
        const client = new QmpClient(socket);
        await client.#greeting(deadline - Date.now());
        await client.execute('qmp_capabilities');
        return client;
      } catch (cause) {
        if (Date.now() > deadline) {
          throw new LabError('QMP_ERROR', `cannot connect to QMP at ${path}`, {
            hint: 'did QEMU start?',
            cause,
          });
        }
        await sleep(50);
      }
    }
  }

  #greeted?: () => void;

  #greeting(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(
        () => reject(new LabError('TIMEOUT', 'no QMP greeting')),
        Math.max(timeoutMs, 100),
      );
      this.#greeted = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  #onData(chunk: string): void {
    this.#buffer += chunk;
    let nl = this.#buffer.indexOf('\n');
    while (nl >= 0) {
      const line = this.#buffer.slice(0, nl).trim();
      this.#buffer = this.#buffer.slice(nl + 1);
      nl = this.#buffer.indexOf('\n');
      if (!line) continue;
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line);
      } catch {
        continue;
      }
      if ('QMP' in msg) this.#greeted?.();
      else if ('event' in msg) this.emit('event', msg as unknown as QmpEvent);
      else if (typeof msg.id === 'number') {
        const p = this.#pending.get(msg.id);
        this.#pending.delete(msg.id);
        if (!p) continue;
        if ('error' in msg) {
          const err = msg.error as { class?: string; desc?: string };
          p.reject(new LabError('QMP_ERROR', `QMP ${err.class ?? 'error'}: ${err.desc ?? 'unknown'}`));
        } else p.resolve(msg.return);
      }
    }
  }

  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    if (this.#closed) return Promise.reject(new LabError('QMP_ERROR', `QMP is closed; cannot ${command}`));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#socket.write(
        `${JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), id })}\n`,
      );
    });
  }

  /** The next event named `name` that `match` accepts; TIMEOUT after `timeoutMs`. */
  waitEvent(
    name: string,
    match: (e: QmpEvent) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<QmpEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('event', listener);
        reject(new LabError('TIMEOUT', `no ${name} event within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (e: QmpEvent) => {
        if (e.event !== name || !match(e)) return;
        clearTimeout(timer);
        this.off('event', listener);
        resolve(e);
      };
      this.on('event', listener);
    });
  }

  close(): void {
    this.#socket.destroy();
  }
}
