/**
 * DPDK's control calls, one at a time for the whole process, in call order. The async forms of
 * attach and detach run DPDK's probe or remove on a worker thread (koffi's async call) with a
 * timeout; the sync forms and every other control call run on the main thread, and only when no
 * async call is queued or running: DPDK's control API is not thread safe.
 *
 * DPDK cannot cancel a call. A call that outlives its timeout is rejected with TIMEOUT and keeps
 * running on its worker thread: the queue is then wedged, and every control call is refused with
 * EAL_WEDGED until the call returns. If it returns, `late` takes in what it did and the queue is
 * usable again.
 */
import { writeSync } from 'node:fs';
import { inspect } from 'node:util';
import { DpdkError, EalStateError, type HotplugErrorDetails } from './errors.js';

/** One DPDK call to run off the main thread, made when its turn comes. */
export interface OffThreadCall<T> {
  /** The C call as a person reads it: `rte_dev_probe("net_null0")`. */
  readonly call: string;
  readonly timeoutMs: number;
  /** Carried by the TIMEOUT error. */
  readonly details: HotplugErrorDetails;
  /** Starts the call on a worker thread; `done` runs once, on the main thread, when it returns. */
  start(done: (error: unknown, rc: number) => void): void;
  /** The result (or a thrown HotplugError) from the return code, when the call returned in time. */
  finish(rc: number): T;
  /** The call returned after its timeout: take in what it did; returns what became of it. */
  late(rc: number): LateOutcome;
}

/** What a call that returned after its timeout did, as the SDK took it in. */
export interface LateOutcome {
  /** For people: `net_pcap0 is attached after all, as port 0`. */
  readonly outcome: string;
  readonly device?: string;
  readonly ports?: readonly number[];
}

/** A call that timed out and returned later. */
export interface LateReturn extends LateOutcome {
  readonly call: string;
  /** Its return code; undefined when the binding reported an error instead. */
  readonly rc: number | undefined;
  readonly timeoutMs: number;
  /** From its start to its return. */
  readonly elapsedMs: number;
}

interface Stuck {
  readonly call: string;
  readonly startedAt: number;
  readonly timeoutMs: number;
}

const noop = () => {};

export class ControlQueue {
  #tail: Promise<unknown> = Promise.resolve();
  /** What each queued or running async call is (`attach("net_null0")`), oldest first. */
  readonly #pending: string[] = [];
  #stuck: Stuck | undefined;
  /** Calls started on a worker thread that have not returned (in time or not). */
  #onThread = 0;
  readonly #onLate: (late: LateReturn) => void;
  readonly #hardExit: ((code: number) => void) | undefined;
  /** The uncaught exception or unhandled rejection the process is dying of, if any. */
  #fatal: { error: unknown } | undefined;
  readonly #exitGuard = (code: number) => {
    if (this.#onThread === 0 || !this.#hardExit) return;
    // Node emits 'exit' for an uncaught error before it prints it: print it as Node would.
    if (this.#fatal) writeSync(2, `${fatalReport(this.#fatal.error)}\n`);
    this.#hardExit(typeof code === 'number' ? code : (process.exitCode as number) || 0);
  };
  /**
   * Seen before Node decides whether the error is fatal (an 'uncaughtException' listener may
   * handle it): kept only until the next microtask, as a fatal one ends the process before that.
   */
  readonly #fatalMonitor = (error: unknown) => {
    this.#fatal = { error };
    queueMicrotask(() => {
      this.#fatal = undefined;
    });
  };

  /**
   * `hardExit` ends the process at once (`_exit`): at process exit, while a call is on a worker
   * thread, Node's own exit would wait for it (libuv joins its thread pool), forever for a stuck one.
   */
  constructor(onLate: (late: LateReturn) => void, hardExit?: (code: number) => void) {
    this.#onLate = onLate;
    this.#hardExit = hardExit;
  }

  /** Whether a control call made now would be refused (an async call queued or running, or wedged). */
  get active(): boolean {
    return this.#pending.length > 0 || this.#stuck !== undefined;
  }

  /** The timed-out call still running on its worker thread, if any. */
  get stuck(): { call: string; runningMs: number; timeoutMs: number } | undefined {
    const s = this.#stuck;
    return (
      s && { call: s.call, runningMs: Math.round(performance.now() - s.startedAt), timeoutMs: s.timeoutMs }
    );
  }

  /**
   * For a call that must run now, on this thread: throws EAL_WEDGED while a timed-out call runs,
   * BUSY while an async call is queued or running. `what` names the refused call.
   */
  refuseUnlessIdle(what: string): void {
    this.refuseIfWedged(what);
    const first = this.#pending[0];
    if (first !== undefined) {
      const more = this.#pending.length > 1 ? ` (and ${this.#pending.length - 1} more queued)` : '';
      throw new EalStateError(
        'BUSY',
        `${what} refused: ${first} is in flight${more}, and DPDK's control calls run one at a time (its C API is not thread safe): await it first, or use the async form, which waits its turn`,
      );
    }
  }

