import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter, on } from 'node:events';
import { createInterface } from 'node:readline';
import { KernelError } from './errors.js';

/** One kernel uevent, as `udevadm monitor --kernel --property` prints it. */
export interface Uevent {
  action: 'add' | 'remove' | 'change' | 'move' | 'bind' | 'unbind' | 'online' | 'offline' | string;
  devpath: string;
  subsystem: string;
  seqnum: number;
  /** PCI_SLOT_NAME for PCI devices. */
  pciAddress?: string;
  /** INTERFACE for network devices. */
  interface?: string;
  /** DRIVER where the event names one (bind/unbind). */
  driver?: string;
  properties: Record<string, string>;
}

export interface UeventMonitorOptions {
  /** Only events of these subsystems (`pci`, `net`, ...). */
  subsystems?: string[];
  /** The udevadm binary; `udevadm` from PATH by default. */
  udevadm?: string;
}

function toEvent(props: Record<string, string>): Uevent | null {
  if (!props.ACTION || !props.DEVPATH) return null;
  return {
    action: props.ACTION,
    devpath: props.DEVPATH,
    subsystem: props.SUBSYSTEM ?? '',
    seqnum: Number(props.SEQNUM ?? 0),
    ...(props.PCI_SLOT_NAME ? { pciAddress: props.PCI_SLOT_NAME } : {}),
    ...(props.INTERFACE ? { interface: props.INTERFACE } : {}),
    ...(props.DRIVER ? { driver: props.DRIVER } : {}),
    properties: props,
  };
}

/**
 * Kernel uevents as a typed stream: `for await (const e of monitor)`, or `next(match)`.
 * It reads `udevadm monitor` (the kernel's netlink uevent socket, through systemd's tool), so it
 * needs no native code. Wait for `ready` before causing the event you want to see; `close()` stops
 * the monitor (it also stops with the process).
 */
export class UeventMonitor extends EventEmitter<{ uevent: [Uevent]; error: [Error]; close: [] }> {
  readonly ready: Promise<void>;
  readonly #child: ChildProcess;
  #closed = false;

  constructor(options: UeventMonitorOptions = {}) {
    super();
    const args = ['monitor', '--kernel', '--property'];
    for (const s of options.subsystems ?? []) args.push(`--subsystem-match=${s}`);
    this.#child = spawn(options.udevadm ?? 'udevadm', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let props: Record<string, string> = {};
    let markReady: () => void = () => {};
    let fail: (e: Error) => void = () => {};
    this.ready = new Promise((resolve, reject) => {
      markReady = resolve;
      fail = reject;
    });
    const lines = createInterface({ input: this.#child.stdout! });
    lines.on('line', (line) => {
      // The banner ends with the source list; the socket is bound by then.
      if (line.startsWith('KERNEL - ')) return markReady();
      if (line === '') {
        const event = toEvent(props);
        props = {};
        if (event) this.emit('uevent', event);
        return;
      }
      const eq = line.indexOf('=');
      if (eq > 0 && !line.startsWith('KERNEL[')) props[line.slice(0, eq)] = line.slice(eq + 1);
    });
    this.#child.on('error', (cause) => {
      const e = new KernelError('COMMAND_FAILED', 'cannot run udevadm monitor', {
        hint: 'install udev (apt-get install udev)',
        cause,
      });
      fail(e);
      if (this.listenerCount('error')) this.emit('error', e);
    });
    this.#child.on('exit', (code) => {
      if (this.#closed) return;
      const e = new KernelError('COMMAND_FAILED', `udevadm monitor exited (${code})`, {
        hint: 'it needs root and a netlink socket',
      });
      fail(e);
      if (this.listenerCount('error')) this.emit('error', e);
    });
  }

  /** The next event that matches, or TIMEOUT. */
  next(match: (e: Uevent) => boolean = () => true, timeoutMs = 10_000): Promise<Uevent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('uevent', listener);
        reject(new KernelError('TIMEOUT', `no matching uevent within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (e: Uevent) => {
        if (!match(e)) return;
        clearTimeout(timer);
        this.off('uevent', listener);
        resolve(e);
      };
      this.on('uevent', listener);
    });
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uevent> {
    for await (const [event] of on(this, 'uevent', { close: ['close'] })) yield event as Uevent;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#child.kill();
    this.emit('close');
  }
}