  /** Throws EAL_WEDGED while a call that timed out has not returned. */
  refuseIfWedged(what: string): void {
    const s = this.stuck;
    if (s) {
      throw new EalStateError(
        'EAL_WEDGED',
        `${what} refused: ${s.call} timed out after ${s.timeoutMs} ms and is still running on a worker thread (for ${s.runningMs} ms now; DPDK cannot cancel it), so DPDK's state is unknown and no control call can be made until it returns (a 'late' event says when), or the process is restarted`,
      );
    }
  }

  /**
   * Queues an async control call after every one queued before it. When its turn comes, `turn`
   * runs on the main thread (checks the state as it is then, may throw) and returns the call to
   * make off the main thread. The promise always settles: with the result, the error, or
   * TIMEOUT once `timeoutMs` has passed since the call started.
   */
  enqueue<T>(label: string, turn: () => OffThreadCall<T>): Promise<T> {
    this.#pending.push(label);
    const result = this.#tail.then(() => this.#run(label, turn));
    this.#tail = result.then(noop, noop);
    return result;
  }

  #run<T>(label: string, turn: () => OffThreadCall<T>): Promise<T> {
    let call: OffThreadCall<T>;
    try {
      this.refuseIfWedged(label);
      call = turn();
    } catch (e) {
      this.#pending.shift();
      return Promise.reject(e);
    }
    return new Promise<T>((resolve, reject) => {
      const startedAt = performance.now();
      let state: 'running' | 'done' | 'timed-out' = 'running';
      const timer = setTimeout(() => {
        if (state !== 'running') return;
        state = 'timed-out';
        this.#stuck = { call: call.call, startedAt, timeoutMs: call.timeoutMs };
        this.#pending.shift();
        reject(timeoutError(call));
      }, call.timeoutMs);
      const done = (error: unknown, rc: number) => {
        if (state !== 'done') this.#returned();
        if (state === 'running') {
          state = 'done';
          clearTimeout(timer);
          this.#pending.shift();
          if (error) {
            reject(error);
            return;
          }
          try {
            resolve(call.finish(rc));
          } catch (e) {
            reject(e);
          }
          return;
        }
        if (state !== 'timed-out') return;
        state = 'done';
        const elapsedMs = Math.round(performance.now() - startedAt);
        let outcome: LateOutcome;
        try {
          outcome = error
            ? { outcome: `the binding reported an error: ${(error as Error).message ?? error}` }
            : call.late(rc);
        } catch (e) {
          outcome = { outcome: `taking in its result failed: ${(e as Error).message ?? e}` };
        }
        this.#stuck = undefined;
        this.#onLate({
          ...outcome,
          call: call.call,
          rc: error ? undefined : rc,
          timeoutMs: call.timeoutMs,
          elapsedMs,
        });
      };
      try {
        call.start(done);
        this.#started();
      } catch (e) {
        // Never started (koffi refused the arguments, or too many async calls): nothing runs.
        state = 'done';
        clearTimeout(timer);
        this.#pending.shift();
        reject(e);
      }
    });
  }

  /**
   * A call is on a worker thread: the exit guard goes last among the 'exit' listeners, so those
   * registered before the call started run first.
   */
  #started(): void {
    this.#onThread++;
    if (!this.#hardExit) return;
    process.removeListener('exit', this.#exitGuard);
    process.on('exit', this.#exitGuard);
    if (this.#onThread === 1) process.on('uncaughtExceptionMonitor', this.#fatalMonitor);
  }

  #returned(): void {
    if (--this.#onThread > 0) return;
    process.removeListener('exit', this.#exitGuard);
    process.removeListener('uncaughtExceptionMonitor', this.#fatalMonitor);
  }
}

/**
 * What Node prints for an error that ends the process (src/node_errors.cc): the error as
 * util.inspect shows it and Node's version; without the source line Node adds above it, which
 * only Node can find.
 */
export function fatalReport(error: unknown): string {
  return `${inspect(error)}\n\nNode.js ${process.version}`;
}

function timeoutError(call: OffThreadCall<unknown>): DpdkError {
  return new DpdkError(
    'TIMEOUT',
    `${call.call} did not return within ${call.timeoutMs} ms. It is still running on a worker thread and cannot be interrupted (DPDK has no cancellation): the device may end up attached or not, and until the call returns the EAL is unusable, so every other control call is refused with EAL_WEDGED. If it returns, the SDK takes in what it did and emits a 'late' event; if it never does, restart the process`,
    call.details,
  );
}
